package e2e

// Data-subject requests on the stack with its own clock: a restriction
// stopping a list mail and a booking reminder until staff lift it, the DPO's
// daily digest and the overdue metric as the GDPR clock runs, and the
// staff-created cases (the extension notice, a copy handed to staff).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	"rekisteri/internal/mailer"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

// keyOn is addr's subject key on site: each stack has its own secret.
func (c *clockSite) keyOn(t *testing.T, addr string) string {
	t.Helper()
	out, err := c.stack.Clients().Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.stack.Resolve("SubjectKeySecret"))})
	if err != nil {
		t.Fatal(err)
	}
	return subject.EmailKey([]byte(*out.SecretString), addr)
}

// catalogue is the record seam over the site's tables.
func (c *clockSite) catalogue() *record.Catalogue {
	deployed := map[string]string{}
	for declared, logical := range logicalTables {
		deployed[declared] = c.stack.Resolve(logical)
	}
	return record.MustCatalogue(register.MustLoad("museum"), deployed)
}

func (c *clockSite) store(t *testing.T) *requests.Store {
	t.Helper()
	st, err := requests.NewStore(c.stack.Clients().DynamoDB, c.catalogue())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// itemOn reads one item of a logical table of the site, or nil.
func (c *clockSite) itemOn(t *testing.T, logical, pk, sk string) map[string]any {
	t.Helper()
	out, err := c.stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(c.stack.Resolve(logical)), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	var m map[string]any
	if err == nil && out.Item != nil {
		err = attributevalue.UnmarshalMap(out.Item, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// subjectItemsOn is subjectItems on the site's stack: every item of addr's
// subject in every declared table, found by bySubject and read whole.
func (c *clockSite) subjectItemsOn(t *testing.T, addr string) map[string][]map[string]any {
	t.Helper()
	sk := c.keyOn(t, addr)
	out := map[string][]map[string]any{}
	for _, table := range record.Tables(register.MustLoad("museum")) {
		logical := logicalTables[table]
		q, err := c.stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
			TableName: aws.String(c.stack.Resolve(logical)), IndexName: aws.String(record.IndexBySubject),
			KeyConditionExpression:    aws.String("subjectKey = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sk}},
		})
		if err != nil {
			t.Fatalf("%s by subject: %v", table, err)
		}
		for _, k := range q.Items {
			if it := c.itemOn(t, logical, attrS(k, "pk"), attrS(k, "sk")); it != nil {
				kind, _ := it["kind"].(string)
				out[kind] = append(out[kind], it)
			}
		}
	}
	return out
}

// send puts {"op","id"} on one of the site's queues, as the staff tool does.
func (c *clockSite) send(t *testing.T, queue, op, id string) {
	t.Helper()
	body, _ := json.Marshal(sqsqueue.Message{Op: op, ID: id})
	if _, err := c.stack.Clients().SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(c.stack.Resolve(queue)), MessageBody: aws.String(string(body)),
	}); err != nil {
		t.Fatal(err)
	}
}

// setClock moves the site's clock to hour:00 Helsinki time on day.
func (c *clockSite) setClock(t *testing.T, day time.Time, hour int) {
	t.Helper()
	at := day.Add(time.Duration(hour) * time.Hour)
	at = at.Add(-helsinki.Local(at).Sub(at)) // wall clock to instant (EET or EEST)
	if moved := moveClock(t, c.url, url.Values{"set": {at.Format(time.RFC3339)}}); !moved.Equal(at) {
		t.Fatalf("set: the clock says %s, want %s", moved, at)
	}
}

// webRequest sends a request through the site's form and verifies it; it
// returns the request's id and due date.
func (c *clockSite) webRequest(t *testing.T, typ, addr, details string) (string, string) {
	t.Helper()
	r := c.postJSON(t, "/requests", map[string]string{"type": typ, "email": addr, "details": details, "lang": "en"})
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"pending_verification"`) {
		t.Fatalf("POST /requests: %d %s", r.Status, r.Body)
	}
	c.drain(t)
	link, ok := mailWith(t, addr, "/requests/verify")
	if !ok || !strings.HasPrefix(link, c.url) {
		t.Fatalf("no verification mail from the site to the requester: %q", link)
	}
	v := c.post(t, "/requests/verify", url.Values{"token": {tokenOf(t, link)}}, "Accept", "application/json")
	var out struct{ Status, Due string }
	if err := json.Unmarshal([]byte(v.Body), &out); err != nil || v.Status != http.StatusOK || out.Status != "verified" {
		t.Fatalf("verify: %d %s", v.Status, v.Body)
	}
	c.drain(t)
	for _, it := range c.subjectItemsOn(t, addr)["request"] {
		if it["type"] == typ && it["dueOn"] == out.Due {
			return strings.TrimPrefix(it["pk"].(string), "REQUEST#"), out.Due
		}
	}
	t.Fatalf("no %s request of the subject due %s", typ, out.Due)
	return "", ""
}

// staffRequest stores a request as `staff requests create` does and, when
// process, queues it.
func (c *clockSite) staffRequest(t *testing.T, typ, addr, details, deliverTo string, process bool) requests.Request {
	t.Helper()
	r := requests.New(c.stack.Clock.Now(), typ, c.keyOn(t, addr), subject.NormalizeEmail(addr), details, "en", requests.Staff)
	r.Actor, r.Case, r.DeliverTo = "asiakaspalvelu-testi", "KAMU/"+randomHex(3), deliverTo
	if err := c.store(t).Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if process {
		c.send(t, "RequestsQueue", requests.OpProcess, r.ID())
		c.drain(t)
	}
	return r
}

// resolveLater answers the test's open requests when it ends, so the site's
// later digests do not list them.
func (c *clockSite) resolveLater(t *testing.T, ids ...string) {
	t.Cleanup(func() {
		for _, id := range ids {
			if _, err := c.store(t).Resolve(context.Background(), id, c.stack.Clock.Now()); err != nil && !errors.Is(err, requests.ErrNotOpen) {
				t.Errorf("resolve %s: %v", id, err)
			}
		}
	})
}

// mailsMentioning are the mails to addr whose subject or text holds every s.
func mailsMentioning(t *testing.T, addr string, s ...string) []string {
	t.Helper()
	var out []string
	for _, m := range mailsTo(t, addr) {
		if all := m.Parsed.Subject + "\n" + m.Parsed.Text; !slices.ContainsFunc(s, func(x string) bool { return !strings.Contains(all, x) }) {
			out = append(out, all)
		}
	}
	return out
}

func TestRequestRestrictionStopsAReminderAndListMail(t *testing.T) {
	site := siteWithItsOwnClock(t)
	ctx := context.Background()
	addr := newAddress(t)
	remember("Maija", "Meikäläinen", "Projektori tarvitaan")

	// An accepted booking three days ahead, as TestClockRemindsTheDayBefore makes it.
	day := helsinki.Today(site.stack.Clock.Now()).AddDate(0, 0, 3)
	f := baseBooking(addr)
	f["date"] = day.Format("2006-01-02")
	r := site.postJSON(t, "/bookings", f)
	var booked struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &booked); err != nil || r.Status != http.StatusAccepted {
		t.Fatalf("booking: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	decision := staffDecisionLink(t, booked.Reference)
	if d := site.post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, decision)}, "action": {"accept"}}, "Accept", "application/json"); d.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", d.Status, d.Body)
	}
	site.drain(t)

	// A confirmed newsletter subscription.
	if r := site.post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "lists": {"newsletter"}, "consent": {"true"}, "lang": {"en"}}); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	confirm := linkIn(t, at(t, mailsTo(t, addr), -1), "/newsletter/confirm")
	if r := site.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	site.drain(t)

	// A list mail of the subject still in the outbox, unsent (its sending
	// delayed, say by an SES outage), written as the newsletter writes one.
	cat := site.catalogue()
	job, err := mail.NewJob(site.stack.Clock.Now(), "welcome.delayed-"+randomHex(4), site.keyOn(t, addr), addr, "newsletter-welcome", "en", map[string]string{
		"lists": "Newsletter", "unsubscribeURL": site.url + "/newsletter/unsubscribe", "privacyURL": site.url + "/privacy",
	})
	if err != nil || job.Class != mail.Marketing {
		t.Fatalf("newsletter-welcome should be a marketing job: %v %q", err, job.Class)
	}
	put, err := mail.Put(cat, job)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.stack.Clients().DynamoDB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
		t.Fatal(err)
	}
	// Its outbox stream record, held back: delivered after the restriction.
	delayed, err := site.stack.TakeStreamEvent(ctx, "MailerFunction")
	if err != nil {
		t.Fatal(err)
	}

	id, _ := site.webRequest(t, requests.Restriction, addr, "")
	site.resolveLater(t, id)
	items := site.subjectItemsOn(t, addr)
	for _, kind := range []string{"booking", "subscription", "consent", "mail"} {
		if len(items[kind]) == 0 {
			t.Errorf("the subject should hold a %s record: %v", kind, items)
		}
	}
	for kind, its := range items {
		for _, it := range its {
			pk, _ := it["pk"].(string)
			if kind == "request" && pk == "REQUEST#"+id || kind == "audit" && it["ref"] == id ||
				kind == "mail" && strings.HasSuffix(pk, "."+id) && pk != "MAIL#request-verify."+id {
				continue // the request itself and its own trail, its answer written after
			}
			if it[record.AttrRestricted] == nil || it[record.AttrRestrictedFor] != id {
				t.Errorf("a %s (%s %v %v) is not restricted for %s: restrictedAt %v, restrictedFor %v", kind, pk, it["event"], it["ref"], id, it[record.AttrRestricted], it[record.AttrRestrictedFor])
			}
		}
	}
	if j := site.itemOn(t, "MailTable", "MAIL#request-restriction."+id, "MAIL"); j == nil || j["status"] != mail.Sent || len(mailsMentioning(t, addr, id)) != 1 {
		t.Fatalf("the person gets the request-restriction mail naming %s: %v", id, j)
	}
	req, err := site.store(t).Get(ctx, id)
	if err != nil || req.Status != requests.Resolved || req.Steps["replied"] == "" {
		t.Fatalf("the restriction request is answered: %v %+v", err, req)
	}

	// The delayed list mail, its stream record delivered now: withheld, not sent.
	before := len(mailsTo(t, addr))
	if _, err := site.stack.Functions["MailerFunction"].Invoke(ctx, delayed); err != nil {
		t.Fatal(err)
	}
	site.drain(t)
	pk, sk := mail.JobKey(job.ID())
	if j := site.itemOn(t, "MailTable", pk, sk); j == nil || j["status"] != mailer.Withheld || j["pending"] != nil {
		t.Errorf("a restricted subject's list mail is withheld and off byPending: %v", j)
	}
	if n := len(mailsTo(t, addr)); n != before {
		t.Errorf("a restricted subject got %d more mails from a list mail", n-before)
	}

	// The day before the booking, 09:00 in Helsinki: no reminder.
	site.setClock(t, day.AddDate(0, 0, -1), 9)
	for range 2 {
		site.runSchedules(t, "BookingsFunction")
	}
	if n := len(mailsTo(t, addr)); n != before {
		t.Errorf("a restricted booking was reminded: %d more mails", n-before)
	}
	if b := site.itemOn(t, "BookingsTable", "BOOKING#"+booked.Reference, "BOOKING"); b == nil || b["remindedAt"] != nil || b["remindOn"] != nil {
		t.Errorf("the restricted booking leaves the reminder index unreminded: %v", b)
	}

	// Staff lift it (staff requests lift-restriction): the person is told first.
	site.send(t, "RequestsQueue", requests.OpLift, id)
	site.drain(t)
	lifted, err := site.store(t).Get(ctx, id)
	if err != nil || lifted.Steps["lift-notice"] == "" || lifted.Steps["lifted"] == "" || lifted.Steps["lift-notice"] > lifted.Steps["lifted"] {
		t.Fatalf("the lift notice, then the lifting: %v %v", err, lifted.Steps)
	}
	if j := site.itemOn(t, "MailTable", "MAIL#request-lift."+id, "MAIL"); j == nil || j["status"] != mail.Sent {
		t.Errorf("the request-lift mail should be sent: %v", j)
	}
	if len(mailsTo(t, addr)) != before+1 || len(mailsMentioning(t, addr, id)) != 2 {
		t.Errorf("the person gets exactly one more mail, the lift notice of %s", id)
	}
	reg := register.MustLoad("museum")
	for kind, its := range site.subjectItemsOn(t, addr) {
		for _, it := range its {
			why, _ := it[record.AttrRestrictedFor].(string)
			if _, exception := reg.Exception(why); it[record.AttrRestricted] != nil && !exception {
				t.Errorf("after lifting, a %s (%v) is still restricted for %q, no Art. 17(3) exception", kind, it["pk"], why)
			}
		}
	}
	if j := site.itemOn(t, "MailTable", pk, sk); j == nil || j["status"] != mailer.Withheld {
		t.Errorf("lifting sends no stale list mail: %v", j)
	}
}

// digestMetrics are the embedded-metric lines of the requests digest logged
// after offset bytes of the suite's logs.
func digestMetrics(t *testing.T, offset int) []map[string]any {
	t.Helper()
	captureMu.Lock()
	tail := logs.String()[offset:]
	captureMu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(tail, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "requests digest" && m["_aws"] != nil {
			out = append(out, m)
		}
	}
	return out
}

func TestRequestClockDigestAndOverdue(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr := newAddress(t)
	details := "Sukunimeni on kirjoitettu väärin " + randomHex(4)
	remember(details)
	id, dueOn := site.webRequest(t, requests.Rectification, addr, details)
	site.resolveLater(t, id)
	if got := mailsMentioning(t, addr, id, dueOn); len(got) != 1 {
		t.Fatalf("the person gets request-received with the due date %s: %d mails", dueOn, len(got))
	}
	if req, err := site.store(t).Get(context.Background(), id); err != nil || req.Status != requests.Open {
		t.Fatalf("a rectification stays open, a case for staff: %v %+v", err, req)
	}

	site.runSchedules(t, "RequestsFunction")
	dpo := register.MustLoad("museum").DPO.Email
	if got := mailsMentioning(t, dpo, id); len(got) != 0 {
		t.Fatalf("a month ahead, the digest does not list the request:\n%s", got[0])
	}

	due, _ := time.Parse("2006-01-02", dueOn) // webRequest found a request due on it
	for _, c := range []struct {
		name, state string
		day         time.Time
		overdue     bool
	}{
		{"five days before", "5 days left", due.AddDate(0, 0, -5), false},
		{"a day past the due date", "OVERDUE by 1 days", due.AddDate(0, 0, 1), true},
	} {
		site.setClock(t, c.day, 8) // the deployed schedule: 08:00 Helsinki
		captureMu.Lock()
		offset := logs.Len()
		captureMu.Unlock()
		for range 2 { // run twice, mail once
			site.runSchedules(t, "RequestsFunction")
		}
		today := c.day.Format("2006-01-02")
		got := mailsMentioning(t, dpo, id, today)
		if len(got) != 1 {
			t.Errorf("%s: want one digest on %s listing %s, got %d", c.name, today, id, len(got))
			continue
		}
		if line := regexp.MustCompile(`(?m)^` + id + ` +` + requests.Rectification + ` +due ` + dueOn + ` +` + c.state + `\s*$`); !line.MatchString(got[0]) {
			t.Errorf("%s: the digest should give %s's type, due date and %q on its line:\n%s", c.name, id, c.state, got[0])
		}
		for _, personal := range []string{addr, details, "@example.com"} {
			if strings.Contains(strings.ToLower(got[0]), strings.ToLower(personal)) {
				t.Errorf("%s: the digest carries personal data %q", c.name, personal)
			}
		}
		metrics := digestMetrics(t, offset)
		if len(metrics) == 0 {
			t.Errorf("%s: no embedded-metric line of the digest in the logs", c.name)
		}
		for _, m := range metrics {
			n, _ := m["OverdueRequests"].(float64)
			if m["Register"] != "museum" || c.overdue && n < 1 {
				t.Errorf("%s: the metric line should count the overdue request for museum: %v", c.name, m)
			}
			if b, _ := json.Marshal(m["_aws"]); !strings.Contains(string(b), `"Name":"OverdueRequests"`) {
				t.Errorf("%s: the line declares no OverdueRequests metric: %s", c.name, b)
			}
		}
	}
}

func TestRequestStaffExtensionNotice(t *testing.T) {
	site := siteWithItsOwnClock(t)
	ctx := context.Background()
	addr := newAddress(t)
	details := "Osoitteeni on muuttunut " + randomHex(4)
	reason := "Pyyntö koskee usean vuoden kirjeenvaihtoa " + randomHex(4)
	remember(details, reason)
	received := site.stack.Clock.Now()
	r := site.staffRequest(t, requests.Rectification, addr, details, "", true)
	other := site.staffRequest(t, requests.Rectification, addr, details, "", false)
	site.resolveLater(t, r.ID(), other.ID())
	if got := mailsMentioning(t, addr, r.ID(), r.DueOn); len(got) != 1 {
		t.Fatalf("a staff-created case is acknowledged with its due date: %d mails", len(got))
	}

	store := site.store(t)
	ext, err := store.Extend(ctx, r.ID(), reason, site.stack.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := requests.AddMonths(helsinki.Today(received), 3).Format("2006-01-02")
	if ext.ExtendedTo != want || ext.Due() != want || ext.DueOn != r.DueOn {
		t.Fatalf("extended to %s (first due %s), want three months from receipt: %s", ext.ExtendedTo, ext.DueOn, want)
	}
	site.send(t, "RequestsQueue", requests.OpExtended, r.ID())
	site.send(t, "RequestsQueue", requests.OpExtended, r.ID()) // delivered twice, mailed once
	site.drain(t)
	notices := mailsMentioning(t, addr, r.ID(), "extended")
	if len(notices) != 1 || !strings.Contains(notices[0], want) || !strings.Contains(notices[0], reason) {
		t.Fatalf("one request-extended notice with the new due date %s and the reason: %q", want, notices)
	}
	if _, err := store.Extend(ctx, r.ID(), reason, site.stack.Clock.Now()); !errors.Is(err, requests.ErrExtendTwice) {
		t.Fatalf("a second extension: want ErrExtendTwice, got %v", err)
	}

	due, _ := time.Parse("2006-01-02", other.DueOn)
	site.setClock(t, due.AddDate(0, 0, 1), 12)
	if _, err := store.Extend(ctx, other.ID(), reason, site.stack.Clock.Now()); !errors.Is(err, requests.ErrExtendLate) {
		t.Fatalf("an extension after the first due date: want ErrExtendLate, got %v", err)
	}
	if got, err := store.Get(ctx, other.ID()); err != nil || got.ExtendedTo != "" {
		t.Fatalf("a refused extension changes nothing: %v %+v", err, got)
	}
}

func TestRequestStaffAccessCopyGoesToStaff(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr, staff := newAddress(t), newAddress(t)
	r := site.staffRequest(t, requests.Access, addr, "", staff, true)
	link, ok := mailWith(t, staff, "/requests/download")
	if !ok || !strings.HasPrefix(link, site.url) {
		t.Fatalf("the copy's link goes to the staff address: %q", link)
	}
	if _, ok := mailWith(t, addr, "/requests/download"); ok {
		t.Fatal("the copy's link went to the person too")
	}
	if page := get(t, link); page.Status != http.StatusOK || !strings.Contains(page.Body, `value="html"`) {
		t.Fatalf("the download page: %d %.300s", page.Status, page.Body)
	}
	if got, err := site.store(t).Get(context.Background(), r.ID()); err != nil || got.Status != requests.Resolved {
		t.Fatalf("the access request is answered: %v %+v", err, got)
	}
	pk, sk := mail.JobKey("request-access." + r.ID())
	if j := site.itemOn(t, "MailTable", pk, sk); j == nil || j["subjectKey"] != nil || j["to"] != staff {
		t.Fatalf("the copy's mail job is staff's, no one's subject: %v", j)
	}
}

// TestRequestRestrictionWithholdsTheWelcomeOfAPendingSubscription: a
// subscription restricted while unconfirmed, confirmed afterwards — its
// welcome is a list mail, and a restricted subject gets none.
func TestRequestRestrictionWithholdsTheWelcomeOfAPendingSubscription(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr := newAddress(t)
	if r := site.post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "lists": {"newsletter"}, "consent": {"true"}, "lang": {"en"}}); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	confirm := linkIn(t, at(t, mailsTo(t, addr), -1), "/newsletter/confirm")
	id, _ := site.webRequest(t, requests.Restriction, addr, "")
	site.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json")
	site.drain(t)
	for _, m := range site.subjectItemsOn(t, addr)["mail"] {
		if m["template"] == "newsletter-welcome" && m["status"] == mail.Sent {
			t.Errorf("BUG: the welcome (class marketing) of a subscription restricted for %s was sent when it was confirmed: "+
				"internal/newsletter Confirm writes the job without the subscription's restrictedAt, so the mailer (which decides by the job's flag alone) sends it; job %v restrictedAt %v",
				id, m["pk"], m[record.AttrRestricted])
		}
	}
}
