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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/infra/local"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

// TestStaffRequests drives `staff requests …` through run() against a
// local stack whose requests queue nobody polls: each command's effect is
// read from the requests table and the queue itself.
func TestStaffRequests(t *testing.T) {
	ctx := context.Background()
	prefix := "staffreq" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	db, sq := stack.Clients().DynamoDB, stack.Clients().SQS
	table, queueURL := stack.Resolve("RequestsTable"), stack.Resolve("RequestsQueue")
	at := []string{"-local", "-stack", prefix}

	staff := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append(append([]string{"requests"}, args...), at...), &out)
		return out.String(), err
	}
	advance := func(step string) {
		b, _ := json.Marshal(map[string]string{"advance": step})
		resp, err := http.Post(srv.URL+local.ClockPath, "application/json", bytes.NewReader(b))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("advance the clock %s: %v %v", step, err, resp)
		}
		resp.Body.Close()
	}
	// queued receives (and deletes) everything on the requests queue.
	queued := func() []sqsqueue.Message {
		t.Helper()
		var got []sqsqueue.Message
		for {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return got
			}
			for _, m := range out.Messages {
				var msg sqsqueue.Message
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil {
					t.Fatalf("queue body %q: %v", aws.ToString(m.Body), err)
				}
				got = append(got, msg)
				if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	wantQueued := func(op, id string) {
		t.Helper()
		if got := queued(); len(got) != 1 || got[0] != (sqsqueue.Message{Op: op, ID: id}) {
			t.Fatalf("queued %+v, want only {%s %s}", got, op, id)
		}
	}
	stored := func(id string) map[string]types.AttributeValue {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: dynamo.Key("REQUEST#"+id, "REQUEST"), ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			t.Fatalf("request %s: %v, %v", id, out, err)
		}
		return out.Item
	}
	get := func(id string) requests.Request {
		t.Helper()
		var r requests.Request
		if err := attributevalue.UnmarshalMap(stored(id), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	created := regexp.MustCompile(`^request (r[0-9a-z]{12}) \((\w+)\) received; due (\d{4}-\d\d-\d\d)\n$`)
	create := func(typ, email string, more ...string) string {
		t.Helper()
		out, err := staff(append([]string{"create", "-type", typ, "-email", email, "-actor", "asiakaspalvelu-anna", "-case", "KAMU/12/2026"}, more...)...)
		m := created.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("create %s: %v\n%s", typ, err, out)
		}
		return m[1]
	}

	t.Run("bad input is refused and nothing written", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"unknown type", []string{"-type", "deletion", "-email", "a@example.org"}, `-type "deletion" is not a request type`},
			{"no type", []string{"-email", "a@example.org"}, "is not a request type: give one of access"},
			{"bad e-mail", []string{"-type", "access", "-email", "a@example"}, `-email "a@example" is not a valid e-mail address`},
			{"display name", []string{"-type", "access", "-email", "Anna <a@example.org>"}, "not a valid e-mail address"},
			{"details too long", []string{"-type", "objection", "-email", "a@example.org", "-details", strings.Repeat("ä", 4001)}, "-details is 4001 characters, at most 4000"},
			{"unknown language", []string{"-type", "access", "-email", "a@example.org", "-lang", "de"}, `-lang "de"`},
			{"deliver-to not for erasure", []string{"-type", "erasure", "-email", "a@example.org", "-deliver-to", "staff@example.fi"}, "-deliver-to is for an access request"},
			{"no actor", []string{"-type", "access", "-email", "a@example.org", "-actor", ""}, "-actor is required"},
			{"no case", []string{"-type", "access", "-email", "a@example.org", "-case", " "}, "-case is required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := append([]string{"create", "-actor", "anna", "-case", "K/1"}, tc.args...)
				out, err := staff(args...)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing written") {
					t.Fatalf("got %v (%s), want an error saying %q", err, out, tc.want)
				}
			})
		}
		// Every problem at once, not one per try.
		_, err := staff("create", "-type", "x", "-email", "y", "-actor", "anna", "-case", "K/1")
		if err == nil || !strings.Contains(err.Error(), "-type") || !strings.Contains(err.Error(), "-email") {
			t.Errorf("both problems: %v", err)
		}
		scan, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)}) // test-only scan
		if err != nil || scan.Count != 0 {
			t.Fatalf("the table holds %d items (%v), want none", scan.Count, err)
		}
		if got := queued(); len(got) != 0 {
			t.Fatalf("queued %+v", got)
		}
	})

	email := "Liisa.Virtanen@Example.org"
	var access string
	t.Run("create", func(t *testing.T) {
		now := stack.Clock.Now()
		access = create("access", email, "-details", "Kaikki tietoni, kiitos.", "-lang", "sv", "-deliver-to", "palvelupiste@example.fi")
		r := get(access)
		wantDue := requests.AddMonths(helsinki.Today(now), 1).Format(time.DateOnly)
		if r.Status != requests.Open || r.Channel != requests.Staff || r.DueOn != wantDue || r.Type != requests.Access {
			t.Errorf("stored %+v, want open, staff, due %s", r, wantDue)
		}
		if r.Email != subject.NormalizeEmail(email) || r.Lang != "sv" || r.Actor != "asiakaspalvelu-anna" || r.Case != "KAMU/12/2026" || r.DeliverTo != "palvelupiste@example.fi" || r.Details != "Kaikki tietoni, kiitos." {
			t.Errorf("stored %+v", r)
		}
		if r.OpenDue != wantDue+"#"+access {
			t.Errorf("openDue %q: not on the byOpen index by due date", r.OpenDue)
		}
		secret, err := stack.Clients().Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(stack.Env["RequestsFunction"]["SUBJECT_KEY_SECRET"])})
		if err != nil {
			t.Fatal(err)
		}
		if want := subject.EmailKey([]byte(aws.ToString(secret.SecretString)), email); r.SubjectKey != want {
			t.Errorf("subject key %s, want the function's key of the address", r.SubjectKey)
		}
		if _, ok := stored(access)["expiresAt"]; ok {
			t.Error("an open request has an expiry")
		}
		wantQueued(requests.OpProcess, access)
		// The audit log has who received it, and no address.
		var entries []map[string]types.AttributeValue
		for _, day := range []time.Time{now, stack.Clock.Now()} { // the entry's day, should midnight pass
			aud, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(stack.Resolve("AuditTable")), KeyConditionExpression: aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "AUDIT#" + day.UTC().Format(time.DateOnly)}}})
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, aud.Items...)
		}
		found := false
		for _, it := range entries {
			b, _ := json.Marshal(it)
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(email)) {
				t.Errorf("the audit entry holds the address: %s", b)
			}
			var e struct{ Event, Ref, Actor string }
			_ = attributevalue.UnmarshalMap(it, &e)
			found = found || (e.Event == "request-received" && e.Ref == access && e.Actor == "asiakaspalvelu-anna")
		}
		if !found {
			t.Errorf("no audit entry of the request under its actor in %d entries", len(entries))
		}
	})

	t.Run("rectify", func(t *testing.T) {
		rect := create("rectification", "matti@example.org", "-details", "Osoite on väärin.")
		wantQueued(requests.OpProcess, rect)
		for _, tc := range []struct {
			name, id string
			args     []string
			want     string
		}{
			{"an address change", rect, []string{"-set", "email=uusi@example.org"}, "needs a new subscription"},
			{"an undeclared attribute", rect, []string{"-set", "hetu=131052-308T"}, `"hetu" cannot be corrected`},
			{"nothing to set", rect, nil, "at least one attribute"},
			{"set twice", rect, []string{"-set", "city=Espoo", "-set", "city=Vantaa"}, "city is set twice"},
			{"not a rectification", access, []string{"-set", "city=Espoo"}, "only a rectification request"},
			{"no such request", "r0000000000zz", []string{"-set", "city=Espoo"}, "no such request"},
			{"no actor", rect, []string{"-set", "city=Espoo", "-actor", ""}, "-actor is required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := staff(append([]string{"rectify", tc.id, "-actor", "anna"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want %q", err, tc.want)
				}
			})
		}
		if got := queued(); len(got) != 0 {
			t.Fatalf("a refused correction queued %+v", got)
		}
		out, err := staff("rectify", rect, "-set", "street=Koivutie 2", "-set", "city=Espoo", "-actor", "anna")
		if err != nil || !strings.Contains(out, "correction of city, street stored") {
			t.Fatalf("rectify: %v %s", err, out)
		}
		var corr struct{ Correction map[string]string }
		_ = attributevalue.UnmarshalMap(stored(rect), &corr)
		if len(corr.Correction) != 2 || corr.Correction["street"] != "Koivutie 2" || corr.Correction["city"] != "Espoo" {
			t.Errorf("correction %v", corr.Correction)
		}
		wantQueued(requests.OpRectify, rect)
		out, err = staff("show", rect, "-actor", "anna")
		if err != nil || !strings.Contains(out, "matti@example.org") || !regexp.MustCompile(`(?m)^  street\s+Koivutie 2$`).MatchString(out) {
			t.Fatalf("show: %v\n%s", err, out)
		}
		if _, err := staff("resolve", rect, "-actor", "anna"); err != nil {
			t.Fatal(err)
		}
		wantQueued(requests.OpResolved, rect)
		if _, err := staff("rectify", rect, "-set", "city=Vantaa", "-actor", "anna"); err == nil || !strings.Contains(err.Error(), requests.ErrNotOpen.Error()) {
			t.Errorf("a correction of an answered request: %v", err)
		}
	})

	t.Run("show", func(t *testing.T) {
		out, err := staff("show", access, "-actor", "anna")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range [][2]string{{"id", access}, {"type", "access"}, {"status", "open"}, {"email", "liisa.virtanen@example.org"}, {"case", "KAMU/12/2026"},
			{"received by", "asiakaspalvelu-anna"}, {"deliver to", "palvelupiste@example.fi"}, {"details", "Kaikki tietoni, kiitos."},
			{"due now", `\d{4}-\d\d-\d\d \(\d+ days left\)`}, {"steps", `\(none\)`}} {
			if !regexp.MustCompile(`(?m)^` + want[0] + `:\s+` + want[1] + `$`).MatchString(out) {
				t.Errorf("show lacks %s: %s:\n%s", want[0], want[1], out)
			}
		}
		if _, err := staff("show", "r0000000000zz", "-actor", "anna"); err == nil || !strings.Contains(err.Error(), "no such request") {
			t.Errorf("show of an unknown id: %v", err)
		}
		if _, err := staff("show", "REQUEST#x", "-actor", "anna"); err == nil || !strings.Contains(err.Error(), "give the request's id") {
			t.Errorf("show of a malformed id: %v", err)
		}
	})

	t.Run("extend", func(t *testing.T) {
		ext := create("erasure", "ext@example.org")
		wantQueued(requests.OpProcess, ext)
		if _, err := staff("extend", ext, "-actor", "anna"); err == nil || !strings.Contains(err.Error(), "-reason is required") {
			t.Fatalf("extend without a reason: %v", err)
		}
		out, err := staff("extend", ext, "-reason", "Tiedot ovat arkistossa.", "-actor", "anna")
		r := get(ext)
		if err != nil || r.ExtendedTo == "" || !strings.Contains(out, "extended to "+r.ExtendedTo) {
			t.Fatalf("extend: %v %s; stored %+v", err, out, r)
		}
		verified, _ := time.Parse(time.RFC3339, r.VerifiedAt)
		if want := requests.ExtendedTo(verified).Format(time.DateOnly); r.ExtendedTo != want || r.ExtensionReason != "Tiedot ovat arkistossa." || r.OpenDue != want+"#"+ext {
			t.Errorf("extended to %s (%q, %s), want %s", r.ExtendedTo, r.ExtensionReason, r.OpenDue, want)
		}
		wantQueued(requests.OpExtended, ext)
		// The same command again (its message lost, say) only queues the notice again.
		if out, err := staff("extend", ext, "-reason", "Tiedot ovat arkistossa.", "-actor", "anna"); err != nil || !strings.Contains(out, "extended to "+r.ExtendedTo) {
			t.Fatalf("the same extension again: %v %s", err, out)
		}
		wantQueued(requests.OpExtended, ext)
		if _, err := staff("extend", ext, "-reason", "Vielä lisää.", "-actor", "anna"); err == nil || !strings.Contains(err.Error(), requests.ErrExtendTwice.Error()) {
			t.Errorf("a second extension: %v", err)
		}
		if got := queued(); len(got) != 0 {
			t.Errorf("a refused extension queued %+v", got)
		}
	})

	t.Run("resolve and lift", func(t *testing.T) {
		res := create("restriction", "rajoitus@example.org", "-details", "Tiedot ovat virheelliset.")
		wantQueued(requests.OpProcess, res)
		if _, err := staff("lift-restriction", access, "-actor", "anna"); err == nil || !strings.Contains(err.Error(), "not a restriction") {
			t.Errorf("lift on an access request: %v", err)
		}
		if _, err := staff("resolve", res); err == nil || !strings.Contains(err.Error(), "-actor is required") {
			t.Errorf("resolve without an actor: %v", err)
		}
		if out, err := staff("resolve", res, "-actor", "anna"); err != nil || !strings.Contains(out, res+": resolved") {
			t.Fatalf("resolve: %v %s", err, out)
		}
		if r := get(res); r.Status != requests.Resolved || r.ResolvedAt == "" || r.OpenDue != "" {
			t.Errorf("resolved %+v", r)
		}
		wantQueued(requests.OpResolved, res)
		// The restriction outlives the answered request: staff lift it later.
		if out, err := staff("lift-restriction", res, "-actor", "anna"); err != nil || !strings.Contains(out, "Art. 18(3)") {
			t.Fatalf("lift: %v %s", err, out)
		}
		wantQueued(requests.OpLift, res)
		if out, _ := staff("list"); strings.Contains(out, res) {
			t.Errorf("a resolved request is listed:\n%s", out)
		}
	})

	t.Run("list by due date, overdue marked", func(t *testing.T) {
		first := create("objection", "eka@example.org", "-details", "Ei suoramarkkinointia.")
		advance("10d")
		second := create("access", "toka@example.org")
		queued()
		row := func(out, id string) (int, string) {
			for i, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, id) {
					return i, l
				}
			}
			t.Fatalf("%s not listed:\n%s", id, out)
			return 0, ""
		}
		out, err := staff("list")
		if err != nil {
			t.Fatal(err)
		}
		i1, l1 := row(out, first)
		i2, l2 := row(out, second)
		if i1 > i2 || strings.Contains(out, "OVERDUE") || !strings.Contains(l1, "objection") || !strings.Contains(l1, "staff") || !strings.Contains(l2, "access") {
			t.Fatalf("want %s before %s, none overdue:\n%s", first, second, out)
		}
		for _, pii := range []string{"@", "Ei suoramarkkinointia", "KAMU"} {
			if strings.Contains(out, pii) {
				t.Errorf("list shows %q:\n%s", pii, out)
			}
		}
		advance("25d") // past the first's month, not the second's
		out, _ = staff("list")
		i1, l1 = row(out, first)
		i2, l2 = row(out, second)
		if i1 > i2 || !strings.Contains(l1, "OVERDUE") || strings.Contains(l2, "OVERDUE") || !regexp.MustCompile(`\s-\d+ OVERDUE$`).MatchString(l1) {
			t.Fatalf("want %s overdue first, %s not:\n%s", first, second, out)
		}
		if !strings.Contains(out, " overdue\n") {
			t.Errorf("no count line:\n%s", out)
		}
		// Too late to extend the overdue one.
		if _, err := staff("extend", first, "-reason", "Myöhässä.", "-actor", "anna"); err == nil || !strings.Contains(err.Error(), "first due date has passed") {
			t.Errorf("extend after the due date: %v", err)
		}
		if r := get(first); r.ExtendedTo != "" {
			t.Errorf("extended anyway: %+v", r)
		}
		if got := queued(); len(got) != 0 {
			t.Errorf("queued %+v", got)
		}
	})

	if _, err := staff("frobnicate"); err == nil || !strings.Contains(err.Error(), "usage: staff requests") {
		t.Errorf("unknown subcommand: %v", err)
	}
}
