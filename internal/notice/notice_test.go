package notice

import (
	"html"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
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

// periodClaim is anything that reads as a retention period: "7 vuorokautta",
// "3 år", "12 months", "30d".
var periodClaim = regexp.MustCompile(`(?i)\b\d+\s*(d|m|y|vrk|vuorokau\w*|päiv\w*|viik\w*|kuukau\w*|vuo\w*|dygn|dag\w*|veck\w*|månad\w*|år|days?|weeks?|months?|years?)\b`)

// TestNoticeRetentionIsTheDeclaredRules: in each language the retention
// section lists exactly the declared rules' texts (every kind's every
// rule, then every log) and nothing else, and no other part of the notice
// states a period of its own — so the notice promises only what the rules
// the sweep runs say.
func TestNoticeRetentionIsTheDeclaredRules(t *testing.T) {
	reg := register.MustLoad("museum")
	h := Registers{"museum": reg}.Routes()
	item := regexp.MustCompile(`^<li>([^<]*)</li>`)
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?register=museum&lang="+lang, nil))
			page := rec.Body.String()
			var want []string
			for _, k := range reg.Records {
				for _, rule := range k.Retention {
					want = append(want, rule.Text.In(lang))
				}
			}
			for _, l := range reg.Logs {
				want = append(want, l.Text.In(lang))
			}

			head := "<h2>" + words[lang]["retention"] + "</h2>"
			i := strings.Index(page, head)
			if i < 0 {
				t.Fatalf("no retention section %q", head)
			}
			section := page[i+len(head):]
			section = strings.TrimSpace(section[:strings.Index(section, "<h2>")])
			if !strings.HasPrefix(section, "<ul>") || !strings.HasSuffix(section, "</ul>") {
				t.Fatalf("the retention section is not just the list of rules: %q", section)
			}
			var got []string
			for rest := strings.TrimSpace(section[len("<ul>") : len(section)-len("</ul>")]); rest != ""; {
				m := item.FindStringSubmatch(rest)
				if m == nil {
					t.Fatalf("the retention section holds something besides the rules: %q", rest)
				}
				got = append(got, html.UnescapeString(m[1]))
				rest = strings.TrimSpace(rest[len(m[0]):])
			}
			if !slices.Equal(got, want) {
				t.Errorf("the %s retention section says\n%q\nthe declared rules say\n%q", lang, got, want)
			}

			// Outside the declared rule texts, nothing states a period.
			rest := html.UnescapeString(page)
			for _, l := range reg.Logs {
				rest = strings.ReplaceAll(rest, l.Holds.In(lang), "")
			}
			for _, w := range want {
				rest = strings.ReplaceAll(rest, w, "")
			}
			if m := periodClaim.FindAllString(rest, -1); len(m) > 0 {
				t.Errorf("the %s notice states periods no rule declares: %q", lang, m)
			}
		})
	}
}
