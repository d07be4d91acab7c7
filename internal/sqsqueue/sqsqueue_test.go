package sqsqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func record(id, body string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

func failedIDs(resp events.SQSEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestBatch(t *testing.T) {
	handlerErr := errors.New("dynamodb throttled")
	h := func(_ context.Context, m Message) error {
		switch m.ID {
		case "fails":
			return handlerErr
		case "permanent":
			return fmt.Errorf("op %s: %w", m.Op, ErrPermanent)
		}
		return nil
	}
	tests := []struct {
		name       string
		records    []events.SQSMessage
		wantFailed []string
		wantCalled []Message
	}{
		{
			name:    "all succeed",
			records: []events.SQSMessage{record("m1", `{"op":"send","id":"confirm.0123456789abcdef01234567"}`), record("m2", `{"op":"signup","id":"a1b2c3d4e5f6"}`)},
			wantCalled: []Message{
				{Op: "send", ID: "confirm.0123456789abcdef01234567"},
				{Op: "signup", ID: "a1b2c3d4e5f6"},
			},
		},
		{
			name: "exactly the failed ones are reported",
			records: []events.SQSMessage{
				record("m1", `{"op":"send","id":"ok-1"}`),
				record("m2", `{"op":"send","id":"fails"}`),
				record("m3", `{"op":"send","id":"ok-2"}`),
				record("m4", `{"op":"send","id":"permanent"}`),
				record("m5", `not json`),
				record("m6", `{"op":"send","id":"visitor@example.com"}`),
				record("m7", `{"op":"send","id":"Vera Visitor"}`),
				record("m8", `{"op":"send"}`),
				record("m9", `{"op":"","id":"x"}`),
				record("m10", `{"op":"send","id":"ok-3"}`),
				record("m11", `["send","x"]`),
				record("m12", `{"op":"send","id":"`+strings.Repeat("a", 129)+`"}`),
			},
			wantFailed: []string{"m2", "m4", "m5", "m6", "m7", "m8", "m9", "m11", "m12"},
			wantCalled: []Message{
				{Op: "send", ID: "ok-1"}, {Op: "send", ID: "fails"}, {Op: "send", ID: "ok-2"},
				{Op: "send", ID: "permanent"}, {Op: "send", ID: "ok-3"},
			},
		},
		{
			name:    "empty batch",
			records: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var called []Message
			resp := Batch(context.Background(), events.SQSEvent{Records: tc.records}, func(ctx context.Context, m Message) error {
				called = append(called, m)
				return h(ctx, m)
			})
			if got := failedIDs(resp); !reflect.DeepEqual(got, tc.wantFailed) {
				t.Errorf("failed = %v, want %v", got, tc.wantFailed)
			}
			if !reflect.DeepEqual(called, tc.wantCalled) {
				t.Errorf("handler saw %v, want %v", called, tc.wantCalled)
			}
			// The response is what Lambda reads: an empty list, not null,
			// would also do, but the field name must be right.
			b, _ := json.Marshal(resp)
			if !strings.Contains(string(b), `"batchItemFailures"`) {
				t.Errorf("response JSON %s", b)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		m  Message
		ok bool
	}{
		{Message{"send", "confirm.0123456789abcdef01234567"}, true},
		{Message{"signup", "a1b2c3d4-e5f6"}, true},
		{Message{"sweep", "2026-05-07#03"}, true},
		{Message{"x", "ns:id_1"}, true},
		{Message{"send", strings.Repeat("a", 128)}, true},
		{Message{"send", strings.Repeat("a", 129)}, false},
		{Message{"send", ""}, false},
		{Message{"", "x"}, false},
		{Message{"send", "visitor@example.com"}, false},
		{Message{"send", "Vera Visitor"}, false},
		{Message{"send", "id\n"}, false},
		{Message{"send", "äiti"}, false},
		{Message{"send", "a/b"}, false},
		{Message{"send now", "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.m.Op+"/"+tc.m.ID, func(t *testing.T) {
			if err := tc.m.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", tc.m, err, tc.ok)
			}
		})
	}
}

type fakeSender struct {
	batches []*sqs.SendMessageBatchInput
	calls   []*sqs.SendMessageInput
	err     error
}

func (f *fakeSender) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.calls = append(f.calls, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sqs.SendMessageOutput{MessageId: aws.String("sqs-1")}, nil
}

func (f *fakeSender) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.batches = append(f.batches, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sqs.SendMessageBatchOutput{}, nil
}

func TestQueueSendAll(t *testing.T) {
	f := &fakeSender{}
	q := New(f, "https://sqs.example/q")
	if err := q.SendAll(context.Background(), Message{Op: "send", ID: "a.1"}, Message{Op: "send", ID: "b.2"}); err != nil {
		t.Fatal(err)
	}
	if len(f.batches) != 1 || len(f.batches[0].Entries) != 2 || len(f.calls) != 0 {
		t.Fatalf("two messages should go in one batch call: %d batches, %d single calls", len(f.batches), len(f.calls))
	}
	if *f.batches[0].Entries[1].MessageBody != `{"op":"send","id":"b.2"}` {
		t.Fatalf("body: %s", *f.batches[0].Entries[1].MessageBody)
	}
	if err := q.SendAll(context.Background(), Message{Op: "send", ID: "ok"}, Message{Op: "send", ID: "x@y.fi"}); err == nil || len(f.batches) != 1 {
		t.Fatal("a batch with an address in it must be refused before any call")
	}
}

func TestQueueSend(t *testing.T) {
	const url = "https://sqs.eu-north-1.amazonaws.com/123456789012/rekisteri-mail"
	tests := []struct {
		name      string
		m         Message
		sendErr   error
		wantCalls int
		wantErr   bool
	}{
		{"valid", Message{"send", "confirm.0123456789abcdef01234567"}, nil, 1, false},
		{"e-mail address as id", Message{"send", "visitor@example.com"}, nil, 0, true},
		{"id with spaces", Message{"send", "Vera Visitor"}, nil, 0, true},
		{"op with spaces", Message{"send mail", "x"}, nil, 0, true},
		{"empty id", Message{"send", ""}, nil, 0, true},
		{"SQS fails", Message{"send", "x"}, errors.New("AccessDenied"), 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSender{err: tc.sendErr}
			err := New(f, url).Send(context.Background(), tc.m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tc.wantErr)
			}
			if len(f.calls) != tc.wantCalls {
				t.Fatalf("SQS called %d times, want %d", len(f.calls), tc.wantCalls)
			}
			if tc.sendErr != nil && !errors.Is(err, tc.sendErr) {
				t.Errorf("error %v does not wrap the SQS error", err)
			}
			if err != nil && strings.Contains(err.Error(), "@") {
				t.Errorf("the error repeats the address: %v", err)
			}
			if tc.wantCalls == 0 {
				return
			}
			in := f.calls[0]
			if aws.ToString(in.QueueUrl) != url {
				t.Errorf("QueueUrl = %q", aws.ToString(in.QueueUrl))
			}
			var got Message
			if err := json.Unmarshal([]byte(aws.ToString(in.MessageBody)), &got); err != nil || got != tc.m {
				t.Errorf("body %q decodes to %+v (%v), want %+v", aws.ToString(in.MessageBody), got, err, tc.m)
			}
			var fields map[string]any
			_ = json.Unmarshal([]byte(aws.ToString(in.MessageBody)), &fields)
			if len(fields) != 2 {
				t.Errorf("body has fields %v, want only op and id", fields)
			}
		})
	}
}
