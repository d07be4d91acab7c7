package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/campaign"
	"rekisteri/internal/contacts"
	"rekisteri/internal/events"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// TestCommunicationOnTheSuiteStack runs the museum's communication on the
// suite's own stack, so that the ZZ scans (no test data in a log line or a
// queue message; every stored attribute declared) cover it too: a campaign
// as the staff tool sends one, its link followed, a hard bounce through
// /_local/ses-events, an event signup and a media contact's Art. 14 notice.
func TestCommunicationOnTheSuiteStack(t *testing.T) {
	ctx := context.Background()
	reg := register.MustLoad("museum")
	db := stack.Clients().DynamoDB
	base, _ := url.Parse(stack.Env["NewsletterFunction"]["PUBLIC_BASE_URL"])
	env := stack.Env["NewsletterFunction"]
	keys := keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"])
	recs := record.MustCatalogue(reg, map[string]string{"campaigns": stack.Resolve("CampaignsTable"), "audit": stack.Resolve("AuditTable"),
		"subscribers": stack.Resolve("SubscribersTable"), "mail": stack.Resolve("MailTable")})

	reader := newAddress(t)
	confirmedSubscriber(t, reader)
	id := "ke2e-" + randomHex(4)
	c, err := campaign.New(now(), id, "newsletter", "e2e-staff", map[string]campaign.Source{
		"fi": {Subject: "Syksyn näyttely " + id, Body: "Tervetuloa [avajaisiin](https://kamu.example.fi/avajaiset)!"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := campaign.Create(ctx, db, recs, c, now()); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(sqsqueue.Message{Op: campaign.OpSend, ID: id})
	if _, err := stack.Clients().SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Resolve("CampaignsQueue")), MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	drain(t)
	var goLink string
	for _, m := range mailsTo(t, reader) {
		if strings.HasSuffix(m.Parsed.Subject, id) {
			for _, l := range m.Links() {
				if strings.Contains(l, "/newsletter/go?") {
					goLink = l
				}
			}
		}
	}
	if goLink == "" {
		t.Fatal("the campaign's mail, with its link through the activity redirect, did not come")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(goLink)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://kamu.example.fi/avajaiset" {
		t.Errorf("the activity redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// SES says the reader's address bounced for good.
	at := now().UTC().Format("2006-01-02T15:04:05.000Z")
	bounce := fmt.Sprintf(`{"eventType":"Bounce","bounce":{"feedbackId":"fb-%s","bounceType":"Permanent","bounceSubType":"General","timestamp":%q,`+
		`"bouncedRecipients":[{"emailAddress":%q,"diagnosticCode":"smtp; 550 5.1.1 %s: user unknown"}]},"mail":{"timestamp":%q,"messageId":"m-%s",`+
		`"source":"noreply@example.fi","destination":[%q],"tags":{"list":["newsletter"]}}}`, randomHex(6), at, reader, reader, at, randomHex(6), reader)
	if r := post(t, "/_local/ses-events", bounce); r.Status != http.StatusAccepted {
		t.Fatalf("ses event: %d %s", r.Status, r.Body)
	}
	drain(t)
	if sub := subscriptionOf(t, reader, "newsletter"); sub["status"] != "undeliverable" || sub["undeliverable"] != "newsletter" || sub["sendTo"] != nil || sub["expiresAt"] == nil {
		t.Errorf("a hard bounce takes the address off the audience, due by its rule: %v", sub)
	}
	// The person signs up again (a new mailbox): confirmed by mail, on the list again.
	confirmedSubscriber(t, reader)
	if sub := subscriptionOf(t, reader, "newsletter"); sub["status"] != "active" || sub["undeliverable"] != nil || sub["sendTo"] == nil {
		t.Errorf("signing up again after a bounce puts the address back on the audience: %v", sub)
	}

	// An event, and a signup to it with a guest.
	evs := events.NewService(reg, db, keys, events.Tables{Events: stack.Resolve("EventsTable"), Mail: stack.Resolve("MailTable"),
		Bookings: stack.Resolve("BookingsTable"), Audit: stack.Resolve("AuditTable")}, base).At(now)
	ev, err := evs.Create(ctx, events.NewEvent{Name: map[string]string{"fi": "Työpaja"}, Date: helsinki.Today(now()).AddDate(0, 0, 10).Format("2006-01-02"),
		Capacity: 3, Actor: "e2e-staff"})
	if err != nil {
		t.Fatal(err)
	}
	guest := newAddress(t)
	remember("Gustav Gäst")
	if r := post(t, "/events/signup?event="+ev.ID, url.Values{"name": {"Gustav Gäst"}, "email": {guest}, "guests": {"1"}, "lang": {"sv"}}, "Accept", "application/json"); r.Status != http.StatusAccepted {
		t.Fatalf("event signup: %d %s", r.Status, r.Body)
	}
	drain(t)
	if _, ok := mailWith(t, guest, "/events/cancel"); !ok {
		t.Error("the signup's receipt, with its cancel link, did not come")
	}

	// A media contact from a public source gets the Art. 14 notice.
	store, err := contacts.NewStore(db, record.MustCatalogue(reg, map[string]string{"subscribers": stack.Resolve("SubscribersTable"),
		"mail": stack.Resolve("MailTable"), "audit": stack.Resolve("AuditTable")}), keys, base, now)
	if err != nil {
		t.Fatal(err)
	}
	journalist := newAddress(t)
	remember("Tiina Toimittaja")
	if err := store.AddMedia(ctx, contacts.Media{Email: journalist, Name: "Tiina Toimittaja", Outlet: "Länsiväylä", Source: "the outlet's web page", Lang: "fi"}, "e2e-staff"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if len(mailsTo(t, journalist)) != 1 {
		t.Error("the media contact's Art. 14 notice did not come")
	}
}
