package main

// CPU per operation, the recording (cpu.go): each operation run once on the
// local stack, its event built as API Gateway or SQS sends it, with its AWS
// responses recorded.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// httpEvent builds the payload 2.0 event API Gateway's HTTP API sends for a
// JSON POST, with the headers a browser and the API add.
func httpEvent(path string, body map[string]any) []byte {
	raw, _ := json.Marshal(body)
	host := "a1b2c3d4e5.execute-api.eu-north-1.amazonaws.com"
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path,
		Headers: map[string]string{
			"accept": "application/json", "accept-language": "fi-FI,fi;q=0.9,en;q=0.8", "content-length": strconv.Itoa(len(raw)),
			"content-type": "application/json", "host": host, "origin": "https://www.example.org",
			"user-agent":      "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
			"x-amzn-trace-id": "Root=1-681b2a48-3f0c1e2d4b5a69788796a5b4", "x-forwarded-for": "203.0.113.7",
			"x-forwarded-port": "443", "x-forwarded-proto": "https",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "a1b2c3d4e5", DomainName: host, DomainPrefix: "a1b2c3d4e5",
			RequestID: "J8kQwhGbgi0EJjQ=", RouteKey: "POST " + path, Stage: "$default",
			Time: "07/May/2026:09:30:00 +0000", TimeEpoch: 1778146200000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7",
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"},
		},
		Body: string(raw),
	}
	out, _ := json.Marshal(ev)
	return out
}

// invokeRecorded runs one event through the function's entry point on the
// stack and returns the AWS calls it made.
func (b *bench) invokeRecorded(ctx context.Context, name, function string, event []byte, want int) (cpuOp, error) {
	op := cpuOp{Name: name, Function: function, Event: event, Want: want}
	mark := b.rec2.mark()
	out, err := b.stack.Functions[function].Entry().Invoke(ctx, event)
	if err != nil {
		return op, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkAnswer(out, want); err != nil {
		return op, fmt.Errorf("%s on the stack: %w", name, err)
	}
	op.Calls = b.rec2.since(mark)
	return op, nil
}

func checkAnswer(out []byte, want int) error {
	var resp struct {
		StatusCode        int               `json:"statusCode"`
		BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("answer %q: %w", out, err)
	}
	if resp.StatusCode != want || len(resp.BatchItemFailures) > 0 {
		return fmt.Errorf("answered %s, want status %d and no failed messages", out, want)
	}
	return nil
}

// recordCPU runs each operation once on the stack with its AWS responses
// recorded. It comes first, so the first calls of each function (the
// secrets) are recorded too, for the children's first invocation.
func (b *bench) recordCPU(ctx context.Context) ([]cpuOp, []exchange, error) {
	progress("CPU: recording each operation's AWS responses on the stack")
	b.rec2.set(true)
	defer b.rec2.set(false)
	var ops []cpuOp
	add := func(op cpuOp, err error) error {
		if err == nil {
			ops = append(ops, op)
		}
		return err
	}
	// Warm-ups read the secrets; their responses are the children's too.
	if err := b.mustSignup(ctx, b.address()); err != nil {
		return nil, nil, err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return nil, nil, err
	}
	addr := b.address()
	if err := add(b.invokeRecorded(ctx, "signup", "NewsletterFunction",
		httpEvent("/newsletter/subscribe", map[string]any{"email": addr, "name": "Vera Visitor", "lists": []string{"newsletter"}, "consent": true, "lang": "fi"}), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	// The signup's job as the outbox stream brings it to the mailer.
	ev, err := b.stack.TakeStreamEvent(ctx, "MailerFunction")
	if err != nil {
		return nil, nil, err
	}
	if err := add(b.invokeRecorded(ctx, "signup's mail", "MailerFunction", ev, 0)); err != nil {
		return nil, nil, err
	}
	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	if err := add(b.invokeRecorded(ctx, "confirm", "NewsletterFunction",
		httpEvent("/newsletter/confirm", map[string]any{"token": tok, "lang": "fi"}), http.StatusOK)); err != nil {
		return nil, nil, err
	}
	day := helsinki.Today(time.Now()).AddDate(0, 0, 21).Format("2006-01-02")
	card := func(addr string) map[string]any {
		return map[string]any{"resource": "guide", "date": day, "start": "13:00", "end": "14:00", "participants": 5,
			"first_name": "Bench", "last_name": "Mark", "email": addr, "payment": "card", "lang": "fi"}
	}
	if code, body := b.post(ctx, "/bookings", card(b.address())); code != http.StatusAccepted {
		return nil, nil, fmt.Errorf("booking warm-up answered %d: %s", code, body)
	}
	if err := add(b.invokeRecorded(ctx, "card booking", "BookingsFunction", httpEvent("/bookings", card(b.address())), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	today := time.Now().UTC().Format("2006-01-02")
	survey := map[string]any{"visit_date": today, "visit_reason": "exhibition", "age_group": "30-44", "feedback": "Hyvä näyttely", "lang": "fi"}
	if code, body := b.post(ctx, "/feedback", survey); code != http.StatusAccepted {
		return nil, nil, fmt.Errorf("feedback warm-up answered %d: %s", code, body)
	}
	if err := add(b.invokeRecorded(ctx, "anonymous survey answer", "FeedbackFunction", httpEvent("/feedback", survey), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	// A campaign's mail to one recipient, as the outbox stream brings it
	// (the mail the operations above caused sent first, off the stream).
	if err := b.stack.Drain(ctx); err != nil {
		return nil, nil, err
	}
	reg := register.MustLoad("museum")
	recs := record.MustCatalogue(reg, map[string]string{"subscribers": b.stack.Resolve("SubscribersTable"),
		"campaigns": b.stack.Resolve("CampaignsTable"), "audit": b.stack.Resolve("AuditTable")})
	if err := b.loadSubscribers(ctx, recs, "openings", 1, func(int) string { return "cpu." + b.runID + "@example.com" }); err != nil {
		return nil, nil, err
	}
	id, err := b.newCampaignID(ctx, recs, "openings", "kcpu-"+b.runID)
	if err != nil {
		return nil, nil, err
	}
	if _, err := b.runCampaign(ctx, id); err != nil {
		return nil, nil, err
	}
	ev, err = b.stack.TakeStreamEvent(ctx, "MailerFunction")
	if err != nil {
		return nil, nil, err
	}
	if err := add(b.invokeRecorded(ctx, "campaign mail, per recipient", "MailerFunction", ev, 0)); err != nil {
		return nil, nil, err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return nil, nil, err
	}
	return ops, b.rec2.all(), nil
}

// cpuRecorded is what the children need from the stack: the operations and
// every function's environment.
type cpuRecorded struct {
	ops      []cpuOp
	fallback []exchange
	env      map[string]map[string]string
}

// recordForCPU records the operations on the stack.
func (b *bench) recordForCPU(ctx context.Context) (*cpuRecorded, error) {
	ops, fallback, err := b.recordCPU(ctx)
	if err != nil {
		return nil, fmt.Errorf("CPU recording: %w", err)
	}
	env := map[string]map[string]string{}
	for fn, e := range b.stack.Env {
		env[fn] = maps.Clone(e)
	}
	// The mailer paces its sends to the SES rate by waiting; replayed
	// against recorded answers, the wait is not CPU and would only slow
	// the rounds (and count the timer's wake-ups).
	env["MailerFunction"]["MAIL_SEND_RATE"] = "1000000"
	return &cpuRecorded{ops: ops, fallback: fallback, env: env}, nil
}
