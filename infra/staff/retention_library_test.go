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
	"rekisteri/internal/hetu"
)

// TestStaffRetentionLibrary: staff retention -register library -dry-run
// shows the libraries' sweep would remove a pre-registration left 3 months
// and changes nothing; the run removes it; -runs lists its receipt, apart
// from the museum's; another register is refused.
func TestStaffRetentionLibrary(t *testing.T) {
	ctx := context.Background()
	prefix := "staffret" + "lib" + time.Now().Format("150405")
	_, srv := localStack(t, prefix)
	post := func(path string, body any) string {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Reference string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return out.Reference
	}
	idCode := hetu.Make(time.Now().AddDate(-33, 0, -5), 417)
	ref := post("/library/register", map[string]string{"first_name": "Ritva", "last_name": "Rekisteri", "hetu": idCode, "street": "Poistotie 3",
		"postcode": "02100", "city": "Espoo", "email": "ritva-" + prefix + "@example.org", "lang": "fi", "channel": "email", "group": "adult"})
	if ref == "" {
		t.Fatal("no reference")
	}
	post(local.ClockPath, map[string]string{"advance": "2210h"}) // 3 months and a day

	var out bytes.Buffer
	line := func(rule string) []string {
		return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(rule) + `\s+(\d+)`).FindStringSubmatch(out.String())
	}
	retention := func(args ...string) error {
		out.Reset()
		return run(ctx, append([]string{"retention", "-register", "library", "-local", "-stack", prefix}, args...), &out)
	}
	if err := retention("-dry-run"); err != nil {
		t.Fatal(err)
	}
	if m := line("preregistration-uncollected"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "dry run: nothing changed") {
		t.Fatalf("dry run:\n%s", out.String())
	}
	if err := retention("-runs"); err != nil || !strings.Contains(out.String(), "no retention runs yet") {
		t.Fatalf("a dry run writes no receipt: %v\n%s", err, out.String())
	}
	if err := retention(); err != nil {
		t.Fatal(err)
	}
	if m := line("preregistration-uncollected"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "(done)") {
		t.Fatalf("run:\n%s", out.String())
	}
	if err := retention("-runs"); err != nil {
		t.Fatal(err)
	}
	if m := line("preregistration-uncollected"); m == nil || m[1] != "1" || !strings.Contains(out.String(), "kept") || line("subscription-unconfirmed") != nil {
		t.Fatalf("-runs lists the libraries' receipts only:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"retention", "-local", "-stack", prefix, "-runs"}, &out); err != nil || !strings.Contains(out.String(), "no retention runs yet") {
		t.Fatalf("the museum's -runs lists the libraries' run: %v\n%s", err, out.String())
	}
	if err := retention("-dry-run", "-register", "zoo"); err == nil {
		t.Error("-register zoo")
	}
}
