package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
	"rekisteri/internal/booking"
	"rekisteri/internal/campaign"
	"rekisteri/internal/contacts"
	"rekisteri/internal/events"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/retention"
	"rekisteri/internal/sqsqueue"
)

// retentionCases: every declared rule with a keep period, and how the test
// makes an item under it through the public entry points.
var retentionCases = []struct{ rule, made string }{
	{"subscription-unconfirmed", "subscribe without confirming"},
	{"consent-unconfirmed", "subscribe without confirming"},
	{"subscription-withdrawn", "subscribe, confirm, unsubscribe"},
	{"consent-evidence", "subscribe, confirm, unsubscribe"},
	{"signup-request", "survey with newsletter consent, not yet handed over"},
	{"feedback-answer", "survey"},
	{"feedback-text", "survey with free text"},
	{"feedback-contact", "survey with a reply wanted"},
	{"booking-accounting", "every booking"},
	{"hetu-open", "booking by invoice with an identity code, left undecided"},
	{"hetu-invoiced", "booking by invoice, accepted, invoiced"},
	{"capacity", "accepted booking"},
	{"mail-log", "every mail"},
	{"audit-log", "decisions and the invoice export"},
	{"mail-budget", "booking mail to an unverified address"},
	{"retention-receipt", "the first run's receipts"},
	{"request-unverified", "a data-subject request nobody verified"},
	{"request-answered", "an objection, verified and answered"},
	{"request-receipt", "the objection's receipt"},
	{"ses-feedback", "an SES bounce of the unconfirmed signup's address"},
	{"campaign-kept", "a campaign as staff write one"},
	{"senior-removed", "a senior staff entered from a paper form, then removed"},
	{"media-contact-objected", "a media contact staff entered, who objected by the notice's link"},
	{"art14-notice", "the Art. 14 notice of a media contact"},
	{"event-kept", "an event as staff create one"},
	{"participant-after-event", "a signup to the event through its public form"},
	// Three years of inactivity come first: TestInactiveSubscribersAskedOnceThenRemoved
	// makes these and sweeps them (an item due before the sweep's TTL
	// backstop is TTL's in AWS, which DynamoDB Local does not run).
	{"subscription-undeliverable", "a confirmed subscriber whose address bounced hard"},
	{"consent-undeliverable", "the same subscriber's consent receipt"},
	{"subscription-unanswered", "elsewhere: TestInactiveSubscribersAskedOnceThenRemoved"},
	{"consent-unanswered", "elsewhere: TestInactiveSubscribersAskedOnceThenRemoved"},
}

// TestRetentionCasesCoverEveryRule: a rule declared later without a case
// in its register's table (retentionCases, libraryRetentionCases) fails, so
// no rule goes unenforced and untested.
func TestRetentionCasesCoverEveryRule(t *testing.T) {
	for _, reg := range []struct {
		id    string
		cases []struct{ rule, made string }
	}{{"museum", retentionCases}, {"library", libraryRetentionCases}} {
		t.Run(reg.id, func(t *testing.T) {
			has := map[string]bool{}
			for _, c := range reg.cases {
				has[c.rule] = true
			}
			for _, k := range register.MustLoad(reg.id).Records {
				for _, r := range k.Retention {
					if !r.Keep.IsZero() && !has[r.ID] {
						t.Errorf("rule %s of %s keeps %v but has no retention e2e case", r.ID, k.Kind, r.Keep)
					}
					if r.Keep.IsZero() && has[r.ID] {
						t.Errorf("rule %s keeps no period: nothing for the sweep to do", r.ID)
					}
				}
			}
		})
	}
}

// retentionSite is a stack of its own on the suite's emulators whose clock
// moves by years, with a call recorder on its functions' SDK.
type retentionSite struct {
	clockSite
	rec *awsprobe.Recorder
}

func startRetentionSite(t *testing.T) *retentionSite {
	t.Helper()
	root, _ := filepath.Abs("../..")
	srv := httptest.NewUnstartedServer(nil)
	ddb, moto := os.Getenv("REKISTERI_TEST_DYNAMODB"), os.Getenv("REKISTERI_TEST_MOTO")
	if stack.Emulators != nil {
		ddb, moto = stack.Emulators.DynamoDBURL, stack.Emulators.MotoURL
	}
	rec := awsprobe.NewRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := local.Start(ctx, local.Options{
		RepoRoot: root, Prefix: suitePrefix("ret" + randomHex(3)), PublicBaseURL: "http://" + srv.Listener.Addr().String(),
		DynamoDBURL: ddb, MotoURL: moto, LogDir: filepath.Join(root, ".local", "test-logs"), VisibilityTimeout: 1,
		Throttle: local.Throttle{Rate: 1e6, Burst: 1e6}, Configure: rec.Attach,
		OnMessage: func(queue, body string) {
			if queue == sesEventsQueue {
				return // SES's own format names the recipient: the one queue that does
			}
			captureMu.Lock()
			bodies = append(bodies, body)
			captureMu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("retention stack: %v", err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &retentionSite{clockSite: clockSite{stack: s, url: srv.URL}, rec: rec}
}

var logicalTables = map[string]string{"subscribers": "SubscribersTable", "feedback": "FeedbackTable", "bookings": "BookingsTable", "mail": "MailTable", "audit": "AuditTable", "requests": "RequestsTable", "campaigns": "CampaignsTable", "events": "EventsTable"}

func (r *retentionSite) catalogue() *record.Catalogue {
	deployed := map[string]string{}
	for declared, logical := range logicalTables {
		deployed[declared] = r.stack.Resolve(logical)
	}
	return record.MustCatalogue(register.MustLoad("museum"), deployed)
}

// stored is one item as the test sees it (the test may Scan its own tables;
// the sweep never does).
type stored struct {
	table, pk, sk, rule string
	expiresAt           int64
	restricted          bool
}

func (s stored) id() string { return s.table + "|" + s.pk + "|" + s.sk }

func (r *retentionSite) scan(t *testing.T) map[string]stored {
	t.Helper()
	out := map[string]stored{}
	for declared, logical := range logicalTables {
		in := &dynamodb.ScanInput{TableName: aws.String(r.stack.Resolve(logical)), ConsistentRead: aws.Bool(true)}
		for {
			page, err := r.stack.Clients().DynamoDB.Scan(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				s := stored{table: declared, pk: str(it["pk"]), sk: str(it["sk"]), rule: str(it["expiryRule"])}
				if n, ok := it["expiresAt"].(*types.AttributeValueMemberN); ok {
					s.expiresAt, _ = strconv.ParseInt(n.Value, 10, 64)
				}
				_, s.restricted = it["restrictedAt"]
				out[s.id()] = s
			}
			if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
				break
			}
		}
	}
	return out
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func (r *retentionSite) receipts(t *testing.T) []retention.Receipt {
	t.Helper()
	out, err := r.stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(r.stack.Resolve("AuditTable")), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: retention.ReceiptPK}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var rs []retention.Receipt
	for _, it := range out.Items {
		rs = append(rs, retention.ReceiptOf(it))
	}
	return rs
}

func (r *retentionSite) staffDecisionLink(t *testing.T, ref string) string {
	t.Helper()
	r.drain(t)
	for _, m := range mailsTo(t, register.MustLoad("museum").BookingContact) {
		if strings.Contains(m.Parsed.Subject, ref) && strings.Contains(m.Parsed.Subject, "Uusi") {
			return linkIn(t, m, "/bookings/decision")
		}
	}
	t.Fatalf("no staff mail for %s", ref)
	return ""
}

func (r *retentionSite) book(t *testing.T, f bookingForm) string {
	t.Helper()
	body, _ := json.Marshal(f)
	res := r.postJSON(t, "/bookings", json.RawMessage(body))
	var out struct{ Reference string }
	if json.Unmarshal([]byte(res.Body), &out); res.Status != http.StatusAccepted || out.Reference == "" {
		t.Fatalf("booking: %d %s", res.Status, res.Body)
	}
	return out.Reference
}

// makeEverything makes an item under every rule through the public entry points.
func (r *retentionSite) makeEverything(t *testing.T) {
	t.Helper()
	subscribe := func(addr string) {
		if res := r.post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "lists": {"newsletter"}, "consent": {"true"}, "lang": {"en"}}); res.Status != http.StatusAccepted {
			t.Fatalf("subscribe: %d %s", res.Status, res.Body)
		}
	}
	unconfirmed := newAddress(t)
	subscribe(unconfirmed) // never confirmed
	withdrawn := newAddress(t)
	subscribe(withdrawn)
	r.drain(t)
	confirm := linkIn(t, at(t, mailsTo(t, withdrawn), 0), "/newsletter/confirm")
	if res := r.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json"); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	r.drain(t)
	unsub := linkIn(t, at(t, mailsTo(t, withdrawn), 1), "/newsletter/unsubscribe")
	if res := r.post(t, "/newsletter/unsubscribe", url.Values{"token": {tokenOf(t, unsub)}}); res.Status != http.StatusOK {
		t.Fatalf("unsubscribe: %d %s", res.Status, res.Body)
	}

	day := func(d int) string { return helsinki.Today(r.stack.Clock.Now()).AddDate(0, 0, d).Format("2006-01-02") }
	invoice := func(addr, code string) bookingForm {
		return baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", code, "date", day(3))
	}
	// Accepted by invoice, then invoiced: hetu-invoiced, capacity, audit.
	accepted := r.book(t, invoice(newAddress(t), testCodes[2]))
	if res := r.post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, r.staffDecisionLink(t, accepted))}, "action": {"accept"}}, "Accept", "application/json"); res.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	// Declined: its identity code goes at once, the booking stays for the accounts.
	declined := r.book(t, invoice(newAddress(t), testCodes[3]).with("date", day(4)))
	if res := r.post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, r.staffDecisionLink(t, declined))}, "action": {"decline"}, "reason": {"Remontti"}}, "Accept", "application/json"); res.Status != http.StatusOK {
		t.Fatalf("decline: %d %s", res.Status, res.Body)
	}
	// Undecided: its identity code stays open.
	r.book(t, invoice(newAddress(t), testCodes[4]).with("date", day(5)))
	r.drain(t)
	inv := booking.NewInvoicing(register.MustLoad("museum"), r.stack.Clients().DynamoDB, fieldcrypt.New(r.stack.Clients().KMS, ""),
		booking.Tables{Bookings: r.stack.Resolve("BookingsTable"), Mail: r.stack.Resolve("MailTable"), Audit: r.stack.Resolve("AuditTable")}, "test-staff").At(r.stack.Clock.Now)
	month := day(3)[:7]
	if _, err := inv.Export(context.Background(), month, month, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	// Data-subject requests: one nobody verifies, and an objection verified
	// and answered, with its receipt.
	objector := newAddress(t)
	for _, addr := range []string{newAddress(t), objector} {
		typ := "access"
		if addr == objector {
			typ = "objection"
		}
		if res := r.post(t, "/requests", url.Values{"type": {typ}, "email": {addr}, "lang": {"en"}}); res.Status != http.StatusAccepted {
			t.Fatalf("request: %d %s", res.Status, res.Body)
		}
	}
	r.drain(t)
	verify := linkIn(t, at(t, mailsTo(t, objector), -1), "/requests/verify")
	if res := r.post(t, "/requests/verify", url.Values{"token": {tokenOf(t, verify)}}, "Accept", "application/json"); res.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", res.Status, res.Body)
	}
	r.drain(t)
	// A confirmed subscriber's address bounces for good.
	bouncing := newAddress(t)
	subscribe(bouncing)
	r.drain(t)
	if res := r.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, linkIn(t, at(t, mailsTo(t, bouncing), 0), "/newsletter/confirm"))}}, "Accept", "application/json"); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	r.drain(t)
	now := r.stack.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	hard := fmt.Sprintf(`{"eventType":"Bounce","bounce":{"feedbackId":"fb-%s","bounceType":"Permanent","bounceSubType":"General","timestamp":%q,`+
		`"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"timestamp":%q,"messageId":"m-%s","source":"noreply@example.fi","destination":[%q]}}`,
		randomHex(6), now, bouncing, now, randomHex(6), bouncing)
	if res := r.postJSON(t, local.SESEventsPath, json.RawMessage(hard)); res.Status != http.StatusAccepted {
		t.Fatalf("ses event: %d %s", res.Status, res.Body)
	}
	r.drain(t)
	// SES says the unconfirmed signup's confirmation bounced (its marker).
	at := r.stack.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	bounce := fmt.Sprintf(`{"eventType":"Bounce","bounce":{"feedbackId":"fb-%s","bounceType":"Permanent","bounceSubType":"General","timestamp":%q,`+
		`"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"timestamp":%q,"messageId":"m-%s","source":"noreply@example.fi","destination":[%q]}}`,
		randomHex(6), at, unconfirmed, at, randomHex(6), unconfirmed)
	if res := r.postJSON(t, local.SESEventsPath, json.RawMessage(bounce)); res.Status != http.StatusAccepted {
		t.Fatalf("ses event: %d %s", res.Status, res.Body)
	}
	// An event as the staff tool creates one (events create), and a signup
	// to it through its public form.
	evSvc := events.NewService(register.MustLoad("museum"), r.stack.Clients().DynamoDB, nil,
		events.Tables{Events: r.stack.Resolve("EventsTable"), Audit: r.stack.Resolve("AuditTable")}, &url.URL{}).At(r.stack.Clock.Now)
	ev, err := evSvc.Create(context.Background(), events.NewEvent{Name: map[string]string{"fi": "Avajaiset"}, Date: day(6), Start: "18:00", Capacity: 20, Actor: "test-staff"})
	if err != nil {
		t.Fatal(err)
	}
	guest, guestName := newAddress(t), "Ville Vieras "+randomHex(3)
	remember(guestName)
	if res := r.post(t, "/events/signup?event="+ev.ID, url.Values{"name": {guestName}, "email": {guest}, "guests": {"1"}, "lang": {"en"}}, "Accept", "application/json"); res.Status != http.StatusAccepted {
		t.Fatalf("event signup: %d %s", res.Status, res.Body)
	}
	// A campaign as the staff tool writes one (campaign send).
	c, err := campaign.New(r.stack.Clock.Now(), "kretention-"+randomHex(4), "newsletter", "test-staff", map[string]campaign.Source{"fi": {Subject: "Syksy", Body: "Tervetuloa!"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := campaign.Create(context.Background(), r.stack.Clients().DynamoDB, r.catalogue(), c, r.stack.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	// The staff's own lists, as staff seniors|media write them: a senior
	// removed (senior-removed; the receipt: consent-evidence) and a media
	// contact told at once (art14-notice) who objects by the notice's link.
	people, err := contacts.NewStore(r.stack.Clients().DynamoDB, r.catalogue(),
		keyring.New(r.stack.Clients().Secrets, r.stack.Resolve("TokenKeySecret"), r.stack.Resolve("SubjectKeySecret")),
		&url.URL{Scheme: "http", Host: "localhost"}, r.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	remember("Senja Seniori", "Kirkkotie 99", "Mikko Media", "Länsiväylä-"+randomHex(3))
	senior, err := people.AddSenior(context.Background(), contacts.Senior{Name: "Senja Seniori", Street: "Kirkkotie 99", Postcode: "02770", City: "Espoo", Consent: "paper"}, "test-staff")
	if err != nil {
		t.Fatal(err)
	}
	if err := people.RemoveSenior(context.Background(), senior, "test-staff"); err != nil {
		t.Fatal(err)
	}
	journalist := newAddress(t)
	if err := people.AddMedia(context.Background(), contacts.Media{Email: journalist, Name: "Mikko Media", Outlet: "Länsiväylä", Source: "lansivayla.fi/toimitus"}, "test-staff"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	notices := mailsTo(t, journalist)
	if len(notices) != 1 {
		t.Fatalf("%d Art. 14 notices to the media contact", len(notices))
	}
	object := linkIn(t, notices[0], "/newsletter/unsubscribe")
	if res := r.post(t, "/newsletter/unsubscribe", url.Values{"token": {tokenOf(t, object)}}); res.Status != http.StatusOK {
		t.Fatalf("objection: %d %s", res.Status, res.Body)
	}
	// The survey: answer, free text, contact; and a newsletter signup
	// handed over, left on the queue (not drained) so the request stays.
	text := "Hieno näyttely " + randomHex(4)
	remember(text, "Kaija Kysyjä")
	if res := r.post(t, "/feedback", url.Values{"visit_date": {day(0)}, "feedback": {text}, "contact_me": {"true"}, "name": {"Kaija Kysyjä"}, "email": {newAddress(t)},
		"newsletter_consent": {"true"}}); res.Status != http.StatusAccepted {
		t.Fatalf("survey: %d %s", res.Status, res.Body)
	}
}

func (r *retentionSite) sweep(t *testing.T) awsprobe.Counts {
	t.Helper()
	r.rec.Reset()
	if err := r.stack.RunSchedules(context.Background(), "RetentionFunction"); err != nil {
		t.Fatal(err)
	}
	return r.rec.Snapshot()
}

// TestRetentionSweepsEveryRule: items under every rule, made through the
// public entry points, aged with the clock, go in runs of the scheduled
// entry point — none before its time, a restricted one never; a dry run
// changes nothing; a second run removes nothing and reads next to nothing;
// the receipts are in the audit table.
func TestRetentionSweepsEveryRule(t *testing.T) {
	site := startRetentionSite(t)
	site.makeEverything(t)

	tracked := site.scan(t)
	perRule := map[string]int{}
	var restricted stored
	for id, s := range tracked {
		if s.expiresAt == 0 {
			delete(tracked, id) // kept until an event: no sweep's business
			continue
		}
		perRule[s.rule]++
		if s.rule == "mail-log" && restricted.pk == "" {
			restricted = s
		}
	}
	for _, c := range retentionCases {
		if strings.HasPrefix(c.made, "elsewhere: ") {
			continue
		}
		if c.rule != "retention-receipt" && perRule[c.rule] == 0 {
			t.Errorf("no item under %s (%s) was made", c.rule, c.made)
		}
	}
	cat := site.catalogue()
	store := recordstore.NewStore(site.stack.Clients().DynamoDB, cat)
	if err := store.Restrict(context.Background(), restricted.table, recordstore.Key{PK: restricted.pk, SK: restricted.sk}, site.stack.Clock.Now(), "test"); err != nil {
		t.Fatal(err)
	}
	restricted.restricted = true
	tracked[restricted.id()] = restricted

	// Receipts go after two years too (retention-receipt): keep each as it appears.
	seen := map[string]retention.Receipt{}
	keep := func(rs []retention.Receipt) {
		for _, r := range rs {
			seen[r.RunID+"#"+r.Rule] = r
		}
	}
	var firstRun string
	runs := 0
	var lastRun time.Time
	for {
		present := site.scan(t)
		if firstRun != "" {
			for id, s := range present {
				if s.rule == "retention-receipt" && strings.HasPrefix(s.sk, firstRun+"#") {
					if _, ok := tracked[id]; !ok {
						tracked[id] = s
						perRule[s.rule]++
					}
				}
			}
		}
		// Every tracked item is there until its time, and gone after it.
		next := int64(0)
		for id, s := range tracked {
			_, there := present[id]
			switch {
			case s.restricted:
				if !there {
					t.Fatalf("the restricted %s item went", s.rule)
				}
			case !lastRun.IsZero() && s.expiresAt <= lastRun.Unix():
				if there {
					t.Errorf("%s item due %s is still there at %s", s.rule, time.Unix(s.expiresAt, 0).UTC(), lastRun.UTC())
				}
			default:
				if !there {
					t.Errorf("%s item due %s went before its time (%s)", s.rule, time.Unix(s.expiresAt, 0).UTC(), lastRun.UTC())
				}
				if next == 0 || s.expiresAt < next {
					next = s.expiresAt
				}
			}
		}
		if t.Failed() || next == 0 {
			break
		}
		at := time.Unix(next, 0).Add(time.Hour)
		if at.After(site.stack.Clock.Now()) {
			moveClock(t, site.url, url.Values{"set": {at.Format(time.RFC3339)}})
		}
		if runs == 0 {
			checkDryRun(t, site, cat, tracked)
		}
		first := site.sweep(t)
		keep(site.receipts(t))
		runs++
		lastRun = site.stack.Clock.Now()
		if runs == 1 {
			rs := site.receipts(t)
			if len(rs) == 0 {
				t.Fatal("the first run wrote no receipts")
			}
			firstRun = rs[0].RunID
			second := site.sweep(t)
			keep(site.receipts(t))
			firstItems, secondItems := dueRead(t, site, firstRun)
			t.Logf("first run: %d items due read, %s, %.1f capacity units; second run: %d items, %s, %.1f units",
				firstItems, first, first.Capacity, secondItems, second, second.Capacity)
			if first.Scans+second.Scans != 0 {
				t.Errorf("the sweep scanned")
			}
			if secondItems*100 > firstItems {
				t.Errorf("the second run read %d due items, more than 1 %% of the first's %d", secondItems, firstItems)
			}
			if n := len(site.receipts(t)); n < 2*len(retentionCases) {
				t.Errorf("%d receipts after two runs, want one per rule and run", n)
			}
		}
	}
	// The receipts add up to what went, rule by rule.
	got := map[string]*retention.Count{}
	for _, r := range seen {
		c := got[r.Rule]
		if c == nil {
			c = &retention.Count{}
			got[r.Rule] = c
		}
		c.Deleted += r.Deleted
		c.SkippedRestricted += r.SkippedRestricted
		c.Errors += r.Errors
	}
	for _, c := range retentionCases {
		if strings.HasPrefix(c.made, "elsewhere: ") {
			continue
		}
		want := perRule[c.rule]
		if c.rule == restricted.rule {
			want--
		}
		g := got[c.rule]
		if g == nil || g.Deleted < want || (c.rule != "retention-receipt" && g.Deleted != want) || g.Errors != 0 {
			t.Errorf("%s: receipts say %+v, %d items went", c.rule, g, want)
		}
	}
	if g := got[restricted.rule]; g == nil || g.SkippedRestricted < 1 {
		t.Errorf("the restricted %s item is counted skipped: %+v", restricted.rule, g)
	}
	var rules []string
	for r := range perRule {
		rules = append(rules, fmt.Sprintf("%s×%d", r, perRule[r]))
	}
	sort.Strings(rules)
	t.Logf("%d runs over %s; items: %s", runs, time.Until(lastRun).Round(24*time.Hour), strings.Join(rules, " "))
}

// dueRead is how many due items the first and second runs read, from their receipts.
func dueRead(t *testing.T, site *retentionSite, firstRun string) (first, second int) {
	t.Helper()
	for _, r := range site.receipts(t) {
		n := r.Deleted + r.Anonymised + r.SkippedRestricted + r.Errors
		if r.RunID == firstRun {
			first += n
		} else {
			second += n
		}
	}
	return first, second
}

// checkDryRun: the same run, dry, reports what would go and changes nothing.
func checkDryRun(t *testing.T, site *retentionSite, cat *record.Catalogue, tracked map[string]stored) {
	t.Helper()
	ledger, err := retention.NewLedger(site.stack.Clients().DynamoDB, cat, site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := retention.New(cat, recordstore.NewStore(site.stack.Clients().DynamoDB, cat), ledger, nil, site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	before := site.scan(t)
	rep, err := sw.DryRun(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := site.scan(t)
	if len(after) != len(before) {
		t.Fatalf("a dry run changed the tables: %d items, then %d", len(before), len(after))
	}
	due := 0
	for _, s := range tracked {
		if !s.restricted && s.expiresAt <= site.stack.Clock.Now().Unix() {
			due++
		}
	}
	would := 0
	for _, c := range rep.Rules {
		would += c.Deleted
	}
	if would != due || due == 0 {
		t.Errorf("the dry run would remove %d, %d are due", would, due)
	}
	var out bytes.Buffer
	rep.Write(&out)
	t.Logf("dry run:\n%s", out.String())
}

// TestRetentionRunCarriesOnThroughTheQueue: a run over its budget saves its
// state and queues {"op":"continue","id":run}; the function's queue handler
// takes the run from there to its receipts, counting each item once, and a
// second delivery of the message does nothing.
func TestRetentionRunCarriesOnThroughTheQueue(t *testing.T) {
	site := startRetentionSite(t)
	for range 2 {
		if res := site.post(t, "/newsletter/subscribe", url.Values{"email": {newAddress(t)}, "lists": {"newsletter"}, "consent": {"true"}}); res.Status != http.StatusAccepted {
			t.Fatalf("subscribe: %d %s", res.Status, res.Body)
		}
	}
	moveClock(t, site.url, url.Values{"advance": {"8d"}})
	cat := site.catalogue()
	db := site.stack.Clients().DynamoDB
	ledger, err := retention.NewLedger(db, cat, site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	queue := sqsqueue.New(site.stack.Clients().SQS, site.stack.Resolve("RetentionQueue"))
	sw, err := retention.New(cat, recordstore.NewStore(db, cat), ledger, queueSpy{queue, &sent}, site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	sw.Budget = time.Nanosecond // one page, then the queue
	rep, err := sw.Run(context.Background())
	if err != nil || !rep.Continued || len(sent) != 1 || sent[0] != rep.RunID {
		t.Fatalf("over its budget a run continues through the queue: %+v %v %v", rep, err, sent)
	}
	site.drain(t) // the RetentionFunction's queue handler carries the run on
	var mine []retention.Receipt
	for _, r := range site.receipts(t) {
		if r.RunID == rep.RunID {
			mine = append(mine, r)
		}
	}
	byRule := map[string]int{}
	for _, r := range mine {
		byRule[r.Rule] = r.Deleted
	}
	if len(mine) < len(retentionCases) || byRule["subscription-unconfirmed"] != 2 || byRule["consent-unconfirmed"] != 2 {
		t.Fatalf("the continued run's receipts: %+v", mine)
	}
	// The same message again: the run is finished, nothing happens.
	if err := queue.Send(context.Background(), sqsqueue.Message{Op: retention.OpContinue, ID: rep.RunID}); err != nil {
		t.Fatal(err)
	}
	site.drain(t)
	if n := len(site.receipts(t)); n != len(mine) {
		t.Errorf("a repeated continuation wrote receipts: %d, then %d", len(mine), n)
	}
}

type queueSpy struct {
	q    *sqsqueue.Queue
	sent *[]string
}

func (s queueSpy) Send(ctx context.Context, m sqsqueue.Message) error {
	*s.sent = append(*s.sent, m.ID)
	return s.q.Send(ctx, m)
}
