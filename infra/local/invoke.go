package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/internal/errlog"
)

// Throttle is the HTTP API's token bucket: a steady rate per second and a
// burst. Now, if set, is the bucket's clock (tests freeze it).
type Throttle struct {
	Rate, Burst float64
	Now         func() time.Time
}

// TemplateThrottle is the throttling template.yaml declares for the HTTP API
// (DefaultRouteSettings), or API Gateway's defaults scaled down when it
// declares none.
func (s *Stack) TemplateThrottle() Throttle {
	t := Throttle{Rate: 20, Burst: 40}
	if api := s.Template.Resources["HttpApi"]; api.Type != "" {
		rs := asMap(api.Properties["DefaultRouteSettings"])
		if v, err := strconv.ParseFloat(s.str(rs["ThrottlingRateLimit"]), 64); err == nil {
			t.Rate = v
		}
		if v, err := strconv.ParseFloat(s.str(rs["ThrottlingBurstLimit"]), 64); err == nil {
			t.Burst = v
		}
	}
	return t
}

// Handler serves the template's HTTP API routes the way API Gateway does:
// each request becomes a payload 2.0 event and goes through the function's
// Lambda entry point, so the local path is the deployed path. Requests are
// throttled as Options.Throttle says, or as the template does (429).
// /_local/clock, unthrottled, shows and moves the stack's clock.
func (s *Stack) Handler() http.Handler {
	t := s.throttle
	if t.Rate == 0 && t.Burst == 0 {
		t = s.TemplateThrottle()
	}
	return s.HandlerWithThrottle(t)
}

// HandlerWithThrottle is Handler with the given throttling.
func (s *Stack) HandlerWithThrottle(t Throttle) http.Handler {
	now := t.Now
	if now == nil {
		now = time.Now
	}
	bucket := &tokenBucket{rate: t.Rate, burst: t.Burst, tokens: t.Burst, last: now(), now: now}
	moveClock := ClockHandler(s.Clock)
	sesEvents := s.SESEventsHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ClockPath {
			moveClock.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == SESEventsPath {
			sesEvents.ServeHTTP(w, r)
			return
		}
		var target string
		for _, rt := range s.routes {
			if rt.method == r.Method && rt.path == r.URL.Path {
				target = rt.function
			}
		}
		if target == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		if !bucket.take() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message":"Too Many Requests"}`)
			return
		}
		s.serveLambda(w, r, target)
	})
}

type tokenBucket struct {
	mu                  sync.Mutex
	rate, burst, tokens float64
	last                time.Time
	now                 func() time.Time
}

func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// apiGatewayBodyLimit is API Gateway's own payload limit.
const apiGatewayBodyLimit = 10 << 20

func (s *Stack) serveLambda(w http.ResponseWriter, r *http.Request, function string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, apiGatewayBodyLimit+1))
	if err != nil || len(body) > apiGatewayBodyLimit {
		http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: r.Method + " " + r.URL.Path, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, QueryStringParameters: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default", RequestID: strconv.FormatInt(time.Now().UnixNano(), 36), DomainName: r.Host,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: "127.0.0.1", UserAgent: r.UserAgent()},
		},
	}
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			ev.Cookies = v
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	for k, v := range r.URL.Query() {
		ev.QueryStringParameters[k] = strings.Join(v, ",")
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	raw, _ := json.Marshal(ev)
	out, err := s.Functions[function].Invoke(r.Context(), raw)
	if err != nil {
		slog.ErrorContext(r.Context(), "function failed", "function", function, errlog.Attr(err))
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		respBody, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// Poll runs one Lambda-style poll of every stream (see pollStream) and every
// queue: receive a batch, hand it to
// the function through its entry point, and delete only the messages the
// function did not report failed. It returns how many messages it handled.
func (s *Stack) Poll(ctx context.Context, wait time.Duration) (int, error) {
	total, err := s.pollStreams(ctx)
	if err != nil {
		return total, err
	}
	for _, q := range s.queues {
		n, err := s.pollQueue(ctx, q, wait)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Stack) pollQueue(ctx context.Context, q queueSource, wait time.Duration) (int, error) {
	out, err := s.clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(q.url), MaxNumberOfMessages: q.batchSize, WaitTimeSeconds: int32(wait / time.Second),
		VisibilityTimeout:           s.opts.VisibilityTimeout,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return 0, fmt.Errorf("receive %s: %w", q.logical, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{}
	for _, m := range out.Messages {
		if s.opts.OnMessage != nil {
			s.opts.OnMessage(q.logical, aws.ToString(m.Body))
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: s.resources[q.logical].attrs["Arn"], AWSRegion: s.region,
		})
	}
	raw, _ := json.Marshal(ev)
	res, err := s.Functions[q.function].Invoke(ctx, raw)
	failed := map[string]bool{}
	if err != nil {
		// A returned error fails the whole batch, as in Lambda.
		slog.ErrorContext(ctx, "batch failed", "queue", q.logical, errlog.Attr(err))
		for _, r := range ev.Records {
			failed[r.MessageId] = true
		}
	} else if resp, ok := res.(events.SQSEventResponse); ok {
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
	} else {
		return 0, errors.New("queue handler returned no batch response")
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) > 0 {
		if _, err := s.clients.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.url), Entries: del}); err != nil {
			return len(out.Messages), fmt.Errorf("delete from %s: %w", q.logical, err)
		}
	}
	return len(out.Messages), nil
}

// Drain polls until every queue comes back empty twice in a row. Failed
// messages come back after the visibility timeout, so a drain also sees
// retries, and ends once they land in their DLQ or succeed.
func (s *Stack) Drain(ctx context.Context) error {
	empty := 0
	deadline := time.Now().Add(2 * time.Minute)
	for empty < 2 {
		if time.Now().After(deadline) {
			return errors.New("queues did not drain in 2 minutes")
		}
		n, err := s.Poll(ctx, 0)
		if err != nil {
			return err
		}
		if n == 0 {
			empty++
			if s.inFlight(ctx) {
				empty = 0
				time.Sleep(200 * time.Millisecond)
			}
		} else {
			empty = 0
		}
	}
	return nil
}

// inFlight reports whether any polled queue holds messages that are
// invisible now but will come back (a failed message waiting for retry).
func (s *Stack) inFlight(ctx context.Context) bool {
	for _, q := range s.queues {
		out, err := s.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(q.url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			return false
		}
		for _, v := range out.Attributes {
			if v != "0" {
				return true
			}
		}
	}
	return false
}

// PollForever polls every queue and stream until ctx ends, as Lambda's
// event source mappings do. Streams have no long poll: they are read every
// 50 ms apart from the queues' long polls.
func (s *Stack) PollForever(ctx context.Context) {
	go func() {
		for ctx.Err() == nil {
			n, err := s.pollStreams(ctx)
			if err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "stream poll failed", errlog.Attr(err))
				time.Sleep(time.Second)
			}
			if n == 0 {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
	for ctx.Err() == nil {
		if _, err := s.Poll(ctx, time.Second); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "poll failed", errlog.Attr(err))
			time.Sleep(time.Second)
		}
	}
}
