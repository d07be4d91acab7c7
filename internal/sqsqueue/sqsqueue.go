// Package sqsqueue carries work between functions as SQS messages that hold
// ids and operation names only (claim check): personal data stays in the
// tables, where erasure and retention can reach it, and out of DLQs.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/internal/errlog"
)

// Message is the whole body of every message: what to do, to which record.
type Message struct {
	Op string `json:"op"`
	ID string `json:"id"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.:#-]{1,128}$`)

// Validate refuses anything but an operation and an opaque id, so that no
// caller can put personal data on a queue by mistake.
func (m Message) Validate() error {
	if !idPattern.MatchString(m.Op) || !idPattern.MatchString(m.ID) {
		return fmt.Errorf("queue message must be an op and an opaque id")
	}
	return nil
}

type sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue sends messages to one SQS queue.
type Queue struct {
	api sender
	url string
}

// New returns the queue at url.
func New(api sender, url string) *Queue { return &Queue{api: api, url: url} }

// Send puts m on the queue.
func (q *Queue) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	body, _ := json.Marshal(m)
	_, err := q.api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("send %s %s: %w", m.Op, m.ID, err)
	}
	return nil
}

// SendAll puts up to ten messages on the queue in one call.
func (q *Queue) SendAll(ctx context.Context, ms ...Message) error {
	if len(ms) == 1 {
		return q.Send(ctx, ms[0])
	}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url)}
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return err
		}
		body, _ := json.Marshal(m)
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))})
	}
	out, err := q.api.SendMessageBatch(ctx, in)
	if err != nil {
		return fmt.Errorf("send %d messages: %w", len(ms), err)
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("send %d messages: %d failed (%s)", len(ms), len(out.Failed), aws.ToString(out.Failed[0].Code))
	}
	return nil
}

// ErrPermanent marks a message no retry can help; it is still reported failed,
// so after the redrive count it rests in the DLQ for a person to look at.
var ErrPermanent error = errlog.New("permanent failure")

// Handler processes one message. It must be idempotent: SQS delivers at
// least once.
type Handler func(ctx context.Context, m Message) error

// Batch runs h over an SQS batch and reports the messages that failed, so
// Lambda retries only those (ReportBatchItemFailures).
func Batch(ctx context.Context, ev events.SQSEvent, h Handler) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		var m Message
		err := json.Unmarshal([]byte(rec.Body), &m)
		if err == nil {
			err = m.Validate()
		}
		if err == nil {
			err = h(ctx, m)
		}
		if err != nil {
			attrs := []any{"messageId", rec.MessageId, "receiveCount", rec.Attributes["ApproximateReceiveCount"], errlog.Attr(err)}
			if m.Validate() == nil {
				// Only a validated op and id may be logged: a refused body may hold anything.
				attrs = append(attrs, "op", m.Op, "id", m.ID)
			}
			slog.ErrorContext(ctx, "queue message failed", attrs...)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp
}
