package newsletter

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

// OpSignup is the signups-queue operation: "start the double opt-in of the
// signup request with this id".
const OpSignup = "signup"

// SignupRequest is how another form (the feedback survey) hands a newsletter
// signup over: it writes this item to the subscribers table and queues only
// its id, so the address never enters a queue or a DLQ.
type SignupRequest struct {
	PK         string   `dynamodbav:"pk"`
	SK         string   `dynamodbav:"sk"`
	Kind       string   `dynamodbav:"kind"`
	SubjectKey string   `dynamodbav:"subjectKey"`
	Email      string   `dynamodbav:"email"`
	Name       string   `dynamodbav:"name,omitempty"`
	Lang       string   `dynamodbav:"lang"`
	Lists      []string `dynamodbav:"lists"`
	Channel    string   `dynamodbav:"channel"`
	Form       string   `dynamodbav:"form"`
	// Pending keeps the request on the byPending index until the newsletter
	// function receives it, so a lost queue message is relayed.
	Pending   string `dynamodbav:"pending,omitempty"`
	CreatedAt string `dynamodbav:"createdAt"`
}

func requestKey(id string) map[string]types.AttributeValue {
	return dynamo.Key("SIGNUP#"+id, "SIGNUP")
}

// NewSignupRequest prepares the item another form writes; id must be opaque
// and is also the signup id, so a retried handover is idempotent.
func NewSignupRequest(subjectSecret []byte, now time.Time, id string, in Signup) SignupRequest {
	pk := "SIGNUP#" + id
	return SignupRequest{
		PK: pk, SK: "SIGNUP", Kind: "signup-request",
		SubjectKey: subject.EmailKey(subjectSecret, in.Email), Email: subject.NormalizeEmail(in.Email),
		Name: in.Name, Lang: in.Lang, Lists: in.Lists, Channel: in.Channel, Form: in.Form,
		Pending: dynamo.PendingShard(pk), CreatedAt: stamp(now),
	}
}

// PutSignupRequest is the transaction item storing req in the subscribers
// table, kept as the register's signup-request rule says.
func PutSignupRequest(recs *record.Catalogue, req SignupRequest) (types.TransactWriteItem, error) {
	return recs.Put("signup-request", "any", req)
}

// HandleSignup processes one signups-queue message: it reads the request,
// runs the same double opt-in as the newsletter form, then deletes the
// request. Delivered twice, it mails once.
func (s *Service) HandleSignup(ctx context.Context, m sqsqueue.Message) error {
	if m.Op != OpSignup {
		return fmt.Errorf("signups queue: op %q: %w", m.Op, sqsqueue.ErrPermanent)
	}
	// Reading the request also takes it off the relay's index: from here on a
	// failure is the queue's to retry and, in the end, the DLQ's.
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.tables.Subscribers), Key: requestKey(m.ID),
		UpdateExpression: aws.String("REMOVE pending"), ConditionExpression: aws.String("attribute_exists(pk)"),
		ReturnValues: types.ReturnValueAllNew,
	})
	if dynamo.ConditionFailed(err) {
		return nil // handled already
	}
	if err != nil {
		return fmt.Errorf("read signup request %s: %w", m.ID, err)
	}
	var req SignupRequest
	if err := attributevalue.UnmarshalMap(out.Attributes, &req); err != nil {
		return fmt.Errorf("signup request %s: %w", m.ID, err)
	}
	if _, restricted := out.Attributes[record.AttrRestricted]; restricted {
		// The person restricted the processing (Art. 18) while the request
		// waited: it is only stored — not subscribed, not mailed — until
		// its own rule deletes it; they can sign up again once it is lifted.
		slog.InfoContext(ctx, "signup held: its subject is restricted", "signup", m.ID, "subject", subject.Prefix(req.SubjectKey))
		return nil
	}
	err = s.Subscribe(ctx, Signup{Email: req.Email, Name: req.Name, Lang: req.Lang, Lists: req.Lists, Channel: req.Channel, Form: req.Form, ID: m.ID})
	if err != nil {
		return err
	}
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.tables.Subscribers), Key: requestKey(m.ID)}); err != nil {
		return fmt.Errorf("delete signup request %s: %w", m.ID, err)
	}
	return nil
}

// relayAfter is how old a handed-over signup must be before the relay
// assumes its queue message was lost.
const relayAfter = 2 * time.Minute

// RelaySignups re-queues handed-over signups that were stored but never
// received: the other form's SendMessage failed after its write.
func (s *Service) RelaySignups(ctx context.Context) (int, error) {
	pks, err := dynamo.PendingBefore(ctx, s.db, s.tables.Subscribers, stamp(s.now().Add(-relayAfter)), "", nil)
	for i, pk := range pks {
		if err := s.signups.Send(ctx, sqsqueue.Message{Op: OpSignup, ID: strings.TrimPrefix(pk, "SIGNUP#")}); err != nil {
			return i, err
		}
	}
	if len(pks) > 0 {
		slog.WarnContext(ctx, "relayed signups whose queue message was lost", "count", len(pks))
	}
	return len(pks), err
}
