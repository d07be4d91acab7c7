package requests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// Errors of the store; web/errors and the staff tool map them.
var (
	ErrNotFound    = errors.New("requests: no such request")
	ErrNotOpen     = errors.New("requests: the request is not open")
	ErrExtendLate  = errors.New("requests: the first due date has passed; an extension must be sent within the first month")
	ErrExtendTwice = errors.New("requests: the request is already extended")
)

// DB is the part of DynamoDB the requests table needs.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store keeps the requests table.
type Store struct {
	db    DB
	recs  *record.Catalogue
	table string
}

// NewStore is the requests table of recs through db.
func NewStore(db DB, recs *record.Catalogue) (*Store, error) {
	t := recs.Table("requests")
	if t == "" {
		return nil, fmt.Errorf("requests: the catalogue has no requests table")
	}
	return &Store{db: db, recs: recs, table: t}, nil
}

// Create stores a new request once.
func (s *Store) Create(ctx context.Context, r Request) error {
	put, err := s.recs.Put(Kind, r.Status, r, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.Put.TableName, Item: put.Put.Item, ConditionExpression: put.Put.ConditionExpression,
	})
	if err != nil {
		return fmt.Errorf("request create: %w", err)
	}
	return nil
}

// Get is the request with id.
func (s *Store) Get(ctx context.Context, id string) (Request, error) {
	if !ValidID(id) {
		return Request{}, ErrNotFound
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: dynamo.Key(requestPK(id), requestSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Request{}, fmt.Errorf("request get: %w", err)
	}
	if out.Item == nil {
		return Request{}, ErrNotFound
	}
	var r Request
	if err := attributevalue.UnmarshalMap(out.Item, &r); err != nil {
		return Request{}, fmt.Errorf("request get: %w", err)
	}
	return r, nil
}

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// update applies one change to an existing request and returns it as it is
// after the change.
func (s *Store) update(ctx context.Context, id, expr, cond string, names map[string]string, vals map[string]types.AttributeValue) (Request, error) {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: dynamo.Key(requestPK(id), requestSK),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: vals, ReturnValues: types.ReturnValueAllNew,
	}
	if cond != "" {
		in.ConditionExpression = aws.String("attribute_exists(pk) AND " + cond)
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	out, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return Request{}, err
	}
	var r Request
	if err := attributevalue.UnmarshalMap(out.Attributes, &r); err != nil {
		return Request{}, err
	}
	return r, nil
}

// Verify opens an unverified request at now and reports whether this call
// opened it; verifying again answers the request as it is.
func (s *Store) Verify(ctx context.Context, id string, now time.Time) (Request, bool, error) {
	var r Request
	r.PK = requestPK(id)
	r.Start(now)
	ch, err := s.recs.Enter(Kind, Open, r.PK, map[string]time.Time{"verifiedAt": now})
	if err != nil {
		return Request{}, false, err
	}
	got, err := s.update(ctx, id,
		ch.Expression("#status = :open, verifiedAt = :at, dueOn = :due, openDue = :openDue", ""),
		"#status = :unverified", map[string]string{"#status": "status"},
		ch.Values(map[string]types.AttributeValue{
			":open": sv(Open), ":unverified": sv(Unverified), ":at": sv(r.VerifiedAt), ":due": sv(r.DueOn), ":openDue": sv(r.OpenDue),
		}))
	if dynamo.ConditionFailed(err) {
		got, err := s.Get(ctx, id)
		return got, false, err
	}
	if err != nil {
		return Request{}, false, fmt.Errorf("request verify: %w", err)
	}
	return got, true, nil
}

// Done records a processing step as done at now, with outcome entries
// (no personal data) merged in.
func (s *Store) Done(ctx context.Context, id, step string, now time.Time, outcome map[string]string) (Request, error) {
	names := map[string]string{"#step": step}
	vals := map[string]types.AttributeValue{":at": sv(stamp(now))}
	expr := "SET steps.#step = :at"
	i := 0
	for k, v := range outcome {
		n, p := fmt.Sprintf("#o%d", i), fmt.Sprintf(":o%d", i)
		names[n], vals[p] = k, sv(v)
		expr += ", outcome." + n + " = " + p
		i++
	}
	r, err := s.update(ctx, id, expr, "", names, vals)
	if err != nil {
		return Request{}, fmt.Errorf("request step %s: %w", step, err)
	}
	return r, nil
}

// AddExport records an access copy's key, so an erasure finds it.
func (s *Store) AddExport(ctx context.Context, id, key string) error {
	_, err := s.update(ctx, id, "ADD exports :k", "", nil, map[string]types.AttributeValue{
		":k": &types.AttributeValueMemberSS{Value: []string{key}},
	})
	if err != nil {
		return fmt.Errorf("request export: %w", err)
	}
	return nil
}

// Told records the recipients told of a change (Art. 19).
func (s *Store) Told(ctx context.Context, id string, recipients []string) error {
	if len(recipients) == 0 {
		return nil
	}
	_, err := s.update(ctx, id, "ADD recipientsTold :r", "", nil, map[string]types.AttributeValue{
		":r": &types.AttributeValueMemberSS{Value: recipients},
	})
	if err != nil {
		return fmt.Errorf("request recipients: %w", err)
	}
	return nil
}

// Extend extends an open request by two months at now, with the reason the
// person is sent. It must be done before the first due date has passed.
func (s *Store) Extend(ctx context.Context, id, reason string, now time.Time) (Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	switch {
	case r.Status != Open:
		return Request{}, ErrNotOpen
	case r.ExtendedTo != "":
		return Request{}, ErrExtendTwice
	}
	due, err := parseDate(r.DueOn)
	if err != nil {
		return Request{}, fmt.Errorf("request %s: due date %w", id, err)
	}
	if DaysLeft(due, now) < 0 {
		return Request{}, ErrExtendLate
	}
	verified, err := time.Parse(time.RFC3339, r.VerifiedAt)
	if err != nil {
		return Request{}, fmt.Errorf("request %s: verified at %w", id, err)
	}
	to := ExtendedTo(verified).Format(dateFormat)
	got, err := s.update(ctx, id,
		"SET extendedTo = :to, extensionReason = :why, extendedAt = :at, openDue = :openDue",
		"#status = :open AND attribute_not_exists(extendedTo)", map[string]string{"#status": "status"},
		map[string]types.AttributeValue{":to": sv(to), ":why": sv(reason), ":at": sv(stamp(now)), ":openDue": sv(to + "#" + id), ":open": sv(Open)})
	if dynamo.ConditionFailed(err) {
		return Request{}, ErrExtendTwice
	}
	if err != nil {
		return Request{}, fmt.Errorf("request extend: %w", err)
	}
	return got, nil
}

// Resolve closes an open request at now; resolving again changes nothing.
// The seam stamps how long the answered request is kept.
func (s *Store) Resolve(ctx context.Context, id string, now time.Time) (Request, error) {
	ch, err := s.recs.Enter(Kind, Resolved, requestPK(id), map[string]time.Time{"resolvedAt": now})
	if err != nil {
		return Request{}, err
	}
	r, err := s.update(ctx, id, ch.Expression("#status = :resolved, resolvedAt = :at", "openDue"),
		"#status = :open", map[string]string{"#status": "status"},
		ch.Values(map[string]types.AttributeValue{":resolved": sv(Resolved), ":open": sv(Open), ":at": sv(stamp(now))}))
	if dynamo.ConditionFailed(err) {
		r, err := s.Get(ctx, id)
		if err == nil && r.Status != Resolved {
			return r, ErrNotOpen
		}
		return r, err
	}
	if err != nil {
		return Request{}, fmt.Errorf("request resolve: %w", err)
	}
	return r, nil
}

// Summary is an open request as the byOpen index shows it: no personal data.
type Summary struct {
	ID, Type, Status, Channel, ReceivedAt, DueOn, ExtendedTo string
}

// Due is the date it must be answered by.
func (s Summary) Due() string {
	if s.ExtendedTo != "" {
		return s.ExtendedTo
	}
	return s.DueOn
}

// Open lists the open requests by due date, soonest (or most overdue) first:
// a Query of the sparse byOpen index.
func (s *Store) Open(ctx context.Context) ([]Summary, error) {
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String("byOpen"),
		KeyConditionExpression:    aws.String("sk = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":sk": sv(requestSK)},
	}
	var out []Summary
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return out, fmt.Errorf("open requests: %w", err)
		}
		for _, it := range page.Items {
			var r Request
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return out, fmt.Errorf("open requests: %w", err)
			}
			out = append(out, Summary{ID: r.ID(), Type: r.Type, Status: r.Status, Channel: r.Channel,
				ReceivedAt: r.ReceivedAt, DueOn: r.DueOn, ExtendedTo: r.ExtendedTo})
		}
		if page.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
