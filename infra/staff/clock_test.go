package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLocalClock(t *testing.T) {
	ahead := time.Now().AddDate(0, 0, 8)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter) // nil: no runner listening
		want   time.Duration               // how far ahead of the real clock
		err    string
	}{
		{name: "moved runner clock", want: time.Until(ahead), answer: func(w http.ResponseWriter) {
			_, _ = w.Write([]byte(`{"now":"` + ahead.Format(time.RFC3339) + `"}`))
		}},
		{name: "no runner: the real clock"},
		{name: "not the runner", err: "not the runner's clock", answer: func(w http.ResponseWriter) { http.NotFound(w, nil) }},
		{name: "not JSON", err: "not the runner's clock", answer: func(w http.ResponseWriter) { _, _ = w.Write([]byte("hello")) }},
		{name: "not RFC 3339", err: "not RFC 3339", answer: func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"now":"tomorrow"}`)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := refused
			if tc.answer != nil {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/_local/clock" || r.Method != http.MethodGet {
						http.NotFound(w, r)
						return
					}
					tc.answer(w)
				}))
				defer srv.Close()
				base = srv.URL
			}
			now, err := localClock(context.Background(), base)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error with %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Until(now()); d < tc.want-2*time.Second || d > tc.want+2*time.Second {
				t.Fatalf("want the clock %s ahead, it is %s", tc.want, d)
			}
		})
	}
}
