// Package ddbstream runs a handler over a batch of DynamoDB stream records,
// the way Lambda's event source mapping for a stream expects: in order, and
// on the first failure it reports that record's sequence number, so the
// mapping retries from there (ReportBatchItemFailures). The records are
// KEYS_ONLY: a stream holds no personal data, only the keys of what changed,
// and the handler reads the item itself.
package ddbstream

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/errlog"
)

// Insert is the stream's eventName of a new item (the only records the
// template's filter lets through).
const Insert = "INSERT"

// Handler processes the item whose partition key an inserted record names.
// It must be idempotent: a stream delivers at least once, and a retry
// starts again at the first failed record.
type Handler func(ctx context.Context, pk string) error

// Batch runs h over the batch's inserted records in order and stops at the
// first failure: a stream is ordered, and the mapping retries from the
// reported record anyway, so handling the rest now would only repeat it.
// Records of other events (a modify or remove the filter should have left
// out) are skipped, and so is a record without a string key pk, which no
// retry could mend (logged, for a person to look at).
func Batch(ctx context.Context, ev events.DynamoDBEvent, h Handler) events.DynamoDBEventResponse {
	for _, rec := range ev.Records {
		if rec.EventName != Insert {
			continue
		}
		pk, ok := rec.Change.Keys["pk"]
		if !ok || pk.DataType() != events.DataTypeString {
			slog.ErrorContext(ctx, "stream record without a string key pk skipped", "eventId", rec.EventID)
			continue
		}
		if err := h(ctx, pk.String()); err != nil {
			slog.ErrorContext(ctx, "stream record failed", "eventId", rec.EventID, "sequenceNumber", rec.Change.SequenceNumber, errlog.Attr(err))
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}}
		}
	}
	return events.DynamoDBEventResponse{}
}
