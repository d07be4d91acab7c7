// Package clock is the time the functions decide by: expiry, tokens,
// leases, relays, reminders, the "today" of forms. In Lambda it is the real
// clock. The local stack gives its functions a clock a person moves forward
// (POST /_local/clock), handed over in the context.Context each capability's
// constructor receives, so nobody waits seven days to see a link expire.
package clock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

type key struct{}

// With returns ctx carrying now as the clock.
func With(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, key{}, now)
}

// From returns the clock ctx carries, or time.Now when it carries none (as
// in Lambda).
func From(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(key{}).(func() time.Time); ok && now != nil {
		return now
	}
	return time.Now
}

// ErrBackwards is the answer to moving a clock back. A clock that went back
// would hand out a lease, a token or an expiry that had already passed, and
// take back a deadline once met; so it only moves forward.
var ErrBackwards = errors.New("the clock only moves forward: leases, tokens and expiry times already handed out rely on it")

// Moving is a clock at the real clock's pace plus an offset that only
// grows: time keeps flowing after a move, and never goes backwards.
type Moving struct {
	mu     sync.Mutex
	offset time.Duration
	real   func() time.Time
}

// NewMoving returns a Moving clock over real (time.Now when nil), not yet moved.
func NewMoving(real func() time.Time) *Moving {
	if real == nil {
		real = time.Now
	}
	return &Moving{real: real}
}

// Now is the moved time.
func (c *Moving) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real().Add(c.offset)
}

// Advance moves the clock forward by step and returns the new time.
func (c *Moving) Advance(step Step) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.real().Add(c.offset)
	next := step.After(now)
	c.offset += next.Sub(now)
	return now.Add(next.Sub(now))
}

// Set moves the clock to t, which must not be before its current time.
func (c *Moving) Set(t time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.real().Add(c.offset)
	if t.Before(now) {
		return now, fmt.Errorf("%w; it is already %s", ErrBackwards, now.UTC().Format(time.RFC3339))
	}
	c.offset += t.Sub(now)
	return now.Add(t.Sub(now)), nil
}

// Step is how far to advance a clock: N hours, days, months or years.
type Step struct {
	N    int
	Unit byte // 'h', 'd', 'm' (months), 'y'
}

// maxStep bounds N, so a typo cannot overflow the offset (292 years).
const maxStep = 10000

// ParseStep reads a step such as 36h, 8d, 3m (months) or 1y: a positive
// whole number and one unit.
func ParseStep(s string) (Step, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return Step{}, fmt.Errorf("advance %q: want a whole number and a unit, e.g. 36h, 8d, 3m (months), 1y", s)
	}
	unit := s[len(s)-1]
	switch unit {
	case 'h', 'd', 'm', 'y':
	default:
		return Step{}, fmt.Errorf("advance %q: the unit is h (hours), d (days), m (months) or y (years)", s)
	}
	digits := s[:len(s)-1]
	if digits[0] == '-' {
		return Step{}, fmt.Errorf("advance %q: %w", s, ErrBackwards)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || digits[0] == '+' {
		return Step{}, fmt.Errorf("advance %q: want a whole number before the unit, e.g. 36h, 8d, 3m (months), 1y", s)
	}
	if n < 1 || n > maxStep {
		return Step{}, fmt.Errorf("advance %q: the number must be from 1 to %d", s, maxStep)
	}
	return Step{N: n, Unit: unit}, nil
}

// After is t advanced by the step: hours exactly, days, months and years by
// the calendar (in UTC, as time.AddDate normalises: a month after 31 January
// is 3 March).
func (s Step) After(t time.Time) time.Time {
	switch s.Unit {
	case 'h':
		return t.Add(time.Duration(s.N) * time.Hour)
	case 'd':
		return t.UTC().AddDate(0, 0, s.N)
	case 'm':
		return t.UTC().AddDate(0, s.N, 0)
	case 'y':
		return t.UTC().AddDate(s.N, 0, 0)
	}
	return t
}

// String is the step as ParseStep reads it.
func (s Step) String() string { return strconv.Itoa(s.N) + string(s.Unit) }
