package e2e

import (
	"net/http"
	"strings"
	"testing"

	"rekisteri/internal/register"
)

// TestPrivacyNoticeIsGeneratedFromTheDeclaration checks that the notice every
// mail links to exists, in each language, and says what the code does.
func TestPrivacyNoticeIsGeneratedFromTheDeclaration(t *testing.T) {
	reg := register.MustLoad("museum")
	for _, lang := range register.Languages {
		r := get(t, "/privacy?register=museum&lang="+lang)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", lang, r.Status)
		}
		want := []string{reg.Controller.Name.In(lang), reg.DPO.Email, reg.Version(), "tietosuoja.fi"}
		for _, p := range reg.Purposes {
			want = append(want, p.Name.In(lang))
		}
		for _, k := range reg.Records {
			for _, rule := range k.Retention {
				want = append(want, rule.Text.In(lang))
			}
		}
		for _, w := range want {
			if !strings.Contains(r.Body, escape(w)) {
				t.Errorf("%s notice lacks %q", lang, w)
			}
		}
	}
	if r := get(t, "/privacy?register=nope"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown register: %d", r.Status)
	}
	// The link in the mail is the link that works.
	addr := newAddress(t)
	subscribe(t, addr, "newsletter")
	drain(t)
	if r := get(t, linkIn(t, at(t, mailsTo(t, addr), 0), "/privacy")); r.Status != http.StatusOK || !strings.Contains(r.Body, "Privacy notice") {
		t.Fatalf("the notice linked from mail: %d", r.Status)
	}
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "\"", "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}
