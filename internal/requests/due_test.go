package requests

import (
	"testing"
	"time"
)

func TestTheGDPRClock(t *testing.T) {
	at := func(s string) time.Time { // noon in Helsinki
		d, err := time.Parse(dateFormat, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(10 * time.Hour)
	}
	for _, c := range []struct{ received, due, extended string }{
		{"2027-01-31", "2027-02-28", "2027-04-30"}, // no 31 Feb: the month's last day; the extension counts from receipt
		{"2028-01-31", "2028-02-29", "2028-04-30"}, // a leap year
		{"2028-02-29", "2028-03-29", "2028-05-29"},
		{"2027-03-31", "2027-04-30", "2027-06-30"},
		{"2027-11-30", "2027-12-30", "2028-02-29"}, // over the year end, into a leap February
		{"2026-11-30", "2026-12-30", "2027-02-28"},
		{"2027-12-31", "2028-01-31", "2028-03-31"},
		{"2027-06-15", "2027-07-15", "2027-09-15"},
	} {
		if got := DueOn(at(c.received)).Format(dateFormat); got != c.due {
			t.Errorf("received %s: due %s, want %s", c.received, got, c.due)
		}
		if got := ExtendedTo(at(c.received)).Format(dateFormat); got != c.extended {
			t.Errorf("received %s: extended to %s, want %s", c.received, got, c.extended)
		}
	}
	// The Finnish date counts: 23:30 UTC on 31 January is 1 February in Helsinki.
	late := time.Date(2027, 1, 31, 23, 30, 0, 0, time.UTC)
	if got := DueOn(late).Format(dateFormat); got != "2027-03-01" {
		t.Errorf("received 2027-02-01 01:30 Helsinki: due %s, want 2027-03-01", got)
	}
	due, _ := parseDate("2027-02-28")
	for _, c := range []struct {
		now  string
		left int
	}{{"2027-02-21", 7}, {"2027-02-28", 0}, {"2027-03-02", -2}} {
		if got := DaysLeft(due, at(c.now)); got != c.left {
			t.Errorf("on %s: %d days left, want %d", c.now, got, c.left)
		}
	}
}
