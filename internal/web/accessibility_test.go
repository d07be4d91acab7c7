package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStatement: the accessibility statement says what Act 306/2019 asks of
// it — scope and provider, conformance status, what is not accessible, a
// feedback channel with contacts, the enforcement procedure and its date —
// in each language.
func TestStatement(t *testing.T) {
	s := Statement{Provider: func(l string) string {
		return map[string]string{"fi": "Espoon kaupunki", "sv": "Esbo stad", "en": "City of Espoo"}[l]
	},
		Address: "PL 3250, 02070 ESPOON KAUPUNKI", Phone: "09 816 57052"}
	for _, tc := range []struct{ lang, title, provider, status, site string }{
		{"fi", "Saavutettavuusseloste", "Espoon kaupunki", "täyttää WCAG 2.1 -ohjeiston AA-tason saavutettavuusvaatimukset osittain", "saavutettavuusvaatimukset.fi"},
		{"sv", "Tillgänglighetsutlåtande", "Esbo stad", "uppfyller delvis tillgänglighetskraven på nivå AA i WCAG 2.1", "tillganglighetskrav.fi"},
		{"en", "Accessibility statement", "City of Espoo", "partially meets the accessibility requirements of WCAG 2.1 level AA", "webaccessibility.fi"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/accessibility?lang="+tc.lang, nil))
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			for _, want := range []string{
				`<html lang="` + tc.lang + `">`, "<h1>" + tc.title + "</h1>", tc.provider, tc.status, "306/2019",
				`<a href="/feedback?lang=` + tc.lang + `">`, "PL 3250, 02070 ESPOON KAUPUNKI", "09 816 57052",
				"Traficom", "saavutettavuus@traficom.fi", tc.site, `<time datetime="` + StatementDate + `">`,
				`<a href="/accessibility?lang=` + tc.lang + `">`, // the footer, as on every page
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the statement lacks %q", want)
				}
			}
			if n := strings.Count(body, "<li>"); n < 5 {
				t.Errorf("want the known shortcomings and the contacts listed, got %d items", n)
			}
		})
	}
}
