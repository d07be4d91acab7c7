package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/hetu"
	"rekisteri/internal/library"
)

// TestLibraryStatsThroughTheStaffTool: a patron collected with the staff
// tool borrows through the circulation feed, six loans in Espoo and two in
// Vantaa; `staff library stats` prints and writes (0600, formula-safe) the
// loans per month and library, Vantaa's two suppressed, with neither the
// customer number nor the birth date anywhere; -by sums the counters.
func TestLibraryStatsThroughTheStaffTool(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("stls%d", time.Now().UnixNano()%1e6)
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: ctx, stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}

	idCode := hetu.Make(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 100+time.Now().Nanosecond()%800)
	code, body := s.post("/library/register", map[string]string{"first_name": "Tilda", "last_name": "Tilasto", "hetu": idCode,
		"street": "Tilastokuja 1", "postcode": "00100", "city": "Helsinki", "email": "stats-" + prefix + "@example.com",
		"lang": "sv", "channel": "email", "group": "adult"})
	var reg struct{ Reference string }
	if err := json.Unmarshal([]byte(body), &reg); err != nil || code != http.StatusAccepted {
		t.Fatalf("pre-register: %d %s", code, body)
	}
	number := strings.Fields(s.staff("library", "collect", "-reference", reg.Reference, "-actor", "tester", "-pin-link"))[0]

	now := stack.Clock.Now().UTC()
	at := now.Add(-time.Minute).Format(time.RFC3339)
	var events []map[string]any
	for i := range 8 {
		lib := "espoo"
		if i >= 6 {
			lib = "vantaa"
		}
		events = append(events, map[string]any{"id": fmt.Sprintf("%s-%d", prefix, i), "type": "loan", "customer": number, "at": at, "library": lib,
			"item": map[string]any{"id": fmt.Sprintf("st-%d", i), "title": `=HYPERLINK("http://evil.example","x")`, "price": "10.00"},
			"due":  now.AddDate(0, 0, 28).Format(time.DateOnly)})
	}
	if code, body := s.post("/library/circulation", map[string]any{"events": events}); code != http.StatusOK || !strings.Contains(body, `"accepted":8`) {
		t.Fatalf("circulation: %d %s", code, body)
	}

	month := helsinki.Local(now.Add(-time.Minute)).Format("2006-01")
	band := library.AgeBand("1980-05-17", helsinki.Today(now))
	path := filepath.Join(t.TempDir(), "stats.csv")
	out := s.staff("library", "stats", "-from", month, "-to", month, "-csv", path)
	for _, want := range []string{month + "  espoo", "6", "vantaa", "<5", "CSV written to " + path} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	csv, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "month,library,customer_group,age_band,lang,gender,loans\n" +
		month + ",espoo,adult," + band + ",sv,unknown,6\n" +
		month + ",vantaa,adult," + band + ",sv,unknown,<5\n"
	if string(csv) != want {
		t.Errorf("CSV\n%s\nwant\n%s", csv, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the CSV's mode: %v %v", fi.Mode(), err)
	}
	for _, personal := range []string{number, idCode, "1980-05-17", "Tilda", "Tilasto", "HYPERLINK"} {
		if strings.Contains(out, personal) || strings.Contains(string(csv), personal) {
			t.Errorf("the statistics carry %q", personal)
		}
	}
	if err := s.staffFails("library", "stats", "-from", month, "-to", month, "-csv", path); !strings.Contains(err.Error(), "new file") {
		t.Errorf("an existing CSV is not overwritten: %v", err)
	}

	// By library alone: the two months' counts summed over every dimension.
	var byLib bytes.Buffer
	if err := run(ctx, []string{"library", "stats", "-local", "-stack", prefix, "-from", month, "-to", month, "-by", "", "-csv", path + ".2"}, &byLib); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path + ".2"); !strings.Contains(string(got), month+",espoo,all,all,all,all,6\n") || !strings.Contains(string(got), month+",vantaa,all,all,all,all,<5\n") {
		t.Errorf("-by \"\":\n%s", got)
	}
	for _, bad := range [][]string{{"-by", "postcode"}, {"-from", "2026-13"}, {"-from", month, "-to", "2020-01"}} {
		if err := s.staffFails(append([]string{"library", "stats"}, bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
