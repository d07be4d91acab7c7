// Package helsinki tells the date in Finland, where the museum's visitors
// and bookings live: EET, and EEST from the last Sunday of March to the last
// Sunday of October (01:00 UTC both). Computed here rather than from tzdata,
// which Lambda's base image does not promise and which costs 450 KB to embed.
package helsinki

import "time"

// Today is the calendar date in Finland at now, as midnight UTC of that date.
func Today(now time.Time) time.Time {
	l := Local(now)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// Local is now as Finnish wall-clock time (its location says UTC).
func Local(now time.Time) time.Time {
	u := now.UTC()
	offset := 2 * time.Hour
	if start, end := lastSunday(u.Year(), time.March), lastSunday(u.Year(), time.October); !u.Before(start) && u.Before(end) {
		offset = 3 * time.Hour
	}
	return u.Add(offset)
}

func lastSunday(year int, month time.Month) time.Time {
	d := time.Date(year, month+1, 1, 1, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for d.Weekday() != time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}
