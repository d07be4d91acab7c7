package newsletter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"rekisteri/internal/errlog"
	"rekisteri/internal/sesevents"
	"rekisteri/internal/sqsqueue"
)

// Queue handles a batch from either of the function's queues: an SNS
// notification (SesEventsQueue: SES bounce and complaint events) goes to
// HandleSESEvent, anything else is a signups-queue claim check. Each
// message that fails is reported on its own (ReportBatchItemFailures); an
// event that cannot be used is reported failed, so that after the redrive
// count it sits in the DLQ, where an alarm sees it.
func (s *Service) Queue(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var signups events.SQSEvent
	for _, rec := range ev.Records {
		if !isSNS(rec.Body) {
			signups.Records = append(signups.Records, rec)
			continue
		}
		if err := s.handleSESRecord(ctx, rec); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	if len(signups.Records) > 0 {
		r := sqsqueue.Batch(ctx, signups, s.HandleSignup)
		resp.BatchItemFailures = append(resp.BatchItemFailures, r.BatchItemFailures...)
	}
	return resp, nil
}

// isSNS tells an SNS envelope (it has "Type") from a claim check.
func isSNS(body string) bool {
	var probe struct {
		Type *json.RawMessage `json:"Type"`
	}
	return json.Unmarshal([]byte(body), &probe) == nil && probe.Type != nil
}

// handleSESRecord parses and handles one SES event. Nothing of the body is
// logged: it holds addresses, and SES diagnostics name them too.
func (s *Service) handleSESRecord(ctx context.Context, rec events.SQSMessage) error {
	attrs := []any{"messageId", rec.MessageId, "receiveCount", rec.Attributes["ApproximateReceiveCount"]}
	ev, err := sesevents.ParseSNS([]byte(rec.Body))
	switch {
	case errors.Is(err, sesevents.ErrSubscriptionConfirmation):
		// The topic's subscription is made by the template, not confirmed here.
		slog.ErrorContext(ctx, "ses events queue: an SNS subscription confirmation, not an event", attrs...)
		return err
	case errors.Is(err, sesevents.ErrMalformed):
		// Field and Problem name what is wrong, never the input.
		var me *sesevents.MalformedError
		if errors.As(err, &me) {
			attrs = append(attrs, "field", me.Field, "problem", me.Problem)
		}
		slog.ErrorContext(ctx, "ses events queue: malformed event", append(attrs, errlog.Attr(err))...)
		return err
	case err != nil:
		slog.ErrorContext(ctx, "ses events queue: unreadable event", append(attrs, errlog.Attr(err))...)
		return err
	}
	if err := s.HandleSESEvent(ctx, ev); err != nil {
		slog.ErrorContext(ctx, "ses event failed", append(attrs, "feedback", ev.FeedbackID, "kind", string(ev.Kind), errlog.Attr(err))...)
		return err
	}
	return nil
}
