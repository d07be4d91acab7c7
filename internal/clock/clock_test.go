package clock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFromIsTheRealClockUnlessGiven(t *testing.T) {
	if got := From(context.Background())(); time.Since(got) > time.Second || time.Until(got) > time.Second {
		t.Fatalf("no clock in the context: want the real time, got %s", got)
	}
	fixed := time.Date(2027, 3, 1, 7, 0, 0, 0, time.UTC)
	if got := From(With(context.Background(), func() time.Time { return fixed }))(); !got.Equal(fixed) {
		t.Fatalf("want the context's clock %s, got %s", fixed, got)
	}
}

func TestParseStep(t *testing.T) {
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in    string
		after time.Time // start advanced by the step
		err   string    // a substring of the error, "" for none
	}{
		{in: "36h", after: start.Add(36 * time.Hour)},
		{in: "8d", after: time.Date(2026, 2, 8, 10, 0, 0, 0, time.UTC)},
		{in: "1d", after: start.Add(24 * time.Hour)},
		{in: "3m", after: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}, // 31 April normalised
		{in: "1m", after: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)},
		{in: "1y", after: time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)},
		{in: " 8d ", after: time.Date(2026, 2, 8, 10, 0, 0, 0, time.UTC)},
		{in: "8", err: "want a whole number and a unit"},
		{in: "", err: "want a whole number and a unit"},
		{in: "d", err: "want a whole number and a unit"},
		{in: "8w", err: "the unit is h (hours), d (days), m (months) or y (years)"},
		{in: "30s", err: "the unit is"},
		{in: "8D", err: "the unit is"},
		{in: "-8d", err: "only moves forward"},
		{in: "+8d", err: "whole number"},
		{in: "1.5d", err: "whole number"},
		{in: "xd", err: "whole number"},
		{in: "0d", err: "from 1 to"},
		{in: "10001h", err: "from 1 to"},
		{in: "99999999999999999999d", err: "whole number"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			step, err := ParseStep(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error with %q, got %v (%v)", tc.err, err, step)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := step.After(start); !got.Equal(tc.after) {
				t.Fatalf("%s after %s: want %s, got %s", tc.in, start, tc.after, got)
			}
		})
	}
}

// fakeReal is a real clock the test moves by hand.
type fakeReal struct{ t time.Time }

func (f *fakeReal) now() time.Time { return f.t }

func TestMovingAdvancesSetsAndKeepsFlowing(t *testing.T) {
	real := &fakeReal{t: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)}
	c := NewMoving(real.now)
	if !c.Now().Equal(real.t) {
		t.Fatalf("an unmoved clock is the real one: %s", c.Now())
	}
	want := real.t.AddDate(0, 0, 8)
	if got := c.Advance(Step{N: 8, Unit: 'd'}); !got.Equal(want) || !c.Now().Equal(want) {
		t.Fatalf("advance 8d: want %s, got %s / %s", want, got, c.Now())
	}
	real.t = real.t.Add(90 * time.Second)
	if got := c.Now(); !got.Equal(want.Add(90 * time.Second)) {
		t.Fatalf("time keeps flowing after a move: want %s, got %s", want.Add(90*time.Second), got)
	}
	set := time.Date(2027, 3, 1, 9, 0, 0, 0, time.FixedZone("", 2*3600))
	if got, err := c.Set(set); err != nil || !got.Equal(set) || !c.Now().Equal(set) {
		t.Fatalf("set: want %s, got %s, %v", set, got, err)
	}
	if _, err := c.Set(set); err != nil {
		t.Fatalf("setting the time it is now is no move back: %v", err)
	}
	for _, back := range []time.Time{set.Add(-time.Second), set.AddDate(-1, 0, 0), real.t} {
		got, err := c.Set(back)
		if !errors.Is(err, ErrBackwards) || !got.Equal(set) || !c.Now().Equal(set) {
			t.Fatalf("set back to %s: want ErrBackwards and the clock unchanged at %s, got %s, %v", back, set, c.Now(), err)
		}
	}
}

func TestMovingNeverGoesBackwardsWithTheRealClock(t *testing.T) {
	c := NewMoving(nil)
	prev := c.Now()
	for i := range 1000 {
		if i%100 == 0 {
			c.Advance(Step{N: 1, Unit: 'h'})
		}
		now := c.Now()
		if now.Before(prev) {
			t.Fatalf("the clock went back from %s to %s", prev, now)
		}
		prev = now
	}
}
