package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/config"
)

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	if !json.Valid(raw) {
		t.Fatalf("fixture %s is not JSON", name)
	}
	return raw
}

// stubs records what each handler was given.
type stubs struct {
	httpReqs  []seenRequest
	queueEvs  []events.SQSEvent
	streamEvs []events.DynamoDBEvent
	schedules []json.RawMessage
}

type seenRequest struct {
	Method, Path, Query, ContentType, Body, Accept string
}

func (s *stubs) function() Function {
	return Function{
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			s.httpReqs = append(s.httpReqs, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), string(body), r.Header.Get("Accept")})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, `{"stub":"http"}`)
		}),
		Queue: func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			s.queueEvs = append(s.queueEvs, ev)
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "stub"}}}, nil
		},
		Stream: func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			s.streamEvs = append(s.streamEvs, ev)
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: "stub"}}}, nil
		},
		Schedule: func(_ context.Context, input json.RawMessage) error {
			s.schedules = append(s.schedules, input)
			return nil
		},
	}
}

func TestInvokeDispatchesFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    string // http, queue or schedule
		check   func(t *testing.T, s *stubs, out any)
	}{
		{"http-subscribe-json.json", "http", func(t *testing.T, s *stubs, out any) {
			r := s.httpReqs[0]
			if r.Method != "POST" || r.Path != "/newsletter/subscribe" || r.ContentType != "application/json" {
				t.Errorf("request = %+v", r)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body["email"] != "visitor@example.com" || body["consent"] != true {
				t.Errorf("body = %q (%v)", r.Body, err)
			}
		}},
		{"http-subscribe-honeypot.json", "http", func(t *testing.T, s *stubs, out any) {
			r := s.httpReqs[0]
			// The HTTP API base64-encodes form bodies; the handler sees them decoded.
			if r.ContentType != "application/x-www-form-urlencoded" || !strings.Contains(r.Body, "website=spam") || !strings.Contains(r.Body, "email=visitor%40example.com") {
				t.Errorf("request = %+v", r)
			}
		}},
		{"http-subscribe-invalid.json", "http", func(t *testing.T, s *stubs, out any) {
			if r := s.httpReqs[0]; !strings.HasPrefix(r.ContentType, "application/json") || !strings.Contains(r.Body, "visitor(at)example.com") {
				t.Errorf("request = %+v", r)
			}
		}},
		{"http-form-get.json", "http", func(t *testing.T, s *stubs, out any) {
			if r := s.httpReqs[0]; r.Method != "GET" || r.Path != "/newsletter" || r.Query != "lang=sv" || r.Body != "" {
				t.Errorf("request = %+v", r)
			}
		}},
		{"sqs-mail.json", "queue", func(t *testing.T, s *stubs, out any) {
			recs := s.queueEvs[0].Records
			if len(recs) != 1 || recs[0].Body != `{"op":"send","id":"confirm.0123456789abcdef01234567"}` || recs[0].MessageId == "" {
				t.Errorf("records = %+v", recs)
			}
		}},
		{"sqs-signups.json", "queue", func(t *testing.T, s *stubs, out any) {
			recs := s.queueEvs[0].Records
			var m struct{ Op, ID string }
			if len(recs) != 1 || json.Unmarshal([]byte(recs[0].Body), &m) != nil || m.Op != "signup" || m.ID == "" || strings.Contains(m.ID, "@") {
				t.Errorf("records = %+v", recs)
			}
		}},
		{"dynamodb-outbox-insert.json", "stream", func(t *testing.T, s *stubs, out any) {
			recs := s.streamEvs[0].Records
			if len(recs) != 1 || recs[0].EventName != "INSERT" || recs[0].Change.Keys["pk"].String() != "MAIL#confirm.4f1c2a9be0d3a7c6e1f20b94" || recs[0].Change.SequenceNumber == "" {
				t.Errorf("records = %+v", recs)
			}
			resp, ok := out.(events.DynamoDBEventResponse)
			if !ok || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "stub" {
				t.Errorf("result = %#v, want the stream handler's response", out)
			}
		}},
		{"schedule-relay.json", "schedule", func(t *testing.T, s *stubs, out any) {
			var in struct{ Run string }
			if err := json.Unmarshal(s.schedules[0], &in); err != nil || in.Run != "relay" {
				t.Errorf("schedule input %s (%v)", s.schedules[0], err)
			}
			if out != nil {
				t.Errorf("schedule result %v, want nil", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			s := &stubs{}
			out, err := s.function().Invoke(context.Background(), fixture(t, tc.fixture))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			calls := map[string]int{"http": len(s.httpReqs), "queue": len(s.queueEvs), "stream": len(s.streamEvs), "schedule": len(s.schedules)}
			for k, n := range calls {
				want := 0
				if k == tc.want {
					want = 1
				}
				if n != want {
					t.Fatalf("%s handler called %d times, want %d (calls %v)", k, n, want, calls)
				}
			}
			switch tc.want {
			case "http":
				resp, ok := out.(events.APIGatewayV2HTTPResponse)
				if !ok {
					t.Fatalf("result is %T, want events.APIGatewayV2HTTPResponse", out)
				}
				if resp.StatusCode != http.StatusTeapot || resp.Body != `{"stub":"http"}` || resp.Headers["Content-Type"] != "application/json" {
					t.Errorf("response = %+v", resp)
				}
			case "queue":
				resp, ok := out.(events.SQSEventResponse)
				if !ok || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "stub" {
					t.Fatalf("result = %#v, want the queue handler's response", out)
				}
			}
			tc.check(t, s, out)
		})
	}
}

func TestInvokeWithoutMatchingHandler(t *testing.T) {
	s := &stubs{}
	full := s.function()
	tests := []struct {
		name    string
		fn      Function
		fixture string
		raw     string
	}{
		{name: "HTTP event, no HTTP handler", fn: Function{Queue: full.Queue}, fixture: "http-form-get.json"},
		{name: "SQS event, no queue handler", fn: Function{HTTP: full.HTTP}, fixture: "sqs-mail.json"},
		{name: "schedule, no schedule handler", fn: Function{HTTP: full.HTTP, Queue: full.Queue}, fixture: "schedule-relay.json"},
		{name: "stream event, no stream handler", fn: Function{HTTP: full.HTTP, Queue: full.Queue}, fixture: "dynamodb-outbox-insert.json"},
		{name: "nothing at all", fn: Function{}, fixture: "sqs-signups.json"},
		{name: "records of another source", fn: Function{Queue: full.Queue}, raw: `{"Records":[{"eventSource":"aws:sns","body":"x"}]}`},
		{name: "not JSON", fn: full, raw: `{"run":`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := json.RawMessage(tc.raw)
			if tc.fixture != "" {
				raw = fixture(t, tc.fixture)
			}
			out, err := tc.fn.Invoke(context.Background(), raw)
			if err == nil {
				t.Fatalf("Invoke succeeded with %v", out)
			}
			if len(s.httpReqs)+len(s.queueEvs)+len(s.schedules) != 0 {
				t.Fatalf("a handler ran: %+v", s)
			}
		})
	}
}

func TestInvokePassesHandlerErrors(t *testing.T) {
	boom := errors.New("boom")
	fn := Function{
		Queue: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, boom
		},
		Schedule: func(context.Context, json.RawMessage) error { return boom },
	}
	for _, name := range []string{"sqs-mail.json", "schedule-relay.json"} {
		if _, err := fn.Invoke(context.Background(), fixture(t, name)); !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the handler's", name, err)
		}
	}
}

func TestAWSConfig(t *testing.T) {
	base := map[string]string{"AWS_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	fallback := with("AWS_REGION", "")
	fallback["AWS_DEFAULT_REGION"] = "eu-west-1"
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    bool
		wantRegion string
		wantEP     string
	}{
		{name: "lambda environment", env: base, wantRegion: "eu-north-1"},
		{name: "no region", env: with("AWS_REGION", ""), wantErr: true},
		{name: "AWS_DEFAULT_REGION used", env: fallback, wantRegion: "eu-west-1"},
		{name: "outside the EU", env: with("AWS_REGION", "us-east-1"), wantErr: true},
		{name: "no credentials", env: with("AWS_SECRET_ACCESS_KEY", ""), wantErr: true},
		{name: "local endpoint", env: with("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"), wantRegion: "eu-north-1", wantEP: "http://127.0.0.1:4566"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := AWSConfig(config.Map(tc.env))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if cfg.Region != tc.wantRegion {
				t.Errorf("region = %q", cfg.Region)
			}
			ep := ""
			if cfg.BaseEndpoint != nil {
				ep = *cfg.BaseEndpoint
			}
			if ep != tc.wantEP {
				t.Errorf("endpoint = %q, want %q", ep, tc.wantEP)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			want := [3]string{"AKIDEXAMPLE", "secret", "tok"}
			if err != nil || !reflect.DeepEqual([3]string{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken}, want) {
				t.Errorf("credentials = %+v (%v)", creds, err)
			}
		})
	}
}

// TestInvokeStreamCompact: a stream batch as Lambda sends it (compact
// JSON) is decoded once, straight into the stream handler's shape.
func TestInvokeStreamCompact(t *testing.T) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, fixture(t, "dynamodb-outbox-insert.json")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(compact.Bytes(), streamSource) {
		t.Fatalf("the compact fixture lacks %s", streamSource)
	}
	s := &stubs{}
	out, err := s.function().Invoke(context.Background(), compact.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.streamEvs) != 1 || len(s.queueEvs) != 0 || s.streamEvs[0].Records[0].Change.Keys["pk"].String() != "MAIL#confirm.4f1c2a9be0d3a7c6e1f20b94" {
		t.Fatalf("stream %d, queue %d: %+v", len(s.streamEvs), len(s.queueEvs), s.streamEvs)
	}
	if _, ok := out.(events.DynamoDBEventResponse); !ok {
		t.Errorf("result %T", out)
	}
	// An SQS batch whose body mentions the phrase is still the queue's.
	s = &stubs{}
	body := `{"Records":[{"messageId":"m","body":"{\"eventSource\":\"aws:dynamodb\"}","eventSource":"aws:sqs"}]}`
	if _, err := s.function().Invoke(context.Background(), []byte(body)); err != nil || len(s.queueEvs) != 1 || len(s.streamEvs) != 0 {
		t.Errorf("an SQS batch went to the stream handler: %v %d %d", err, len(s.queueEvs), len(s.streamEvs))
	}
}
