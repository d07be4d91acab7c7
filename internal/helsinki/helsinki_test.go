package helsinki

import (
	"testing"
	"time"
)

func TestToday(t *testing.T) {
	cases := []struct {
		utc  string
		want string
	}{
		{"2026-11-23T21:59:00Z", "2026-11-23"}, // EET: 23:59
		{"2026-11-23T22:00:00Z", "2026-11-24"}, // EET: 00:00 next day
		{"2026-07-01T20:59:00Z", "2026-07-01"}, // EEST: 23:59
		{"2026-07-01T21:00:00Z", "2026-07-02"}, // EEST: 00:00
		{"2026-03-29T00:59:00Z", "2026-03-29"}, // just before summer time
		{"2026-03-29T21:00:00Z", "2026-03-30"}, // summer time began at 01:00 UTC
		{"2026-10-25T21:30:00Z", "2026-10-25"}, // winter time again: 23:30 EET
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.utc)
		if got := Today(now).Format("2006-01-02"); got != c.want {
			t.Errorf("%s: got %s, want %s", c.utc, got, c.want)
		}
	}
}
