package main

import (
	"encoding/csv"
	"strings"
	"testing"

	"rekisteri/internal/register"
)

// TestRopaLibrary: `staff ropa -register library` lists, in both formats and
// every language, each joint controller with its persons and registry
// office, the DPOs, each purpose with its basis and laws, and every record
// kind's retention rule with its text and period in words.
func TestRopaLibrary(t *testing.T) {
	reg := register.MustLoad("library")
	for _, format := range []string{"md", "csv"} {
		for _, lang := range register.Languages {
			t.Run(format+"/"+lang, func(t *testing.T) {
				out := ropaOut(t, "-register", "library", "-format", format, "-lang", lang)
				want := declared(reg, lang)
				for _, c := range reg.Controllers {
					want = append(want, c.Name.In(lang), c.Responsible.Role.In(lang), c.Office.Name.In(lang), c.Office.Address)
					for _, p := range c.Contacts {
						want = append(want, p.Role.In(lang))
					}
				}
				for _, p := range reg.Purposes {
					want = append(want, ropaNames(reg.Laws, p.Laws, lang)...)
				}
				want = append(want, "1492/2016", "6(1)(c)", reg.DPO.Email, ropaDoc{lang: lang}.period(register.Period{Months: 3}), ropaDoc{lang: lang}.period(register.Period{Years: 3}))
				if format == "md" {
					want = append(want, reg.DPO.Name.In(lang), ropaWords["joint"].In(lang))
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("the %s record in %s does not say %q", format, lang, w)
					}
				}
				if strings.Contains(out, "KAMU") {
					t.Error("the libraries' record names the museum")
				}
			})
		}
	}
}

// TestRopaLibraryCSVRows: a row per purpose × record kind × retention rule
// of the libraries' declaration, each with the rule's text and period.
func TestRopaLibraryCSVRows(t *testing.T) {
	reg := register.MustLoad("library")
	type key struct{ purpose, kind, rule string }
	want := map[key]register.Rule{}
	for _, k := range reg.Records {
		for _, p := range k.Purposes {
			for _, rule := range k.Retention {
				want[key{p, k.Kind, rule.ID}] = rule
			}
		}
	}
	tests := []struct{ lang, threeYears, threeMonths string }{
		{"fi", "3 vuotta", "3 kuukautta"}, {"sv", "3 år", "3 månader"}, {"en", "3 years", "3 months"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			rows, err := csv.NewReader(strings.NewReader(ropaOut(t, "-register", "library", "-format", "csv", "-lang", tc.lang))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			c := func(row []string, word string) string { return row[col[ropaWords[word].In(tc.lang)]] }
			got := map[key]bool{}
			for _, row := range rows[1:] {
				k := key{c(row, "purposeId"), c(row, "kind"), c(row, "rule")}
				rule, ok := want[k]
				if !ok || got[k] {
					t.Errorf("row %v: not a declared purpose × kind × rule, or twice", k)
					continue
				}
				got[k] = true
				if c(row, "text") != rule.Text.In(tc.lang) {
					t.Errorf("row %v: text %q", k, c(row, "text"))
				}
				switch rule.Keep {
				case register.Period{Years: 3}:
					if c(row, "keep") != tc.threeYears {
						t.Errorf("row %v: kept for %q, want %q", k, c(row, "keep"), tc.threeYears)
					}
				case register.Period{Months: 3}:
					if c(row, "keep") != tc.threeMonths {
						t.Errorf("row %v: kept for %q, want %q", k, c(row, "keep"), tc.threeMonths)
					}
				}
				if c(row, "article") != "6(1)(c)" || !strings.Contains(c(row, "basis"), "1492/2016") {
					t.Errorf("row %v: basis %q %q", k, c(row, "basis"), c(row, "article"))
				}
				if n := strings.Count(c(row, "controller"), ";"); n != 3 {
					t.Errorf("row %v: controller %q, want the four", k, c(row, "controller"))
				}
			}
			for k := range want {
				if !got[k] {
					t.Errorf("no row for %v", k)
				}
			}
		})
	}
}
