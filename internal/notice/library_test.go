package notice

import (
	"html"
	"net/http/httptest"
	"strings"
	"testing"

	"rekisteri/internal/register"
)

// libraryNotice is the libraries' notice in lang, through the real handler
// serving both declarations (as the newsletter function does).
func libraryNotice(t *testing.T, lang string) string {
	t.Helper()
	h := Registers{"museum": register.MustLoad("museum"), "library": register.MustLoad("library")}.Routes()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?register=library&lang="+lang, nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	return html.UnescapeString(rec.Body.String())
}

// TestLibraryNoticeStatesTheSeed: in every language the libraries' notice
// names each joint controller with its persons and registry office, the
// DPOs, the legal basis and the Public Libraries Act, every §7 data
// category, the collection agency's exact fields, every §11 period and
// rule, the publicity, the transfers and the library card's informing.
func TestLibraryNoticeStatesTheSeed(t *testing.T) {
	reg := register.MustLoad("library")
	tests := []struct {
		lang string
		// the fields §9 says the collection agency gets, and §11's periods
		agency, periods []string
	}{
		{"fi", []string{"nimi", "osoite", "puhelinnumero", "henkilötunnus", "eräpäivä", "nimeke", "hinta", "kerran viikossa", "60 vuorokauden", "täysi-ikäisistä"},
			[]string{"3 kuukauden", "3 vuoteen", "kerran vuodessa"}},
		{"sv", []string{"namn", "adress", "telefonnummer", "personbeteckning", "förfallodag", "titel", "pris", "en gång i veckan", "60 dygn", "myndiga"},
			[]string{"3 månader", "3 år", "en gång om året"}},
		{"en", []string{"name", "address", "phone number", "personal identity code", "due date", "title", "price", "once a week", "60 days", "adult"},
			[]string{"3 months", "3 years", "once a year"}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			page := libraryNotice(t, tc.lang)
			lang := tc.lang
			want := []string{reg.Name.In(lang), reg.DPO.Name.In(lang), reg.DPO.Email, LegalBasis("legal-obligation").In(lang), "6", "1492/2016", "24.1",
				reg.Publicity.In(lang), reg.Transfers.In(lang), reg.Security.In(lang), reg.Informing.In(lang), words[lang]["controllers"]}
			if lang == "en" {
				want[6] = "24(1)"
			}
			for _, c := range reg.Controllers {
				want = append(want, "<h3>"+c.Name.In(lang)+"</h3>", c.Responsible.Role.In(lang), c.Office.Name.In(lang), c.Office.Address)
				for _, p := range c.Contacts {
					want = append(want, p.Role.In(lang))
				}
			}
			for _, d := range reg.DataCategories {
				want = append(want, d.Name.In(lang))
			}
			for _, l := range reg.Laws {
				want = append(want, l.Name.In(lang))
			}
			for _, p := range reg.Purposes {
				want = append(want, p.Name.In(lang), p.Description.In(lang))
			}
			for _, x := range reg.Recipients {
				want = append(want, x.Name.In(lang))
			}
			for _, s := range reg.Sources {
				want = append(want, s.Name.In(lang))
			}
			for _, k := range reg.Records {
				for _, rule := range k.Retention {
					want = append(want, "<li>"+rule.Text.In(lang)+"</li>")
				}
			}
			for _, w := range append(want, tc.periods...) {
				if !strings.Contains(page, w) {
					t.Errorf("the %s notice does not say %q", lang, w)
				}
			}
			agency, _ := recipientName(reg, "collection-agency", lang)
			for _, f := range tc.agency {
				if !strings.Contains(agency, f) {
					t.Errorf("the %s notice's collection agency %q does not name %q", lang, agency, f)
				}
			}
			// The only period stated outside the rules is when a loan goes to the agency.
			rest := strings.ReplaceAll(page, agency, "")
			for _, k := range reg.Records {
				for _, rule := range k.Retention {
					rest = strings.ReplaceAll(rest, rule.Text.In(lang), "")
				}
			}
			if m := periodClaim.FindAllString(rest, -1); len(m) > 0 {
				t.Errorf("the %s notice states periods no rule declares: %q", lang, m)
			}
			// One controller's heading is not the museum's.
			if strings.Contains(page, "<h2>"+words[lang]["controller"]+"</h2>") {
				t.Errorf("the %s notice has a single controller's section too", lang)
			}
		})
	}
}

func recipientName(reg *register.Register, id, lang string) (string, bool) {
	for _, x := range reg.Recipients {
		if x.ID == id {
			return x.Name.In(lang), true
		}
	}
	return "", false
}

// TestNoticeServesBothRegisters: one handler serves each declaration's own
// notice, and the museum's stays a single controller's.
func TestNoticeServesBothRegisters(t *testing.T) {
	h := Registers{"museum": register.MustLoad("museum"), "library": register.MustLoad("library")}.Routes()
	tests := []struct{ query, want, not string }{
		{"register=museum&lang=en", "<h2>Controller</h2>", "<h2>Controllers</h2>"},
		{"register=library&lang=en", "<h2>Controllers</h2>", "<h2>Controller</h2>"},
		{"register=library&lang=sv", "HelMet-bibliotekens kundregister", "KAMU"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?"+tc.query, nil))
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
				t.Errorf("status %d; want %q and not %q", rec.Code, tc.want, tc.not)
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?register=zoo", nil))
	if rec.Code != 404 {
		t.Errorf("unknown register: %d", rec.Code)
	}
}
