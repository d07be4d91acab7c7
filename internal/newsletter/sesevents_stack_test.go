package newsletter_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/audience"
	"rekisteri/internal/mail"
	"rekisteri/internal/newsletter"
	"rekisteri/internal/token"
)

const (
	hardFixture      = "sqs-ses-events-hard-bounce.json"
	softFixture      = "sqs-ses-events-soft-bounce.json"
	complaintFixture = "sqs-ses-events-complaint.json"
)

// TestSESEvents: what a bounce or a complaint does to the subscriptions of
// its recipient, once per feedback id.
func TestSESEvents(t *testing.T) {
	h := newHarness(t, "nls")
	both := []string{"newsletter", "openings"}
	type step func(h *harness, email string)
	event := func(fixture, feedback string, tags map[string][]string) step {
		return func(h *harness, email string) {
			if f := h.queue(h.sesRecord(fixture, email, feedback, tags)); len(f) != 0 {
				h.t.Fatalf("%s %s reported failed", fixture, feedback)
			}
		}
	}
	follow := func(h *harness, email string) {
		const u = "https://www.example.fi/nayttely"
		a := token.Sign(h.tokenKey, token.Claims{Purpose: token.Activity, Subject: h.sk(email), Expires: h.s.Clock.Now().Add(time.Hour).Unix()})
		rec := h.do("GET", "/newsletter/go?u="+url.QueryEscape(u)+"&s="+token.SignURL(h.tokenKey, u)+"&a="+url.QueryEscape(a), "", "")
		if rec.Code != 303 {
			h.t.Fatalf("follow: %d", rec.Code)
		}
	}
	// state is what a test reads of one list's subscription.
	type state struct{ status, sendTo, undeliverable, softBounces, email, withdrawalChannel string }
	on := func(h *harness, email, list string) state {
		return state{"active", audience.Key(list, h.pk(email)), "", "0", email, ""}
	}
	undeliverable := func(h *harness, email, list string) state {
		return state{newsletter.Undeliverable, "", list, "", email, ""}
	}
	withdrawn := func(h *harness, email, list string) state {
		return state{"unsubscribed", "", "", "0", "", newsletter.ComplaintChannel}
	}
	tests := []struct {
		name  string
		lists []string
		steps []step
		want  map[string]func(h *harness, email, list string) state
		// soft is softBounces where it matters ("" leaves it unchecked).
		soft string
	}{
		{"hard bounce: off every list, undeliverable", both, []step{event(hardFixture, "hard-1", nil)},
			map[string]func(*harness, string, string) state{"newsletter": undeliverable, "openings": undeliverable}, ""},
		{"one soft bounce: counted, still on the lists", both, []step{event(softFixture, "soft-1", nil)},
			map[string]func(*harness, string, string) state{"newsletter": on, "openings": on}, "1"},
		{"a soft bounce redelivered counts once", []string{"newsletter"}, []step{event(softFixture, "soft-2", nil), event(softFixture, "soft-2", nil)},
			map[string]func(*harness, string, string) state{"newsletter": on}, "1"},
		{"three soft bounces in a row: as hard", both, []step{event(softFixture, "soft-3a", nil), event(softFixture, "soft-3b", nil), event(softFixture, "soft-3c", nil)},
			map[string]func(*harness, string, string) state{"newsletter": undeliverable, "openings": undeliverable}, "3"},
		{"a followed link between soft bounces: not in a row", []string{"newsletter"}, []step{
			event(softFixture, "soft-4a", nil), event(softFixture, "soft-4b", nil), follow, event(softFixture, "soft-4c", nil), event(softFixture, "soft-4d", nil),
		}, map[string]func(*harness, string, string) state{"newsletter": on}, "2"},
		{"complaint about the openings mail: that list withdrawn", both, []step{event(complaintFixture, "complaint-1", map[string][]string{mail.ParamList: {"openings"}})},
			map[string]func(*harness, string, string) state{"newsletter": on, "openings": withdrawn}, ""},
		{"complaint naming no list: every list withdrawn", both, []step{event(complaintFixture, "complaint-2", nil)},
			map[string]func(*harness, string, string) state{"newsletter": withdrawn, "openings": withdrawn}, ""},
		{"complaint about a list already left: no other list withdrawn", both, []step{
			func(h *harness, email string) { h.unsubscribe(email, "openings") },
			event(complaintFixture, "complaint-4", map[string][]string{mail.ParamList: {"openings"}}),
		}, map[string]func(*harness, string, string) state{"newsletter": on, "openings": func(h *harness, email, list string) state {
			return state{"unsubscribed", "", "", "0", "", "one-click"}
		}}, ""},
		{"complaint redelivered: nothing more", both, []step{event(complaintFixture, "complaint-3", nil), event(complaintFixture, "complaint-3", nil)},
			map[string]func(*harness, string, string) state{"newsletter": withdrawn, "openings": withdrawn}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			email := h.email(tc.name)
			h.subscribe(email, true, tc.lists...)
			for _, s := range tc.steps {
				s(h, email)
			}
			for list, wantOf := range tc.want {
				sub := h.sub(email, list)
				want := wantOf(h, email, list)
				got := state{h.str(sub, "status"), h.str(sub, audience.Attr), h.str(sub, audience.Undeliverable), h.str(sub, audience.SoftBounces), h.str(sub, "email"), h.str(h.receipt(email, list), "withdrawalChannel")}
				if want.undeliverable != "" {
					if h.str(sub, audience.UndeliverableAt) == "" {
						t.Errorf("%s: undeliverable without undeliverableAt", list)
					}
					want.softBounces = got.softBounces // checked below, where it matters
				}
				if tc.soft != "" {
					want.softBounces = tc.soft
				}
				if got != want {
					t.Errorf("%s:\n got %+v\nwant %+v", list, got, want)
				}
			}
		})
	}
}

// TestSESEventMarker: the first change of an event writes its marker, a
// kind of its own without any address; an unknown recipient, or another
// kind of event, writes nothing at all.
func TestSESEventMarker(t *testing.T) {
	h := newHarness(t, "nlm")
	email := h.email("marker")
	h.subscribe(email, true, "newsletter")
	if f := h.queue(
		h.sesRecord(hardFixture, email, "marker-known", nil),
		h.sesRecord(hardFixture, "nobody@example.com", "marker-unknown", nil),
	); len(f) != 0 {
		t.Fatalf("failed: %v", f)
	}
	tests := []struct {
		feedback string
		want     bool
	}{{"marker-known", true}, {"marker-unknown", false}}
	for _, tc := range tests {
		t.Run(tc.feedback, func(t *testing.T) {
			h.t = t
			it := h.get("SESFEEDBACK#"+tc.feedback, "SESFEEDBACK")
			if (it != nil) != tc.want {
				t.Fatalf("marker stored: %v, want %v", it != nil, tc.want)
			}
			if it == nil {
				return
			}
			for k := range it {
				switch k {
				case "pk", "sk", "kind", "feedbackType", "receivedAt", "expiresAt", "expiryBucket", "purgeAt", "expiryRule":
				default:
					t.Errorf("the marker holds %s", k)
				}
			}
			if h.str(it, "kind") != "ses-feedback" || h.str(it, "feedbackType") != "hard-bounce" || h.str(it, "expiresAt") == "" {
				t.Errorf("marker %v", it)
			}
		})
	}
}

// TestQueueDispatch: the newsletter function's queue handler takes both of
// its queues' messages in one batch: SES events (the events/ fixtures) to
// the event handler, claim checks to the signups path; a malformed event or
// an SNS subscription confirmation is reported failed (for the DLQ), and no
// log line holds an address.
func TestQueueDispatch(t *testing.T) {
	h := newHarness(t, "nlq")
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	var recs []events.SQSMessage
	for _, f := range []string{hardFixture, softFixture, complaintFixture} {
		var ev events.SQSEvent
		if err := json.Unmarshal(readFixture(t, f), &ev); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, ev.Records...)
	}
	envelope := func(typ, message string) string {
		b, _ := json.Marshal(map[string]string{"Type": typ, "Message": message, "TopicArn": "arn:aws:sns:eu-north-1:123456789012:rekisteri-ses-events"})
		return string(b)
	}
	tests := []struct {
		id, body   string
		wantFailed bool
	}{
		{"malformed-json", envelope("Notification", `{"eventType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"leak@example.com"}]}}`), true},
		{"not-json-message", envelope("Notification", "leak@example.com"), true},
		{"subscription-confirmation", envelope("SubscriptionConfirmation", ""), true},
		{"no-type-value", `{"Type":"","Message":"leak@example.com"}`, true},
		{"signup-handled-before", `{"op":"signup","id":"0123456789abcdef"}`, false},
		{"signup-bad-claim", `{"op":"signup","email":"leak@example.com"}`, true},
	}
	for _, tc := range tests {
		recs = append(recs, events.SQSMessage{MessageId: tc.id, Body: tc.body})
	}
	failed := map[string]bool{}
	for _, id := range h.queue(recs...) {
		failed[id] = true
	}
	for _, r := range recs[:3] {
		if failed[r.MessageId] {
			t.Errorf("fixture %s failed", r.MessageId)
		}
	}
	for _, tc := range tests {
		if failed[tc.id] != tc.wantFailed {
			t.Errorf("%s: failed %v, want %v", tc.id, failed[tc.id], tc.wantFailed)
		}
	}
	for _, leak := range []string{"@example.com", "@example.org", "jane.doe", "matti", "liisa"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("a log line holds %q:\n%s", leak, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "malformed event") || !strings.Contains(logs.String(), "subscription confirmation") {
		t.Errorf("the failures are not logged:\n%s", logs.String())
	}
}
