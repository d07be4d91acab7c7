package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"rekisteri/internal/clock"
	"rekisteri/internal/helsinki"
)

// ClockPath is where the local stack shows and moves its clock.
const ClockPath = "/_local/clock"

// ClockHandler serves the clock every function of the stack sees:
//
//	GET  /_local/clock                 {"now":"…"}
//	POST /_local/clock advance=8d      units h, d, m (months), y
//	POST /_local/clock set=2027-03-01T09:00:00+02:00
//
// as a form, a JSON object or the query string. The answer is the new time
// in RFC 3339, in Finnish time. The clock only moves forward (a set to an
// earlier time is refused with 400): leases, tokens and expiry times already
// handed out rely on it.
func ClockHandler(c *clock.Moving) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			clockAnswer(w, http.StatusOK, map[string]string{"now": FormatClock(c.Now())})
		case http.MethodPost:
			now, err := moveClock(c, r)
			if err != nil {
				clockAnswer(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			clockAnswer(w, http.StatusOK, map[string]string{"now": FormatClock(now)})
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			clockAnswer(w, http.StatusMethodNotAllowed, map[string]string{"error": "GET shows the clock, POST moves it"})
		}
	})
}

// FormatClock is t as the clock endpoint answers it: RFC 3339 in Finnish
// time, to the second.
func FormatClock(t time.Time) string {
	offset := helsinki.Local(t).Sub(t.UTC())
	return t.In(time.FixedZone("", int(offset.Seconds()))).Format(time.RFC3339)
}

func clockAnswer(w http.ResponseWriter, status int, v map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// clockBodyLimit bounds a move's body; it holds two short fields.
const clockBodyLimit = 4 << 10

// moveClock applies the advance or set the request carries.
func moveClock(c *clock.Moving, r *http.Request) (time.Time, error) {
	in, err := clockInput(r)
	if err != nil {
		return time.Time{}, err
	}
	advance, set := in.Get("advance"), in.Get("set")
	switch {
	case advance != "" && set != "":
		return time.Time{}, errors.New("give advance or set, not both")
	case advance != "":
		step, err := clock.ParseStep(advance)
		if err != nil {
			return time.Time{}, err
		}
		return c.Advance(step), nil
	case set != "":
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(set))
		if err != nil {
			hint := ""
			if strings.Contains(set, " ") {
				hint = " (a + in a form is a space: send it as %2B, e.g. curl --data-urlencode)"
			}
			return time.Time{}, fmt.Errorf("set %q: want an RFC 3339 time, e.g. 2027-03-01T09:00:00+02:00%s", set, hint)
		}
		return c.Set(t)
	}
	return time.Time{}, errors.New("give advance (e.g. 36h, 8d, 3m for months, 1y) or set (RFC 3339)")
}

// clockInput merges the query string and the body (a form or a JSON object
// of strings); a field given twice must say the same.
func clockInput(r *http.Request) (url.Values, error) {
	in := r.URL.Query()
	body, err := io.ReadAll(io.LimitReader(r.Body, clockBodyLimit+1))
	if err != nil || len(body) > clockBodyLimit {
		return nil, errors.New("the body is too large or unreadable")
	}
	fields := map[string]string{}
	if len(strings.TrimSpace(string(body))) > 0 {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch mt {
		case "application/json":
			if err := json.Unmarshal(body, &fields); err != nil {
				return nil, errors.New(`the JSON body must be an object of strings, e.g. {"advance":"8d"}`)
			}
		case "application/x-www-form-urlencoded", "":
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, errors.New("the form body does not parse")
			}
			for k, v := range form {
				if len(v) > 1 {
					return nil, fmt.Errorf("%s given %d times", k, len(v))
				}
				fields[k] = v[0]
			}
		default:
			return nil, fmt.Errorf("content type %q: send a form or JSON", mt)
		}
	}
	for k, v := range in {
		if len(v) > 1 {
			return nil, fmt.Errorf("%s given %d times", k, len(v))
		}
	}
	for k, v := range fields {
		if q := in.Get(k); q != "" && q != v {
			return nil, fmt.Errorf("%s given twice with different values", k)
		}
		in.Set(k, v)
	}
	for k := range in {
		if k != "advance" && k != "set" {
			return nil, fmt.Errorf("unknown field %q: give advance or set", k)
		}
	}
	return in, nil
}
