package register

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a budget's window, a Go duration such as 1h or 10m.
type Window struct{ time.Duration }

// ParseWindow reads a window as the YAML declares it: a positive Go
// duration.
func ParseWindow(s string) (Window, error) {
	var w Window
	err := w.parse(s)
	return w, err
}

func (w *Window) parse(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return fmt.Errorf("window %q: want a positive duration such as 1h or 10m", s)
	}
	w.Duration = d
	return nil
}

// MarshalJSON writes the window as a Go duration ("1h0m0s"), or null when
// none was declared.
func (w Window) MarshalJSON() ([]byte, error) {
	if w.Duration == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(w.Duration.String())
}

// UnmarshalJSON reads what MarshalJSON writes.
func (w *Window) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("window %s: %w", b, err)
	}
	return w.parse(s)
}

// Period is a calendar period such as 7d, 12m or 3y.
type Period struct {
	Years, Months, Days int
}

// ParsePeriod reads a period as the YAML declares it: "7d", "12m" or "3y".
func ParsePeriod(s string) (Period, error) {
	var p Period
	err := p.parse(s)
	return p, err
}

// MarshalJSON writes the period as the YAML declares it ("7d", "12m", "3y"),
// or null when none was declared.
func (p Period) MarshalJSON() ([]byte, error) {
	var s string
	switch {
	case p.IsZero():
		return []byte("null"), nil
	case p.Months == 0 && p.Years == 0 && p.Days > 0:
		s = strconv.Itoa(p.Days) + "d"
	case p.Days == 0 && p.Years == 0 && p.Months > 0:
		s = strconv.Itoa(p.Months) + "m"
	case p.Days == 0 && p.Months == 0 && p.Years > 0:
		s = strconv.Itoa(p.Years) + "y"
	default:
		return nil, fmt.Errorf("period %+v: not one positive number of days, months or years", p)
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Period) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("period %s: %w", b, err)
	}
	return p.parse(s)
}

func (p *Period) parse(s string) error {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return fmt.Errorf("period %q: want a number and d, m or y", s)
	}
	v, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || v <= 0 {
		return fmt.Errorf("period %q: want a positive number", s)
	}
	switch s[len(s)-1] {
	case 'd':
		p.Days = v
	case 'm':
		p.Months = v
	case 'y':
		p.Years = v
	default:
		return fmt.Errorf("period %q: unit must be d, m or y", s)
	}
	return nil
}

// IsZero reports whether no period was declared.
func (p Period) IsZero() bool { return p == Period{} }

// From returns t plus the period, in calendar terms.
func (p Period) From(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }
