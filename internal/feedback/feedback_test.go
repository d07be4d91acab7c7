package feedback

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

func TestCountSuppressesSmallCells(t *testing.T) {
	var answers []answer
	for i := range 7 {
		a := answer{ReceivedOn: "2026-11-02", VisitMonth: "2026-11", AgeGroup: "30-44", InfoSource: []string{"website"}, Lang: "fi"}
		if i == 0 {
			a.HomePostcode = "02100"
			a.InfoSource = append(a.InfoSource, "poster")
		}
		answers = append(answers, a)
	}
	answers = append(answers, answer{ReceivedOn: "2026-12-01", VisitMonth: "2026-12", AgeGroup: "30-44", Lang: "sv"})
	r := Count(answers)
	got := map[string]string{}
	for _, c := range r.Cells {
		got[c.Month+" "+c.Question+" "+c.Option] = c.Shown()
	}
	for k, want := range map[string]string{
		"2026-11 answers all":         "7",
		"2026-11 age_group 30-44":     "7",
		"2026-11 info_source website": "7",
		"2026-11 info_source poster":  "<5",
		"2026-11 home_postcode 02100": "<5",
		"2026-12 age_group 30-44":     "<5",
		"2026-12 lang sv":             "<5",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	var csv strings.Builder
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(csv.String(), ",1\n") {
		t.Errorf("a count of one reached the CSV:\n%s", csv.String())
	}
}

func TestParseRules(t *testing.T) {
	s := NewService(register.MustLoad("museum"), nil, nil, nil, Tables{})
	s.now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	ok := url.Values{"visit_date": {"2026-11-20"}}
	cases := []struct {
		name  string
		extra url.Values
		field string // "" means valid
	}{
		{"minimal", nil, ""},
		{"today", url.Values{"visit_date": {"2026-11-23"}}, ""},
		{"tomorrow", url.Values{"visit_date": {"2026-11-24"}}, "visit_date"},
		{"365 days ago", url.Values{"visit_date": {"2025-11-23"}}, ""},
		{"366 days ago", url.Values{"visit_date": {"2025-11-22"}}, "visit_date"},
		{"option", url.Values{"party": {"school-class"}}, ""},
		{"bad option", url.Values{"party": {"crowd"}}, "party"},
		{"reason other at limit", url.Values{"visit_reason_other": {strings.Repeat("ä", 200)}}, ""},
		{"reason other over", url.Values{"visit_reason_other": {strings.Repeat("ä", 201)}}, "visit_reason_other"},
		{"previous use", url.Values{"previous_use.glims": {"regularly"}}, ""},
		{"previous use bad option", url.Values{"previous_use.glims": {"daily"}}, "previous_use.glims"},
		{"postcode letters", url.Values{"home_postcode": {"0210A"}}, "home_postcode"},
		{"municipality and postcode", url.Values{"home_municipality": {"Espoo"}, "home_postcode": {"02100"}}, "home"},
		{"abroad not boolean", url.Values{"home_abroad": {"maybe"}}, "home_abroad"},
		{"newsletter with e-mail", url.Values{"newsletter_consent": {"true"}, "email": {"a@example.fi"}}, ""},
		{"newsletter without e-mail", url.Values{"newsletter_consent": {"true"}}, "email"},
		{"nonce too short", url.Values{"nonce": {"abc"}}, "nonce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := url.Values{}
			for k, x := range ok {
				v[k] = x
			}
			for k, x := range c.extra {
				v[k] = x
			}
			in, errs := s.Parse(web.NewForm(v), "en")
			if c.field == "" && len(errs) > 0 {
				t.Fatalf("want valid, got %v", errs)
			}
			if c.field != "" && errs[c.field] == "" {
				t.Fatalf("want an error for %s, got %v", c.field, errs)
			}
			if c.field == "" && in.VisitDate.IsZero() {
				t.Fatal("visit date not kept")
			}
		})
	}
	in, _ := s.Parse(web.NewForm(url.Values{"visit_date": {"2026-11-20"}, "name": {"N"}, "email": {"a@example.fi"}}), "en")
	if in.Name != "" || in.Email != "" {
		t.Fatal("name and e-mail must be dropped when nothing needs them")
	}
}
