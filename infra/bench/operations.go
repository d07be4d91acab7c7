package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
)

// signupGoal is DESIGN §5's limit on synchronous AWS calls of a signup.
const signupGoal = 2

// opResult is the AWS calls of one operation.
type opResult struct {
	Name   string
	Goal   int // 0: no goal, shown for information
	Counts awsprobe.Counts
}

// dupResult is one duplicate-delivery run.
type dupResult struct {
	Name                       string
	Subjects, Duplicated, Sent int
	Extra, Missing             int
}

// faultResult is the faults run.
type faultResult struct {
	N, Accepted, Fired                    int
	Sent, OK, Lost, Duplicates, Refused   int
	UnsentLostMsg, UnsentLeased, UnsentRe int // durable, unsent: message lost (attempts 0), lease held, received and failed
	UnsentBeforeHeal, InDLQBeforeHeal     int // accepted, unsent jobs and DLQ depth right after the faulty drain
	Aged, Requeued                        int // jobs made 10 min older; messages the relay sent
	RedrivenFromDLQ, LeftInDLQ            int
}

type opsReport struct {
	CPU    *cpuReport
	Ops    []opResult
	States []stateResult
	Dups   []dupResult
	Faults *faultResult
}

type bench struct {
	stack  *local.Stack
	h      http.Handler
	rec    *awsprobe.Recorder
	faults *awsprobe.Faults
	rec2   *recording // the functions' HTTP responses, for the CPU replay
	runID  string
	n      int
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// measureOperations runs the operations against the local stack.
func measureOperations(ctx context.Context, root, tmp, logDir string, nDup, nFaults int, seed uint64, cpuRounds int, cpuOnly bool, cpuProfile time.Duration) (rep opsReport, err error) {
	logf, err := os.Create(filepath.Join(logDir, "functions.log"))
	if err != nil {
		return rep, err
	}
	defer logf.Close()
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(logf, nil)))
	defer slog.SetDefault(prev)

	b := &bench{rec: awsprobe.NewRecorder(), faults: awsprobe.NewFaults(seed), runID: randomHex(4),
		rec2: &recording{base: awshttp.NewBuildableClient().GetTransport()}}
	progress("starting the local stack (emulators, prefix bench-%s)", b.runID)
	b.stack, err = local.Start(ctx, local.Options{
		RepoRoot: root, Prefix: "bench-" + b.runID, PublicBaseURL: "http://bench.local", LogDir: logDir,
		Configure: func(c *aws.Config) {
			b.rec.Attach(c)
			b.faults.Attach(c)
			c.HTTPClient = &http.Client{Transport: b.rec2}
		},
	})
	if err != nil {
		return rep, fmt.Errorf("start local stack: %w", err)
	}
	defer b.stack.Stop()
	b.h = b.stack.Handler()

	var recorded *cpuRecorded
	if cpuRounds > 0 {
		if recorded, err = b.recordForCPU(ctx); err != nil {
			return rep, err
		}
		// Measured last, after the emulators stop (deferred calls run last first).
		defer func() {
			if err != nil || ctx.Err() != nil {
				return
			}
			b.stack.Stop()
			time.Sleep(time.Second)
			rep.CPU, err = measureCPU(ctx, recorded, tmp, cpuRounds, cpuProfile)
		}()
		if cpuOnly {
			return rep, nil
		}
	}
	if err := b.signupAndConfirm(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.subscribeStates(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.feedback(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.bookings(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.duplicates(ctx, &rep, nDup); err != nil {
		return rep, err
	}
	if err := b.withFaults(ctx, &rep, nFaults); err != nil {
		return rep, err
	}
	return rep, nil
}

func (b *bench) address() string {
	b.n++
	return fmt.Sprintf("bench-%03d-%s@example.com", b.n, b.runID)
}

// post sends a JSON request through the HTTP API as a browser's script
// would; a 429 from the API's throttling is waited out and retried, as a
// client would.
func (b *bench) post(ctx context.Context, path string, body map[string]any) (int, string) {
	raw, _ := json.Marshal(body)
	for attempt := 0; ; attempt++ {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://bench.local"+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		b.h.ServeHTTP(w, req)
		if w.Code == http.StatusTooManyRequests && attempt < 100 && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return w.Code, w.Body.String()
	}
}

func (b *bench) signup(ctx context.Context, addr string) (int, string) {
	return b.post(ctx, "/newsletter/subscribe", map[string]any{"email": addr, "consent": true, "lang": "en"})
}

func (b *bench) mustSignup(ctx context.Context, addr string) error {
	if code, body := b.signup(ctx, addr); code != http.StatusAccepted {
		return fmt.Errorf("signup answered %d: %s", code, body)
	}
	return nil
}

// mailKind tells a confirmation from a welcome mail by its Message-ID,
// which the mailer derives from the outbox job id ("confirm.<signup>").
func mailKind(m local.SentMail) string {
	id := strings.TrimPrefix(m.Parsed.Header.Get("Message-Id"), "<")
	kind, _, _ := strings.Cut(id, ".")
	return kind
}

// mailsTo counts, per recipient, the mails of kind sent so far.
func (b *bench) mailsTo(ctx context.Context, kind string) (map[string]int, []local.SentMail, error) {
	all, err := b.stack.SentMail(ctx)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int{}
	var of []local.SentMail
	for _, m := range all {
		if mailKind(m) == kind {
			counts[strings.ToLower(m.Parsed.To)]++
			of = append(of, m)
		}
	}
	return counts, of, nil
}

// confirmToken finds the confirmation link in the mail to addr and returns its token.
func (b *bench) confirmToken(ctx context.Context, addr string) (string, error) {
	_, mails, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return "", err
	}
	for _, m := range mails {
		if !strings.EqualFold(m.Parsed.To, addr) {
			continue
		}
		for _, l := range m.Links() {
			u, err := url.Parse(l)
			if err == nil && u.Path == "/newsletter/confirm" && u.Query().Get("token") != "" {
				return u.Query().Get("token"), nil
			}
		}
		return "", fmt.Errorf("confirmation mail to %s has no confirm link in its text", addr)
	}
	return "", fmt.Errorf("no confirmation mail to %s", addr)
}

func (b *bench) confirm(ctx context.Context, addr string) error {
	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return err
	}
	if code, body := b.post(ctx, "/newsletter/confirm", map[string]any{"token": tok, "lang": "en"}); code != http.StatusOK {
		return fmt.Errorf("confirm answered %d: %s", code, body)
	}
	return nil
}

// signupAndConfirm counts the AWS calls of one signup and one confirm,
// synchronous (inside the HTTP request) and asynchronous (the mailer).
func (b *bench) signupAndConfirm(ctx context.Context, rep *opsReport) error {
	progress("measuring a signup and a confirm")
	// Warm-up: the first call of a process reads the secrets.
	if err := b.mustSignup(ctx, b.address()); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}

	addr := b.address()
	b.rec.Reset()
	if err := b.mustSignup(ctx, addr); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "signup (sync, in the HTTP request)", Goal: signupGoal, Counts: b.rec.Snapshot()})
	b.rec.Reset()
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "signup → mailer (async)", Counts: b.rec.Snapshot()})

	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return err
	}
	b.rec.Reset()
	if code, body := b.post(ctx, "/newsletter/confirm", map[string]any{"token": tok, "lang": "en"}); code != http.StatusOK {
		return fmt.Errorf("confirm answered %d: %s", code, body)
	}
	rep.Ops = append(rep.Ops, opResult{Name: "confirm (sync, in the HTTP request)", Counts: b.rec.Snapshot()})
	b.rec.Reset()
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "confirm → mailer (async)", Counts: b.rec.Snapshot()})
	return nil
}

// feedback counts the AWS calls of survey submissions: anonymous, with a
// reply wanted, and with a newsletter consent.
func (b *bench) feedback(ctx context.Context, rep *opsReport) error {
	progress("measuring feedback submissions")
	today := time.Now().UTC().Format("2006-01-02")
	// Warm-up: the first consent of a process reads the subject key.
	if code, body := b.post(ctx, "/feedback", map[string]any{"visit_date": today, "contact_me": true, "email": b.address()}); code != http.StatusAccepted {
		return fmt.Errorf("feedback warm-up answered %d: %s", code, body)
	}
	for _, c := range []struct {
		name string
		body map[string]any
	}{
		{"feedback, anonymous (sync)", map[string]any{"visit_date": today, "visit_reason": "exhibition", "age_group": "30-44", "feedback": "Hyvä näyttely"}},
		{"feedback, reply wanted (sync)", map[string]any{"visit_date": today, "feedback": "Vastatkaa", "contact_me": true, "email": b.address()}},
		{"feedback, newsletter consent (sync)", map[string]any{"visit_date": today, "newsletter_consent": true, "email": b.address()}},
	} {
		b.rec.Reset()
		if code, body := b.post(ctx, "/feedback", c.body); code != http.StatusAccepted {
			return fmt.Errorf("%s answered %d: %s", c.name, code, body)
		}
		rep.Ops = append(rep.Ops, opResult{Name: c.name, Goal: signupGoal, Counts: b.rec.Snapshot()})
	}
	return b.stack.Drain(ctx)
}

// bookings counts the AWS calls of booking requests (paid by card, and by
// invoice with an identity code to seal) and of a staff decision.
func (b *bench) bookings(ctx context.Context, rep *opsReport) error {
	progress("measuring bookings")
	day := helsinki.Today(time.Now()).AddDate(0, 0, 20).Format("2006-01-02")
	form := func(addr string, invoice bool) map[string]any {
		f := map[string]any{"resource": "guide", "date": day, "start": "10:00", "end": "11:00", "participants": 5,
			"first_name": "Bench", "last_name": "Mark", "email": addr, "payment": "card"}
		if invoice {
			f["payment"], f["street"], f["postcode"], f["city"], f["hetu"] = "invoice", "Tie 1", "02100", "Espoo", "010594Y9032"
		}
		return f
	}
	// Warm-up: the first request of a process reads the secrets.
	if code, body := b.post(ctx, "/bookings", form(b.address(), false)); code != http.StatusAccepted {
		return fmt.Errorf("booking warm-up answered %d: %s", code, body)
	}
	var ref string
	for _, c := range []struct {
		name    string
		invoice bool
		goal    int
	}{{"booking request, card (sync)", false, signupGoal}, {"booking request, invoice + identity code (sync)", true, signupGoal + 1}} {
		b.rec.Reset()
		code, body := b.post(ctx, "/bookings", form(b.address(), c.invoice))
		if code != http.StatusAccepted {
			return fmt.Errorf("%s answered %d: %s", c.name, code, body)
		}
		rep.Ops = append(rep.Ops, opResult{Name: c.name, Goal: c.goal, Counts: b.rec.Snapshot()})
		var out struct{ Reference string }
		_ = json.Unmarshal([]byte(body), &out)
		ref = out.Reference
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	mails, err := b.stack.SentMail(ctx)
	if err != nil {
		return err
	}
	var tok string
	for _, m := range mails {
		if strings.Contains(m.Parsed.Subject, ref) {
			for _, l := range m.Links() {
				if u, err := url.Parse(l); err == nil && u.Path == "/bookings/decision" {
					tok = u.Query().Get("token")
				}
			}
		}
	}
	if tok == "" {
		return fmt.Errorf("no staff decision link for %s", ref)
	}
	b.rec.Reset()
	if code, body := b.post(ctx, "/bookings/decision", map[string]any{"token": tok, "action": "accept"}); code != http.StatusOK {
		return fmt.Errorf("accept answered %d: %s", code, body)
	}
	rep.Ops = append(rep.Ops, opResult{Name: "booking decision, accept (sync)", Counts: b.rec.Snapshot()})
	return b.stack.Drain(ctx)
}

// duplicateMailQueue delivers every message now on the mail queue twice:
// it takes each off the queue for a moment, sends its body again, and makes
// the original visible at once. It returns how many it duplicated.
func (b *bench) duplicateMailQueue(ctx context.Context) (int, error) {
	api, q := b.stack.Clients().SQS, b.stack.Resolve("MailQueue")
	var held []string
	var bodies []string
	for empty := 0; empty < 2; {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			return 0, fmt.Errorf("receive mail queue: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			held = append(held, aws.ToString(m.ReceiptHandle))
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
	for _, body := range bodies {
		if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(body)}); err != nil {
			return 0, fmt.Errorf("send duplicate: %w", err)
		}
	}
	for _, h := range held {
		if _, err := api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String(h), VisibilityTimeout: 0}); err != nil {
			return 0, fmt.Errorf("release original: %w", err)
		}
	}
	return len(bodies), nil
}

func countFor(counts map[string]int, addrs []string) (sent, extra, missing int) {
	for _, a := range addrs {
		n := counts[strings.ToLower(a)]
		sent += n
		if n == 0 {
			missing++
		} else {
			extra += n - 1
		}
	}
	return sent, extra, missing
}

// duplicates signs n people up and confirms them, with every mail-queue
// message delivered twice and every confirm button pressed twice.
func (b *bench) duplicates(ctx context.Context, rep *opsReport, n int) error {
	progress("duplicate delivery: %d signups, every message twice", n)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = b.address()
		if err := b.mustSignup(ctx, addrs[i]); err != nil {
			return err
		}
	}
	dup, err := b.duplicateMailQueue(ctx)
	if err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	counts, _, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r := dupResult{Name: "confirmation mail", Subjects: n, Duplicated: dup}
	r.Sent, r.Extra, r.Missing = countFor(counts, addrs)
	rep.Dups = append(rep.Dups, r)

	for _, a := range addrs {
		if counts[strings.ToLower(a)] == 0 {
			continue
		}
		for range 2 {
			if err := b.confirm(ctx, a); err != nil {
				return err
			}
		}
	}
	if dup, err = b.duplicateMailQueue(ctx); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	if counts, _, err = b.mailsTo(ctx, "welcome"); err != nil {
		return err
	}
	r = dupResult{Name: "welcome mail (confirm pressed twice)", Subjects: n, Duplicated: dup}
	r.Sent, r.Extra, r.Missing = countFor(counts, addrs)
	rep.Dups = append(rep.Dups, r)
	return nil
}

// moveDLQ moves every message of the mail DLQ back to the mail queue.
func (b *bench) moveDLQ(ctx context.Context) (int, error) {
	api := b.stack.Clients().SQS
	dlq, q := b.stack.Resolve("MailDLQ"), b.stack.Resolve("MailQueue")
	moved := 0
	for empty := 0; empty < 2; {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			return moved, fmt.Errorf("receive DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: m.Body}); err != nil {
				return moved, fmt.Errorf("redrive: %w", err)
			}
			if _, err := api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return moved, fmt.Errorf("redrive: %w", err)
			}
			moved++
		}
	}
	return moved, nil
}

func (b *bench) queueDepth(ctx context.Context, logical string) (int, error) {
	out, err := b.stack.Clients().SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(b.stack.Resolve(logical)), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range out.Attributes {
		var k int
		_, _ = fmt.Sscan(v, &k)
		n += k
	}
	return n, nil
}

// outboxJobs reads every confirmation job of the outbox. A Scan: this is the
// bench looking, not the system working.
func (b *bench) outboxJobs(ctx context.Context) (map[string]mail.Job, error) {
	jobs := map[string]mail.Job{}
	p := dynamodb.NewScanPaginator(b.stack.Clients().DynamoDB, &dynamodb.ScanInput{
		TableName:                 aws.String(b.stack.Resolve("MailTable")),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: "MAIL#confirm."}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan outbox: %w", err)
		}
		var page []mail.Job
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, err
		}
		for _, j := range page {
			jobs[strings.ToLower(j.To)] = j
		}
	}
	return jobs, nil
}

// ageOutbox makes every unsent job look older than the relay's and the
// lease's two minutes, as if that time had passed: createdAt and any lease
// are moved ten minutes back. It returns how many jobs it aged.
func (b *bench) ageOutbox(ctx context.Context) (int, error) {
	jobs, err := b.outboxJobs(ctx)
	if err != nil {
		return 0, err
	}
	past := time.Now().Add(-10 * time.Minute)
	n := 0
	for _, j := range jobs {
		if j.Status == mail.Sent {
			continue
		}
		expr := "SET createdAt = :created"
		vals := map[string]ddbtypes.AttributeValue{":created": &ddbtypes.AttributeValueMemberS{Value: past.UTC().Format(time.RFC3339)}}
		if j.Status == mail.Sending {
			expr += ", leaseUntil = :lease"
			vals[":lease"] = &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(past.Unix())}
		}
		if _, err := b.stack.Clients().DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(b.stack.Resolve("MailTable")), Key: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: j.PK}, "sk": &ddbtypes.AttributeValueMemberS{Value: j.SK},
			},
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals,
		}); err != nil {
			return n, fmt.Errorf("age outbox job: %w", err)
		}
		n++
	}
	return n, nil
}

// withFaults signs n people up while 10 % of the functions' AWS calls fail,
// lets the mailer work under the same faults, then heals: faults stop, two
// minutes pass (simulated by ageing the outbox), the relay runs, the DLQ is
// redriven and the queues drained. Every 202 must end as exactly
// one mail or a durable unsent job; none may be mailed twice.
func (b *bench) withFaults(ctx context.Context, rep *opsReport, n int) error {
	progress("faults: %d signups with 10 %% of AWS calls failing", n)
	if d, err := b.queueDepth(ctx, "MailDLQ"); err != nil || d != 0 {
		return fmt.Errorf("mail DLQ holds %d messages before the faults run (%v)", d, err)
	}
	_, before, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r := &faultResult{N: n}
	rep.Faults = r
	accepted := map[string]bool{}
	addrs := make([]string, n)
	fired0 := b.faults.Fired()
	b.faults.FailRate(0.10)
	defer b.faults.FailRate(0)
	for i := range addrs {
		addrs[i] = b.address()
		code, _ := b.signup(ctx, addrs[i])
		if code == http.StatusAccepted {
			accepted[addrs[i]] = true
			r.Accepted++
		}
	}
	progress("faults: draining the mail queue with faults still on")
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	b.faults.FailRate(0)
	r.Fired = b.faults.Fired() - fired0

	// Before healing, count what a deployed system would be left with.
	pre, err := b.outboxJobs(ctx)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if j, ok := pre[strings.ToLower(a)]; ok && accepted[a] && j.Status != mail.Sent {
			r.UnsentBeforeHeal++
		}
	}
	if r.InDLQBeforeHeal, err = b.queueDepth(ctx, "MailDLQ"); err != nil {
		return err
	}

	progress("faults: healed; 2 minutes simulated, relay, DLQ redrive, drain")
	if r.Aged, err = b.ageOutbox(ctx); err != nil {
		return err
	}
	b.rec.Reset()
	if err := b.stack.RunSchedules(ctx, "MailerFunction"); err != nil {
		return err
	}
	r.Requeued = b.rec.Snapshot().Calls["SQS.SendMessage"]
	if r.RedrivenFromDLQ, err = b.moveDLQ(ctx); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	if r.LeftInDLQ, err = b.queueDepth(ctx, "MailDLQ"); err != nil {
		return err
	}

	counts, all, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r.Sent = len(all) - len(before)
	jobs, err := b.outboxJobs(ctx)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		got := counts[strings.ToLower(a)]
		if !accepted[a] {
			if got > 0 {
				r.Refused++
			}
			continue
		}
		switch {
		case got > 1:
			r.Duplicates++
		case got == 1:
			r.OK++
		default:
			j, ok := jobs[strings.ToLower(a)]
			switch {
			case !ok || j.Status == mail.Sent:
				r.Lost++
			case j.Status == mail.Sending:
				r.UnsentLeased++
			case j.Attempts == 0:
				r.UnsentLostMsg++
			default:
				r.UnsentRe++
			}
		}
	}
	return nil
}
