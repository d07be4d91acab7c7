package mailer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/ddbstream"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/sqsqueue"
)

// The outbox table's stream is how a job reaches the mailer: a producer
// writes the job in the same transaction as its cause and is done, with no
// second call to a queue that could fail after the write (the transactional
// outbox, fed by DynamoDB Streams). The stream's records carry only keys.
//
// A job the stream brings that cannot be sent now (a lease held elsewhere,
// SES failing) is handed to the mail queue, whose retries and DLQ take it
// from there, so one slow job never holds up the stream's shard. Only when
// the queue cannot be reached either does the record fail, and the mapping
// retries it; the mail waits, nothing is lost. SES throttling is the
// exception: the queue would only send the job at SES again sooner, so the
// stream path waits and tries again here, and then fails the record.

// Inserted sends the job a stream record names, or hands it to the queue.
func (m *Mailer) Inserted(ctx context.Context, pk string) error {
	id, ok := strings.CutPrefix(pk, "MAIL#")
	if !ok {
		slog.ErrorContext(ctx, "outbox stream record for a key that is no job skipped")
		return nil
	}
	msg := sqsqueue.Message{Op: OpSend, ID: id}
	err := m.Handle(ctx, msg)
	for i := 0; errors.Is(err, errThrottled) && i < len(throttleBackoff); i++ {
		// Handing a throttled job to the queue would only send it at SES
		// sooner: wait here (the job released), and past the last wait fail
		// the record, so the shard waits behind it.
		if serr := m.sleep(ctx, throttleBackoff[i]); serr != nil {
			break
		}
		err = m.Handle(ctx, msg)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, errThrottled) {
		return fmt.Errorf("mail %s: SES still throttling, the stream retries the record: %w", id, err)
	}
	if qerr := m.queue.Send(ctx, msg); qerr != nil {
		return fmt.Errorf("mail %s: not sent (%w), nor handed to the queue: %w", id, err, qerr)
	}
	slog.WarnContext(ctx, "mail handed to the mail queue", "mail", id, errlog.Attr(err))
	return nil
}

// Stream is the handler of the outbox stream's batches.
func (m *Mailer) Stream(ctx context.Context, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	return ddbstream.Batch(ctx, ev, m.Inserted)
}

// streamFailure is the part of the message Lambda's event source mapping
// puts on the on-failure destination (the mail DLQ) when a stream batch
// failed for as long as its records are kept: it names the batch, not the
// jobs.
type streamFailure struct {
	Info *struct {
		LastArrival time.Time `json:"approximateArrivalOfLastRecord"`
	} `json:"DDBStreamBatchInfo"`
}

// Queue handles a mail-queue batch: send messages, and the stream-failure
// descriptions an operator redrives from the DLQ after an outage.
func (m *Mailer) Queue(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	sends := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(ev.Records))}
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		var f streamFailure
		if !strings.Contains(rec.Body, `"DDBStreamBatchInfo"`) || json.Unmarshal([]byte(rec.Body), &f) != nil || f.Info == nil {
			sends.Records = append(sends.Records, rec)
			continue
		}
		if err := m.Resume(ctx, f.Info.LastArrival); err != nil {
			slog.ErrorContext(ctx, "stream failure not resumed", "messageId", rec.MessageId, errlog.Attr(err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	r := sqsqueue.Batch(ctx, sends, m.Handle)
	resp.BatchItemFailures = append(resp.BatchItemFailures, r.BatchItemFailures...)
	return resp
}

// Resume sends every unsent job written up to a minute after lastArrival:
// the jobs of a stream batch that failed among them. The claim skips jobs
// sent since and those another delivery holds, so resuming twice sends
// nothing twice.
func (m *Mailer) Resume(ctx context.Context, lastArrival time.Time) error {
	if lastArrival.IsZero() {
		return fmt.Errorf("stream failure without its last arrival time: %w", sqsqueue.ErrPermanent)
	}
	cutoff := lastArrival.Add(time.Minute).UTC().Format(time.RFC3339)
	pks, err := dynamo.PendingBefore(ctx, m.db, m.table, cutoff, "", nil)
	failures := []error{err}
	for _, pk := range pks {
		herr := m.Handle(ctx, sqsqueue.Message{Op: OpSend, ID: strings.TrimPrefix(pk, "MAIL#")})
		if herr != nil && !errors.Is(herr, errLeased) {
			failures = append(failures, herr)
		}
		if errors.Is(herr, errThrottled) {
			break // the rest when the message comes again
		}
	}
	slog.InfoContext(ctx, "stream failure resumed", "jobs", len(pks), "unsent", len(failures)-1)
	return errors.Join(failures...)
}
