package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/mailer"
	"rekisteri/internal/newsletter"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
)

func subjectSecret(t *testing.T) []byte {
	t.Helper()
	out, err := stack.Clients().Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(stack.Resolve("SubjectKeySecret"))})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(*out.SecretString)
}

// item reads one item of a logical table, or nil.
func item(t *testing.T, table, pk, sk string) map[string]any {
	t.Helper()
	out, err := stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(stack.Resolve(table)), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func subscriptionOf(t *testing.T, addr, list string) map[string]any {
	return item(t, "SubscribersTable", "SUB#"+subject.EmailKey(subjectSecret(t), addr), "LIST#"+list)
}

func subscribe(t *testing.T, addr string, lists ...string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"email": addr, "lists": lists, "consent": true, "lang": "en"})
	return post(t, "/newsletter/subscribe", string(body))
}

func TestDoubleOptInThroughHTTPAndQueues(t *testing.T) {
	addr := newAddress(t)
	remember("Anna Asiakas")
	r := post(t, "/newsletter/subscribe", url.Values{
		"email": {addr}, "name": {"Anna Asiakas"}, "lists": {"newsletter", "openings"}, "consent": {"true"}, "lang": {"fi"},
	})
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "Tarkista sähköpostisi") {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	sub := subscriptionOf(t, addr, "openings")
	if sub["status"] != "pending" || sub["expiresAt"] == nil || sub["expiryBucket"] == nil {
		t.Fatalf("pending subscription with its expiry expected, got %v", sub)
	}
	if exp := time.Unix(int64(sub["expiresAt"].(float64)), 0); exp.Sub(now()) < 6*24*time.Hour || exp.Sub(now()) > 8*24*time.Hour {
		t.Fatalf("pending signup should expire in 7 days, expires %v", exp)
	}
	drain(t)

	mails := mailsTo(t, addr)
	if len(mails) != 1 {
		t.Fatalf("want 1 confirmation mail, got %d", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.Parsed.Subject, "Vahvista") {
		t.Errorf("confirmation should be in Finnish, subject %q", m.Parsed.Subject)
	}
	lu := m.Parsed.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+server.URL+"/newsletter/unsubscribe?") || m.Parsed.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("list headers missing: %q / %q", lu, m.Parsed.Header.Get("List-Unsubscribe-Post"))
	}
	if !strings.Contains(m.Parsed.HTML, "/newsletter/unsubscribe?") {
		t.Error("the HTML part should have a visible unsubscribe link")
	}

	// The link only shows a page; scanners that GET it confirm nothing.
	confirm := linkIn(t, m, "/newsletter/confirm")
	page := get(t, confirm)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `method="post"`) || !strings.Contains(page.Body, tokenOf(t, confirm)) {
		t.Fatalf("confirm page: %d %s", page.Status, page.Body)
	}
	if page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("pages with tokens must not leak them in Referer")
	}
	if got := subscriptionOf(t, addr, "newsletter")["status"]; got != "pending" {
		t.Fatalf("GET must not confirm; status %v", got)
	}

	for i := range 2 { // confirming twice is still 200
		r = post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"status":"active"`) {
			t.Fatalf("confirm #%d: %d %s", i+1, r.Status, r.Body)
		}
	}
	drain(t)
	sub = subscriptionOf(t, addr, "newsletter")
	if sub["status"] != "active" || sub["confirmedAt"] == nil || sub["expiresAt"] != nil || sub["lastActiveAt"] == nil {
		t.Fatalf("active subscription without expiry expected: %v", sub)
	}
	sk := subject.EmailKey(subjectSecret(t), addr)
	receipt := item(t, "SubscribersTable", "SUB#"+sk, "CONSENT#newsletter#"+sub["signupId"].(string))
	reg := register.MustLoad("museum")
	list, _ := reg.List("newsletter")
	for k, want := range map[string]any{
		"purpose": "newsletter", "legalBasis": "consent", "lang": "fi", "channel": "web-form",
		"consentTextVersion": list.ConsentVersion("fi"), "noticeVersion": reg.Version(),
	} {
		if receipt[k] != want {
			t.Errorf("receipt %s = %v, want %v", k, receipt[k], want)
		}
	}
	if receipt["signupAt"] == nil || receipt["confirmedAt"] == nil || receipt["method"] == nil || receipt["form"] == nil {
		t.Errorf("receipt incomplete: %v", receipt)
	}

	// Access and erasure find a person by a Query on bySubject, never a Scan.
	q, err := stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(stack.Resolve("SubscribersTable")), IndexName: aws.String("bySubject"),
		KeyConditionExpression:    aws.String("subjectKey = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || len(q.Items) != 4 {
		t.Fatalf("bySubject should find 2 subscriptions and 2 receipts: %d %v", len(q.Items), err)
	}

	mails = mailsTo(t, addr)
	if len(mails) != 2 || !strings.Contains(mails[1].Parsed.Subject, "Tervetuloa") {
		t.Fatalf("want exactly one welcome mail after two confirms, got %d mails", len(mails))
	}

	// One-click unsubscribe from the welcome mail's header (RFC 8058).
	lu = strings.Trim(mails[1].Parsed.Header.Get("List-Unsubscribe"), "<>")
	req, _ := http.NewRequest(http.MethodPost, lu, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = do(t, req)
	if r.Status != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d (must be 200, no redirect) %s", r.Status, r.Body)
	}
	for _, l := range []string{"newsletter", "openings"} {
		sub = subscriptionOf(t, addr, l)
		if sub["status"] != "unsubscribed" || sub["email"] != nil || sub["name"] != nil || sub["lastActiveAt"] == nil || sub["expiresAt"] == nil {
			t.Fatalf("%s: unsubscribed without address, with last-active and expiry expected: %v", l, sub)
		}
		receipt = item(t, "SubscribersTable", "SUB#"+sk, "CONSENT#"+l+"#"+sub["signupId"].(string))
		if receipt["withdrawnAt"] == nil || receipt["withdrawalChannel"] != "one-click" {
			t.Fatalf("%s: withdrawal not in receipt: %v", l, receipt)
		}
	}
	// Again: harmless.
	if r = do(t, mustRequest(http.MethodPost, lu, "List-Unsubscribe=One-Click")); r.Status != http.StatusOK {
		t.Fatalf("second unsubscribe: %d", r.Status)
	}
}

func mustRequest(method, u, body string) *http.Request {
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestSubscribeAnswersTheSameInEveryState(t *testing.T) {
	addr := newAddress(t)
	expectMails := func(n int) {
		t.Helper()
		drain(t)
		if got := len(mailsTo(t, addr)); got != n {
			t.Fatalf("want %d mails, got %d", n, got)
		}
	}
	want := func(r response) {
		t.Helper()
		if r.Status != http.StatusAccepted || strings.TrimSpace(r.Body) != `{"status":"pending"}` {
			t.Fatalf("want the same 202, got %d %s", r.Status, r.Body)
		}
	}
	want(subscribe(t, addr, "newsletter")) // new
	expectMails(1)
	want(subscribe(t, addr, "newsletter")) // pending, just sent: no second mail
	expectMails(1)
	confirm := linkIn(t, at(t, mailsTo(t, addr), 0), "/newsletter/confirm")
	if r := post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d", r.Status)
	}
	expectMails(2)                         // welcome
	want(subscribe(t, addr, "newsletter")) // active: not mailed again
	expectMails(2)
	unsub := linkIn(t, at(t, mailsTo(t, addr), 1), "/newsletter/unsubscribe")
	if r := post(t, "/newsletter/unsubscribe", url.Values{"token": {tokenOf(t, unsub)}}); r.Status != http.StatusOK {
		t.Fatalf("unsubscribe: %d", r.Status)
	}
	want(subscribe(t, addr, "newsletter")) // unsubscribed: must confirm again
	expectMails(3)
	if sub := subscriptionOf(t, addr, "newsletter"); sub["status"] != "pending" {
		t.Fatalf("re-signup should be pending, got %v", sub["status"])
	}
	// The old confirmation link belongs to the earlier signup and no longer works.
	if r := post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json"); r.Status != http.StatusBadRequest {
		t.Fatalf("stale confirm link: want 400, got %d %s", r.Status, r.Body)
	}
}

func TestFormAndMailInEachLanguage(t *testing.T) {
	for lang, words := range map[string][2]string{"fi": {"Tilaa museon uutiskirje", "Vahvista"}, "sv": {"Prenumerera", "Bekräfta"}, "en": {"Subscribe to the museum", "confirm"}} {
		t.Run(lang, func(t *testing.T) {
			page := get(t, "/newsletter?lang="+lang)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, words[0]) || !strings.Contains(page.Body, `lang="`+lang+`"`) {
				t.Fatalf("form in %s: %d", lang, page.Status)
			}
			if strings.Contains(page.Body, `name="consent" value="true" checked`) {
				t.Fatal("the consent box must not be ticked in advance")
			}
			addr := newAddress(t)
			if r := post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "consent": {"on"}, "lang": {lang}}); r.Status != http.StatusAccepted {
				t.Fatalf("subscribe: %d %s", r.Status, r.Body)
			}
			drain(t)
			mails := mailsTo(t, addr)
			if len(mails) != 1 || !strings.Contains(mails[0].Parsed.Subject, words[1]) {
				t.Fatalf("want one %s mail, got %d", lang, len(mails))
			}
		})
	}
}

func TestBadInputIsRefusedAndLosesNothing(t *testing.T) {
	cases := []struct {
		name   string
		ct     string
		body   string
		status int
		fields []string
	}{
		{"invalid e-mail, no consent, unknown list", "application/json", `{"email":"not-an-address","lists":["weekly"],"lang":"en"}`, 400, []string{"email", "consent", "lists"}},
		{"consent false", "application/x-www-form-urlencoded", "email=a%40example.com&consent=false", 400, []string{"consent"}},
		{"malformed JSON", "application/json", `{"email":`, 400, nil},
		{"other media type", "text/plain", "email=a@example.com", 415, nil},
		{"body over 16 KiB", "application/x-www-form-urlencoded", "email=a%40example.com&consent=true&name=" + strings.Repeat("x", 17<<10), 413, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, "/newsletter/subscribe", c.body, "Content-Type", c.ct, "Accept", "application/json")
			if r.Status != c.status {
				t.Fatalf("want %d, got %d %s", c.status, r.Status, r.Body)
			}
			var got struct {
				Errors map[string]string `json:"errors"`
				Error  string            `json:"error"`
			}
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("answer is not JSON: %s", r.Body)
			}
			for _, f := range c.fields {
				if got.Errors[f] == "" {
					t.Errorf("no message for field %s: %s", f, r.Body)
				}
			}
			if c.fields == nil && got.Error == "" {
				t.Errorf("want an error message: %s", r.Body)
			}
		})
	}

	t.Run("honeypot", func(t *testing.T) {
		addr := newAddress(t)
		r := post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "consent": {"true"}, "website": {"http://spam.example"}}, "Accept", "application/json")
		if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "pending") {
			t.Fatalf("a bot gets the same 202: %d %s", r.Status, r.Body)
		}
		drain(t)
		if subscriptionOf(t, addr, "newsletter") != nil || len(mailsTo(t, addr)) != 0 {
			t.Fatal("honeypot: nothing may be stored or sent")
		}
	})

	t.Run("tampered and wrong-purpose links", func(t *testing.T) {
		addr := newAddress(t)
		subscribe(t, addr, "newsletter")
		drain(t)
		m := at(t, mailsTo(t, addr), 0)
		confirm := tokenOf(t, linkIn(t, m, "/newsletter/confirm"))
		unsub := tokenOf(t, linkIn(t, m, "/newsletter/unsubscribe"))
		for name, tok := range map[string]string{"tampered": confirm[:len(confirm)-2] + "xx", "unsubscribe token used to confirm": unsub, "empty": ""} {
			r := post(t, "/newsletter/confirm", url.Values{"token": {tok}})
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "/newsletter?lang=") {
				t.Errorf("%s: want a 400 page that says what to do, got %d", name, r.Status)
			}
		}
		if got := get(t, "/newsletter/unsubscribe?token=garbage"); got.Status != http.StatusBadRequest {
			t.Errorf("garbage unsubscribe link: %d", got.Status)
		}
		if sub := subscriptionOf(t, addr, "newsletter"); sub["status"] != "pending" {
			t.Fatalf("bad links must change nothing: %v", sub["status"])
		}
	})
}

// TestEveryMessageDeliveredTwiceMailsOnce: the outbox stream's batch
// delivered twice at once (a retry racing the first delivery), and the job
// then also on the mail queue (a handover racing both): one mail.
func TestEveryMessageDeliveredTwiceMailsOnce(t *testing.T) {
	addr := newAddress(t)
	subscribe(t, addr, "newsletter")
	ctx := context.Background()
	ev, err := stack.TakeStreamEvent(ctx, "MailerFunction")
	if err != nil {
		t.Fatal(err)
	}
	sub := subscriptionOf(t, addr, "newsletter")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := stack.Functions["MailerFunction"].Invoke(ctx, ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	(&clockSite{stack: stack}).send(t, "MailQueue", mailer.OpSend, "confirm."+sub["signupId"].(string))
	drain(t)
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Fatalf("duplicate delivery: want 1 mail, got %d", n)
	}
}

// TestStreamRecordRetriedWhenNothingCanTakeIt: SES fails and the mail
// queue cannot be reached either, so the outbox stream record itself
// fails and the mapping delivers it again: one mail, nothing lost.
func TestStreamRecordRetriedWhenNothingCanTakeIt(t *testing.T) {
	addr := newAddress(t)
	faults.FailNext("SESv2.SendEmail", 1)
	faults.FailNext("SQS.SendMessage", 1)
	defer faults.FailNext("SESv2.SendEmail", 0)
	defer faults.FailNext("SQS.SendMessage", 0)
	if r := subscribe(t, addr, "newsletter"); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d", r.Status)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Fatalf("want exactly 1 mail after the stream's retry, got %d", n)
	}
	if job := item(t, "MailTable", "MAIL#confirm."+subscriptionOf(t, addr, "newsletter")["signupId"].(string), "MAIL"); job["status"] != "sent" || job["attempts"] != float64(2) {
		t.Fatalf("the job should be sent on its second attempt: %v", job)
	}
}

func TestSESFailureRestsInDLQAndRedriveSendsOnce(t *testing.T) {
	addr := newAddress(t)
	faults.FailNext("SESv2.SendEmail", 1000)
	defer faults.FailNext("SESv2.SendEmail", 0)
	if r := subscribe(t, addr, "newsletter"); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d", r.Status)
	}
	drain(t) // five receives, each failing, then the redrive policy moves it
	if n := len(mailsTo(t, addr)); n != 0 {
		t.Fatalf("SES was failing; %d mails sent", n)
	}
	ctx := context.Background()
	dlq := stack.Resolve("MailDLQ")
	out, err := stack.Clients().SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatalf("read the DLQ: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("want the mail message in the DLQ, got %d", len(out.Messages))
	}
	if strings.Contains(*out.Messages[0].Body, "@") {
		t.Fatalf("DLQ message carries personal data: %s", *out.Messages[0].Body)
	}
	// Operator redrive (README "Operations"): back to the source queue.
	faults.FailNext("SESv2.SendEmail", 0)
	if _, err := stack.Clients().SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Resolve("MailQueue")), MessageBody: out.Messages[0].Body}); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Clients().SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(dlq), Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: out.Messages[0].ReceiptHandle}}}); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Fatalf("after redrive: want exactly 1 mail, got %d", n)
	}
}

// TestLostStreamRecordIsRelayed: a job whose stream record never reaches
// the mailer (the mapping disabled, say) is found by the relay schedule.
func TestLostStreamRecordIsRelayed(t *testing.T) {
	addr := newAddress(t)
	if r := subscribe(t, addr, "newsletter"); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d", r.Status)
	}
	if _, err := stack.TakeStreamEvent(context.Background(), "MailerFunction"); err != nil {
		t.Fatal(err) // taken and dropped: lost
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 0 {
		t.Fatalf("the stream record was lost, yet %d mails", n)
	}
	sub := subscriptionOf(t, addr, "newsletter")
	pk := "MAIL#confirm." + sub["signupId"].(string)
	// The relay leaves a fresh job to its queue message; once the clock is
	// past its patience, the schedule finds the job and queues it again.
	if err := stack.RunSchedules(context.Background(), "MailerFunction"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 0 {
		t.Fatalf("the relay must wait for its patience: %d mails", n)
	}
	advance(t, "1h")
	if err := stack.RunSchedules(context.Background(), "MailerFunction"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Fatalf("relay: want 1 mail, got %d", n)
	}
	if job := item(t, "MailTable", pk, "MAIL"); job["status"] != "sent" || job["pending"] != nil {
		t.Fatalf("relayed job should be sent and off the pending index: %v", job)
	}
}

func TestSignupHandedOverByQueue(t *testing.T) {
	addr := newAddress(t)
	recs := record.MustCatalogue(register.MustLoad("museum"), map[string]string{"subscribers": stack.Resolve("SubscribersTable")})
	id := "handover-" + randomHex(8)
	req := newsletter.NewSignupRequest(subjectSecret(t), now(), id, newsletter.Signup{
		Email: addr, Lang: "sv", Lists: []string{"newsletter"}, Channel: "feedback-survey", Form: "feedback-form/test",
	})
	put, err := newsletter.PutSignupRequest(recs, req)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := stack.Clients().DynamoDB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
		t.Fatal(err)
	}
	body := `{"op":"signup","id":"` + id + `"}`
	for range 2 { // delivered twice
		if _, err := stack.Clients().SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Resolve("SignupsQueue")), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	drain(t)
	mails := mailsTo(t, addr)
	if len(mails) != 1 || !strings.Contains(mails[0].Parsed.Subject, "Bekräfta") {
		t.Fatalf("want one Swedish confirmation, got %d", len(mails))
	}
	if item(t, "SubscribersTable", "SIGNUP#"+id, "SIGNUP") != nil {
		t.Fatal("the handed-over request must be deleted once handled")
	}
	sub := subscriptionOf(t, addr, "newsletter")
	receipt := item(t, "SubscribersTable", "SUB#"+subject.EmailKey(subjectSecret(t), addr), "CONSENT#newsletter#"+id)
	if sub["channel"] != "feedback-survey" || receipt["form"] != "feedback-form/test" {
		t.Fatalf("the receipt must say where consent was given: %v / %v", sub["channel"], receipt["form"])
	}
}
