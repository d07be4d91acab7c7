package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestTemplateThrottle: the HTTP API's throttling from template.yaml answers
// 429 past its burst. The bucket's clock is frozen, so exactly the burst gets
// through however fast or slow this machine is.
func TestTemplateThrottle(t *testing.T) {
	th := stack.TemplateThrottle()
	if th.Rate <= 0 || th.Burst < 1 {
		t.Fatalf("template.yaml declares no HTTP API throttling: %+v", th)
	}
	frozen := time.Now()
	th.Now = func() time.Time { return frozen }
	h := stack.HandlerWithThrottle(th)

	statuses := map[int]int{}
	for range int(th.Burst) + 5 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/newsletter?lang=en", nil))
		statuses[rec.Code]++
	}
	if statuses[http.StatusOK] != int(th.Burst) || statuses[http.StatusTooManyRequests] != 5 {
		t.Fatalf("burst %v: want %v × 200 then 5 × 429, got %v", th.Burst, th.Burst, statuses)
	}

	// The suite's own stack is not throttled at that pace.
	rec := httptest.NewRecorder()
	stack.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/newsletter?lang=en", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("the suite's handler: %d", rec.Code)
	}
}
