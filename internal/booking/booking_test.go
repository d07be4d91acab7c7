package booking

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

func TestSlots(t *testing.T) {
	cases := []struct {
		start, end string
		want       []string
	}{
		{"10:00", "11:00", []string{"10:00", "10:30"}},
		{"10:15", "10:45", []string{"10:00", "10:30"}},
		{"10:30", "12:00", []string{"10:30", "11:00", "11:30"}},
		{"23:30", "23:59", []string{"23:30"}},
	}
	for _, c := range cases {
		if got := slots(c.start, c.end); !slices.Equal(got, c.want) {
			t.Errorf("%s–%s: got %v, want %v", c.start, c.end, got, c.want)
		}
	}
	// Overlapping bookings share a slot; adjacent ones do not.
	if !slices.Contains(slots("10:00", "11:00"), slots("10:30", "12:00")[0]) || slices.Contains(slots("10:00", "11:00"), slots("11:00", "12:00")[0]) {
		t.Error("overlap must share a slot, adjacency must not")
	}
}

func TestDayStartIsFinnishMidnight(t *testing.T) {
	s := &Service{}
	for date, want := range map[string]string{"2026-01-15": "2026-01-14T22:00:00Z", "2026-07-15": "2026-07-14T21:00:00Z"} {
		if got := s.dayStart(date).Format(time.RFC3339); got != want {
			t.Errorf("%s: got %s, want %s", date, got, want)
		}
	}
}

func TestReferenceIsReadable(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		r := newReference()
		if len(r) != 14 || !strings.HasPrefix(r, "KAMU-") || r[9] != '-' || strings.ContainsAny(r[5:], "ILOU") {
			t.Fatalf("reference %q", r)
		}
		seen[r] = true
	}
	if len(seen) < 199 {
		t.Fatal("references repeat")
	}
}

func TestParseRules(t *testing.T) {
	base, _ := url.Parse("https://rekisteri.example.fi")
	s := NewService(register.MustLoad("museum"), nil, nil, nil, Tables{Bookings: "bookings", Mail: "mail", Audit: "audit"}, base)
	s.now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	ok := url.Values{"resource": {"meeting-room"}, "date": {"2026-11-30"}, "start": {"10:00"}, "end": {"11:00"}, "participants": {"5"},
		"first_name": {"A"}, "last_name": {"B"}, "email": {"a@example.fi"}, "payment": {"card"}}
	invoice := url.Values{"payment": {"invoice"}, "street": {"Tie 1"}, "postcode": {"02100"}, "city": {"Espoo"}}
	cases := []struct {
		name  string
		extra []url.Values
		field string
	}{
		{"card booking", nil, ""},
		{"today", []url.Values{{"date": {"2026-11-23"}}}, ""},
		{"yesterday", []url.Values{{"date": {"2026-11-22"}}}, "date"},
		{"365 days ahead", []url.Values{{"date": {"2027-11-23"}}}, ""},
		{"366 days ahead", []url.Values{{"date": {"2027-11-24"}}}, "date"},
		{"end equals start", []url.Values{{"end": {"10:00"}}}, "end"},
		{"room for 20", []url.Values{{"participants": {"20"}}}, ""},
		{"room for 20, 21 asked", []url.Values{{"participants": {"21"}}}, "participants"},
		{"invoice, private person", []url.Values{invoice, {"hetu": {"131052-308t"}}}, ""},
		{"invoice, organisation", []url.Values{invoice, {"business_id": {"0112038-9"}}}, ""},
		{"invoice, postcode bad", []url.Values{invoice, {"hetu": {"131052-308T"}, "postcode": {"2100"}}}, "postcode"},
		{"hetu not asked with card", []url.Values{{"hetu": {"131052-308T"}}}, "hetu"},
		{"hetu wrong check", []url.Values{invoice, {"hetu": {"131052-308U"}}}, "hetu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := url.Values{}
			for k, x := range ok {
				v[k] = x
			}
			for _, e := range c.extra {
				for k, x := range e {
					v[k] = x
				}
			}
			in, errs := s.Parse(web.NewForm(v), "en")
			if c.field == "" && len(errs) > 0 {
				t.Fatalf("want valid, got %v", errs)
			}
			if c.field != "" && errs[c.field] == "" {
				t.Fatalf("want an error for %s, got %v", c.field, errs)
			}
			for _, m := range errs {
				if strings.Contains(m, "131052") {
					t.Fatal("an error message repeats the identity code")
				}
			}
			if c.name == "invoice, private person" && in.Hetu != "131052-308T" {
				t.Fatalf("the code is kept normalised for sealing: %q", in.Hetu)
			}
		})
	}
}
