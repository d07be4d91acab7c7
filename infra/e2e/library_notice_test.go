package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rekisteri/internal/register"
)

// TestPrivacyNoticeLibrary: the deployed stack publishes the libraries'
// notice beside the museum's, in each language, from its declaration: the
// four joint controllers, every §7 data category and every §11 rule.
func TestPrivacyNoticeLibrary(t *testing.T) {
	reg := register.MustLoad("library")
	for _, lang := range register.Languages {
		r := get(t, "/privacy?register=library&lang="+lang)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", lang, r.Status)
		}
		want := append(reg.ControllerNames(lang), reg.DPO.Email, reg.Version(), reg.Transfers.In(lang), reg.Publicity.In(lang))
		for _, c := range reg.Controllers {
			want = append(want, c.Office.Address)
		}
		for _, d := range reg.DataCategories {
			want = append(want, d.Name.In(lang))
		}
		for _, k := range reg.Records {
			for _, rule := range k.Retention {
				want = append(want, rule.Text.In(lang))
			}
		}
		for _, w := range want {
			if !strings.Contains(r.Body, escape(w)) {
				t.Errorf("%s library notice lacks %q", lang, w)
			}
		}
	}
}

// TestBrowserAccessibilityLibraryNotice: the libraries' notice in each
// language passes the same WCAG 2.1 AA checks as the museum's.
func TestBrowserAccessibilityLibraryNotice(t *testing.T) {
	p := newA11yPage(t)
	for _, lang := range register.Languages {
		p.load("library privacy notice "+lang, http.StatusOK, chromedp.Navigate(server.URL+"/privacy?register=library&lang="+lang))
		p.axe("library privacy notice (" + lang + ")")
	}
}
