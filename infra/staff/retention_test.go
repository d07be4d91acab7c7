package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"rekisteri/infra/local"
)

// TestStaffRetention: -dry-run shows what would go and changes nothing; a
// run removes it and writes receipts; -runs lists them — through run(),
// against a local stack whose clock moved past an unconfirmed signup's week.
func TestStaffRetention(t *testing.T) {
	ctx := context.Background()
	prefix := "staffret" + time.Now().Format("150405")
	_, srv := localStack(t, prefix)
	post := func(path string, body any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	post("/newsletter/subscribe", map[string]any{"email": "ret-" + prefix + "@example.org", "consent": true, "lists": "newsletter"})
	post(local.ClockPath, map[string]string{"advance": "8d"})

	var out bytes.Buffer
	line := func(rule string) []string {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(rule) + `\s+(\d+)`).FindStringSubmatch(out.String())
		return m
	}
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix, "-dry-run"}, &out); err != nil {
		t.Fatal(err)
	}
	if m := line("subscription-unconfirmed"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "dry run: nothing changed") {
		t.Fatalf("dry run:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix, "-runs"}, &out); err != nil || !strings.Contains(out.String(), "no retention runs yet") {
		t.Fatalf("a dry run writes no receipt: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix}, &out); err != nil {
		t.Fatal(err)
	}
	if m := line("subscription-unconfirmed"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "(done)") {
		t.Fatalf("run:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix, "-runs"}, &out); err != nil {
		t.Fatal(err)
	}
	if m := line("subscription-unconfirmed"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "run ") {
		t.Fatalf("-runs:\n%s", out.String())
	}
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix, "-runs", "-dry-run"}, &out); err == nil {
		t.Error("-runs and -dry-run together")
	}
}
