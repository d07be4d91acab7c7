package notice

import (
	"html"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"rekisteri/internal/register"
)

// TestNoticeStatesEveryDeclaredThing: the notice in each language states
// every retention rule and every declared log — what it holds and how long.
func TestNoticeStatesEveryDeclaredThing(t *testing.T) {
	reg := register.MustLoad("museum")
	h := Registers{"museum": reg}.Routes()
	if len(reg.Logs) == 0 {
		t.Fatal("the register declares no logs")
	}
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?register=museum&lang="+lang, nil))
			b, _ := io.ReadAll(rec.Result().Body)
			page := html.UnescapeString(string(b))
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			var want []string
			for _, l := range reg.Logs {
				want = append(want, l.Holds.In(lang), l.Text.In(lang))
			}
			for _, k := range reg.Records {
				for _, rule := range k.Retention {
					want = append(want, rule.Text.In(lang))
				}
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("the %s notice does not say %q", lang, w)
				}
			}
		})
	}
}
