package newsletter

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/register"
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
	CreatedAt  string   `dynamodbav:"createdAt"`
	dynamo.Retention
}

func requestKey(id string) map[string]types.AttributeValue {
	return dynamo.Key("SIGNUP#"+id, "SIGNUP")
}

// NewSignupRequest prepares the item another form writes; id must be opaque
// and is also the signup id, so a retried handover is idempotent.
func NewSignupRequest(reg *register.Register, subjectSecret []byte, now time.Time, id string, in Signup) SignupRequest {
	pk := "SIGNUP#" + id
	return SignupRequest{
		PK: pk, SK: "SIGNUP", Kind: "signup-request",
		SubjectKey: subject.EmailKey(subjectSecret, in.Email), Email: subject.NormalizeEmail(in.Email),
		Name: in.Name, Lang: in.Lang, Lists: in.Lists, Channel: in.Channel, Form: in.Form,
		CreatedAt: stamp(now),
		Retention: dynamo.Expires(reg.Retention("signup-request", "any").Keep.From(now), pk),
	}
}

// HandleSignup processes one signups-queue message: it reads the request,
// runs the same double opt-in as the newsletter form, then deletes the
// request. Delivered twice, it mails once.
func (s *Service) HandleSignup(ctx context.Context, m sqsqueue.Message) error {
	if m.Op != OpSignup {
		return fmt.Errorf("signups queue: op %q: %w", m.Op, sqsqueue.ErrPermanent)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.Subscribers), Key: requestKey(m.ID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("read signup request %s: %w", m.ID, err)
	}
	if out.Item == nil {
		return nil // handled already
	}
	var req SignupRequest
	if err := attributevalue.UnmarshalMap(out.Item, &req); err != nil {
		return fmt.Errorf("signup request %s: %w", m.ID, err)
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
