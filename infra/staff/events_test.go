package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/events"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/subject"
)

// TestEventsThroughTheStaffTool: staff create an event of 5 seats, the
// public fills it (guests, an RSVP, one address twice), one more is refused,
// a cancel frees seats, the participants' CSV is formula-safe, 0600 and
// audited, and the day before every registered participant is reminded.
func TestEventsThroughTheStaffTool(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("stev%d", time.Now().UnixNano()%1e6)
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: ctx, stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	day := helsinki.Today(stack.Clock.Now()).AddDate(0, 0, 2).Format("2006-01-02")

	if err := s.staffFails("events", "create", "-name", "X", "-date", day, "-capacity", "5"); !strings.Contains(err.Error(), "-actor") {
		t.Errorf("create without -actor: %v", err)
	}
	out := strings.Fields(s.staff("events", "create", "-name", "Historiailtapäivä", "-name-sv", "Historieeftermiddag", "-date", day, "-start", "14:00",
		"-place", "KAMU, Ahertajantie 5", "-capacity", "5", "-list", "openings", "-actor", "tester"))
	if len(out) != 2 || !events.ValidID(out[0]) || out[1] != srv.URL+"/events/signup?event="+out[0]+"&lang=fi" {
		t.Fatalf("create printed %q", out)
	}
	id, signup := out[0], strings.TrimPrefix(out[1], srv.URL)
	taken := func() string {
		t.Helper()
		for _, line := range strings.Split(s.staff("events", "list"), "\n") {
			if strings.HasPrefix(line, id) {
				return strings.Fields(line)[3]
			}
		}
		t.Fatalf("%s not listed", id)
		return ""
	}
	if got := taken(); got != "0/5" {
		t.Errorf("a new event: %s taken", got)
	}
	env := stack.Env["EventsFunction"]
	keys, err := keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]).Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run := prefix
	addr := func(who string) string { return "ev-" + who + "-" + run + "@example.com" }
	rsvp, _ := url.Parse(events.RSVPLink(&url.URL{Scheme: "http", Host: "h"}, keys.Token, id, subject.EmailKey(keys.Subject, addr("c")), "sv"))
	hyperlink := `=HYPERLINK("http://evil.example","klik")`
	steps := []struct {
		name   string
		body   map[string]string
		status int
		taken  string
	}{
		{"with two guests, a formula for a name", map[string]string{"name": hyperlink, "email": addr("a"), "guests": "2"}, 202, "3/5"},
		{"alone", map[string]string{"name": "Bea", "email": addr("b")}, 202, "4/5"},
		{"the same address again: one place", map[string]string{"name": "Bea", "email": addr("b"), "guests": "1"}, 202, "4/5"},
		{"an RSVP from an invitation", map[string]string{"name": "Cecilia", "email": addr("c"), "lang": "sv", "rsvp": rsvp.Query().Get("rsvp")}, 202, "5/5"},
		{"one more: full", map[string]string{"name": "Dan", "email": addr("d")}, 409, "5/5"},
	}
	for _, c := range steps {
		if code, body := s.post(signup, c.body); code != c.status || !strings.Contains(body, map[int]string{202: `"registered"`, 409: `"error"`}[c.status]) {
			t.Fatalf("%s: %d %s", c.name, code, body)
		}
		if got := taken(); got != c.taken {
			t.Errorf("%s: %s taken, want %s", c.name, got, c.taken)
		}
	}
	s.drain()
	receipt := s.newMails(addr("b"))
	if len(receipt) != 1 {
		t.Fatalf("b: %d receipts", len(receipt))
	}
	cancel, _ := url.Parse(s.linkIn(receipt[0], "/events/cancel"))
	if code, body := s.post("/events/cancel", map[string]string{"token": cancel.Query().Get("token")}); code != http.StatusOK {
		t.Fatalf("cancel: %d %s", code, body)
	}
	if got := taken(); got != "4/5" {
		t.Errorf("after the cancel: %s taken", got)
	}
	if code, body := s.post(signup, map[string]string{"name": "Dan", "email": addr("d")}); code != http.StatusAccepted || taken() != "5/5" {
		t.Errorf("the freed seat: %d %s", code, body)
	}

	csvPath := filepath.Join(t.TempDir(), "participants.csv")
	if msg := s.staff("events", "participants", id, "-actor", "tester", "-out", csvPath); !strings.Contains(msg, "4 participants, 5 of 5 seats") {
		t.Errorf("participants: %q", msg)
	}
	fi, err := os.Stat(csvPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the CSV: %v %v", fi, err)
	}
	b, _ := os.ReadFile(csvPath)
	csv := string(b)
	for _, want := range []string{`"'=HYPERLINK(""http://evil.example"",""klik"")"`, addr("a") + ",2,3,", addr("b") + ",0,1,fi,cancelled,form", addr("c") + ",0,1,sv,registered,rsvp", addr("d")} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV has no %s:\n%s", want, csv)
		}
	}
	if strings.Contains(csv, "\n=") || strings.Contains(csv, ",=") {
		t.Errorf("a formula left as it was:\n%s", csv)
	}
	if err := s.staffFails("events", "participants", id, "-actor", "tester", "-out", csvPath); err == nil {
		t.Error("overwrote the CSV")
	}
	if printed := s.staff("events", "participants", id, "-actor", "tester"); !strings.Contains(printed, addr("c")) {
		t.Errorf("printed list: %q", printed)
	}
	audited, err := stack.Clients().DynamoDB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(stack.Resolve("AuditTable")), KeyConditionExpression: aws.String("pk = :pk"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "AUDIT#" + stack.Clock.Now().UTC().Format("2006-01-02")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	listings := 0
	for _, it := range audited.Items {
		ev, _ := it["event"].(*types.AttributeValueMemberS)
		ref, _ := it["ref"].(*types.AttributeValueMemberS)
		actor, _ := it["actor"].(*types.AttributeValueMemberS)
		if ev != nil && ev.Value == "event.participants.listed" && ref != nil && ref.Value == id && actor != nil && actor.Value == "tester" {
			listings++
		}
	}
	if listings < 2 {
		t.Errorf("%d listings audited, want 2", listings)
	}

	// The day before at 09:00 Finnish time: one reminder each, however
	// often the schedule runs; none to the cancelled place.
	if code, body := s.post("/_local/clock", map[string]string{"set": helsinki.Today(stack.Clock.Now()).AddDate(0, 0, 1).Format("2006-01-02") + "T09:00:00+02:00"}); code != http.StatusOK {
		t.Fatalf("clock: %d %s", code, body)
	}
	for range 2 {
		if err := stack.RunSchedules(ctx, "EventsFunction"); err != nil {
			t.Fatal(err)
		}
	}
	s.drain()
	for who, want := range map[string]int{"a": 1, "b": 0, "c": 1, "d": 1} {
		got := 0
		for _, m := range s.newMails(addr(who)) {
			if strings.Contains(m.Parsed.Subject, "Muistutus") || strings.Contains(m.Parsed.Subject, "Påminnelse") {
				got++
			}
		}
		if got != want {
			t.Errorf("%s: %d reminders, want %d", who, got, want)
		}
	}
}
