package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"time"
)

// localClock is `make run`'s clock, read from the runner (GET /_local/clock
// at base), so that with -local the tool decides by the time the functions
// see: the default month, when a booking was invoiced and when its identity
// code's deletion clock starts. With no runner listening there is no moved
// clock (the emulators are someone else's, a test's), so it is the real one.
func localClock(ctx context.Context, base string) (func() time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_local/clock", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return time.Now, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the local clock: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Now string `json:"now"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the local clock: %s answers %s, not the runner's clock", req.URL, resp.Status)
	}
	at, err := time.Parse(time.RFC3339, out.Now)
	if err != nil {
		return nil, fmt.Errorf("read the local clock: %q is not RFC 3339", out.Now)
	}
	// The answer is to the second, and the local clock is never behind.
	offset := max(time.Until(at), 0)
	return func() time.Time { return time.Now().Add(offset) }, nil
}
