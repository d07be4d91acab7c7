package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/library"
)

// TestLibraryTransfersCommand: `library transfers -local` lists the week's
// files, and -run runs the transfer through the runner's schedules, for a
// patron pre-registered and collected, with a loan from the circulation
// feed left 60 days past its due date by the local clock.
func TestLibraryTransfersCommand(t *testing.T) {
	ctx := context.Background()
	prefix := "ltr" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	// The runner's /_local/schedules, as make run serves it.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_local/schedules", func(w http.ResponseWriter, r *http.Request) {
		if err := stack.RunSchedules(r.Context(), r.URL.Query().Get("function")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "schedules ran")
	})
	mux.Handle("/", stack.Handler())
	srv.Config.Handler = mux
	post := func(path string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	tool := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"library", "transfers", "-local", "-stack", prefix}, args...), &out)
		return out.String(), err
	}

	if out, err := tool(); err != nil || !strings.Contains(out, "no transfer files") {
		t.Fatalf("before any transfer: %v %s", err, out)
	}
	for _, bad := range [][]string{{"-week", "2026-50"}, {"extra"}} {
		if _, err := tool(bad...); err == nil {
			t.Errorf("library transfers %v: no error", bad)
		}
	}

	code, got := post("/library/register", map[string]string{
		"first_name": "Taisto", "last_name": "Perittävä", "hetu": "030377-790P", "street": "Lainaajantie 3", "postcode": "01300",
		"city": "Vantaa", "phone": "0409998888", "email": "taisto.perittava@example.com", "lang": "fi", "channel": "email", "group": "adult",
	})
	ref, _ := got["reference"].(string)
	if code != http.StatusAccepted || ref == "" {
		t.Fatalf("pre-registration: %d %v", code, got)
	}
	env, err := libraryService(ctx, libraryFlags{local: true, stack: prefix})
	if err != nil {
		t.Fatal(err)
	}
	customer, err := env.svc.Collect(ctx, ref, "tiina")
	if err != nil {
		t.Fatal(err)
	}
	now := stack.Clock.Now()
	due := helsinki.Today(now).AddDate(0, 0, 14).Format(time.DateOnly)
	if code, got := post("/library/circulation", map[string]any{"events": []map[string]any{{
		"id": "ev-" + prefix, "type": "loan", "customer": customer, "at": now.UTC().Format(time.RFC3339), "library": "vantaa",
		"item": map[string]string{"id": "it-" + prefix, "title": "Tuntematon sotilas", "price": "29.90"}, "due": due,
	}}}); code != http.StatusOK || got["accepted"] != float64(1) {
		t.Fatalf("the loan: %d %v", code, got)
	}

	// 73 days on the loan is 59 days overdue: -run transfers nothing.
	if code, got := post("/_local/clock", map[string]string{"advance": "73d"}); code != http.StatusOK {
		t.Fatalf("clock: %d %v", code, got)
	}
	if out, err := tool("-run"); err != nil || !strings.Contains(out, "the weekly transfer ran") || !strings.Contains(out, "no transfer files") {
		t.Fatalf("59 days overdue: %v\n%s", err, out)
	}
	// A day later it is 60.
	if code, got := post("/_local/clock", map[string]string{"advance": "1d"}); code != http.StatusOK {
		t.Fatalf("clock: %d %v", code, got)
	}
	week := library.TransferWeek(helsinki.Today(stack.Clock.Now()))
	out, err := tool("-run")
	if err != nil {
		t.Fatalf("-run: %v\n%s", err, out)
	}
	var row []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[0] == week {
			row = f
		}
	}
	if len(row) != 6 || row[1] != "vantaa" || row[2] != "1" || row[3] == "0" || row[5] != library.TransferFileKey(week, "vantaa") {
		t.Fatalf("the listing after -run:\n%s", out)
	}
	if strings.Contains(out, "030377-790P") || strings.Contains(out, "Perittävä") || strings.Contains(out, customer) {
		t.Errorf("the listing shows personal data:\n%s", out)
	}
	// Listing again lists the same; another week none.
	if again, err := tool("-week", week); err != nil || !strings.Contains(again, library.TransferFileKey(week, "vantaa")) {
		t.Errorf("-week %s: %v\n%s", week, err, again)
	}
	if other, err := tool("-week", "2001-W01"); err != nil || !strings.Contains(other, "no transfer files") {
		t.Errorf("-week 2001-W01: %v\n%s", err, other)
	}
}
