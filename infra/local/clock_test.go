package local

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/clock"
)

func TestClockHandler(t *testing.T) {
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC) // 20:00 in Helsinki
	const form, js = "application/x-www-form-urlencoded", "application/json"
	for _, tc := range []struct {
		name, method, target, contentType, body string
		status                                  int
		now                                     string // the answer's now, or "" when an error
		err                                     string // a substring of the answer's error
	}{
		{name: "show", method: "GET", target: "/_local/clock", status: 200, now: "2026-12-01T20:00:00+02:00"},
		{name: "form advance", method: "POST", target: "/_local/clock", contentType: form, body: "advance=8d", status: 200, now: "2026-12-09T20:00:00+02:00"},
		{name: "form advance with charset", method: "POST", target: "/_local/clock", contentType: form + "; charset=utf-8", body: "advance=36h", status: 200, now: "2026-12-03T08:00:00+02:00"},
		{name: "JSON advance", method: "POST", target: "/_local/clock", contentType: js, body: `{"advance":"3m"}`, status: 200, now: "2027-03-01T20:00:00+02:00"},
		{name: "query advance", method: "POST", target: "/_local/clock?advance=1y", status: 200, now: "2027-12-01T20:00:00+02:00"},
		{name: "query and form agree", method: "POST", target: "/_local/clock?advance=1y", contentType: form, body: "advance=1y", status: 200, now: "2027-12-01T20:00:00+02:00"},
		{name: "set", method: "POST", target: "/_local/clock", contentType: form, body: "set=2027-03-01T09:00:00%2B02:00", status: 200, now: "2027-03-01T09:00:00+02:00"},
		{name: "set in UTC, answered in summer time", method: "POST", target: "/_local/clock", contentType: js, body: `{"set":"2027-06-01T06:00:00Z"}`, status: 200, now: "2027-06-01T09:00:00+03:00"},
		{name: "set to now", method: "POST", target: "/_local/clock?set=2026-12-01T18:00:00Z", status: 200, now: "2026-12-01T20:00:00+02:00"},
		{name: "set backwards", method: "POST", target: "/_local/clock", contentType: form, body: "set=2026-11-30T09:00:00%2B02:00", status: 400, err: "only moves forward"},
		{name: "negative advance", method: "POST", target: "/_local/clock", contentType: form, body: "advance=-1d", status: 400, err: "only moves forward"},
		{name: "bad unit", method: "POST", target: "/_local/clock", contentType: form, body: "advance=8w", status: 400, err: "the unit is h (hours), d (days), m (months) or y (years)"},
		{name: "no unit", method: "POST", target: "/_local/clock", contentType: form, body: "advance=8", status: 400, err: "a whole number and a unit"},
		{name: "zero", method: "POST", target: "/_local/clock", contentType: form, body: "advance=0h", status: 400, err: "from 1 to"},
		{name: "set with a form's + as a space", method: "POST", target: "/_local/clock", contentType: form, body: "set=2027-03-01T09:00:00+02:00", status: 400, err: "send it as %2B"},
		{name: "set not RFC 3339", method: "POST", target: "/_local/clock", contentType: form, body: "set=2027-03-01", status: 400, err: "RFC 3339"},
		{name: "both", method: "POST", target: "/_local/clock", contentType: form, body: "advance=1d&set=2027-03-01T09:00:00Z", status: 400, err: "not both"},
		{name: "neither", method: "POST", target: "/_local/clock", status: 400, err: "give advance"},
		{name: "unknown field", method: "POST", target: "/_local/clock", contentType: form, body: "forward=1d", status: 400, err: `unknown field "forward"`},
		{name: "repeated field", method: "POST", target: "/_local/clock", contentType: form, body: "advance=1d&advance=2d", status: 400, err: "given 2 times"},
		{name: "query and body differ", method: "POST", target: "/_local/clock?advance=1d", contentType: form, body: "advance=2d", status: 400, err: "different values"},
		{name: "JSON not strings", method: "POST", target: "/_local/clock", contentType: js, body: `{"advance":8}`, status: 400, err: "object of strings"},
		{name: "other media type", method: "POST", target: "/_local/clock", contentType: "text/plain", body: "advance=1d", status: 400, err: "send a form or JSON"},
		{name: "too large", method: "POST", target: "/_local/clock", contentType: form, body: "advance=1d&x=" + strings.Repeat("a", 5000), status: 400, err: "too large"},
		{name: "other method", method: "DELETE", target: "/_local/clock", status: 405, err: "POST moves it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clock.NewMoving(func() time.Time { return start })
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			ClockHandler(c).ServeHTTP(rec, req)
			var out map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("want a JSON answer, got %q %q", rec.Header().Get("Content-Type"), rec.Body)
			}
			if rec.Code != tc.status || out["now"] != tc.now || !strings.Contains(out["error"], tc.err) || len(out) != 1 {
				t.Fatalf("want %d now=%q error~%q, got %d %v", tc.status, tc.now, tc.err, rec.Code, out)
			}
			if tc.status != 200 && !c.Now().Equal(start) {
				t.Fatalf("a refused move must leave the clock: %s", c.Now())
			}
		})
	}
}

// TestHandlerServesTheClock: the stack's HTTP handler (the runner's and the
// e2e suite's) serves /_local/clock over the stack's own clock, unthrottled.
func TestHandlerServesTheClock(t *testing.T) {
	s := &Stack{Clock: clock.NewMoving(nil)}
	h := s.HandlerWithThrottle(Throttle{Rate: 0, Burst: 0})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_local/clock?advance=2d", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("want 200 from the clock even with no throttle tokens, got %d %s", rec.Code, rec.Body)
	}
	if d := time.Until(s.Clock.Now()); d < 47*time.Hour || d > 49*time.Hour {
		t.Fatalf("the stack's clock should be 2 days ahead, is %s", d)
	}
}

// TestEveryFunctionTakesTheClock: each capability's composition root
// (internal/<capability>/function.go, where the constructors the local
// stack and Lambda's mains both call are) hands its services the clock from
// its context, so a function added later sees the moved clock too.
func TestEveryFunctionTakesTheClock(t *testing.T) {
	roots := map[string]bool{}
	for name, c := range Constructors {
		file, _ := runtime.FuncForPC(reflect.ValueOf(c).Pointer()).FileLine(reflect.ValueOf(c).Pointer())
		if filepath.Base(file) != "function.go" || filepath.Base(filepath.Dir(filepath.Dir(file))) != "internal" {
			t.Errorf("%s's constructor is in %s: want it in its capability's composition root, internal/<capability>/function.go", name, file)
			continue
		}
		roots[file] = true
	}
	if len(roots) == 0 {
		t.Fatal("no constructors")
	}
	for p := range roots {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "clock.From(ctx)") {
			t.Errorf("%s: its services must decide by clock.From(ctx), the local stack's movable clock (real time in Lambda)", p)
		}
	}
}
