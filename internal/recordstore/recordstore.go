// Package recordstore runs the record seam's generic operations over any
// declared table: find by subject, find due on the expiry index, delete in
// batches, anonymise, restrict and lift. Retention and data-subject requests
// loop over the declaration through it and import no capability; the
// capabilities themselves only stamp records (package record) and never link
// these operations, so their IAM policies need none of them.
package recordstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// DB is the part of DynamoDB the generic operations use.
type DB interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store runs the generic operations over a catalogue's tables.
type Store struct {
	db    DB
	cat   *record.Catalogue
	sleep func(context.Context, time.Duration) error
}

// NewStore returns the operations over cat's tables through db.
func NewStore(db DB, cat *record.Catalogue) *Store {
	return &Store{db: db, cat: cat, sleep: sleepCtx}
}

// Catalogue is the store's catalogue.
func (s *Store) Catalogue() *record.Catalogue { return s.cat }

// Key is a stored item's key with the envelope the indexes project.
type Key struct {
	PK, SK string
	Kind   string
	// Rule is the retention rule that set the item's expiry (due items only).
	Rule       string
	ExpiresAt  int64
	Restricted bool
	// RestrictedFor is why it is restricted: a request id, or the Art. 17(3)
	// exception it is kept under after an erasure.
	RestrictedFor string
}

func (k Key) av() map[string]types.AttributeValue { return dynamo.Key(k.PK, k.SK) }

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func keyOf(item map[string]types.AttributeValue) Key {
	k := Key{PK: str(item, record.AttrPK), SK: str(item, record.AttrSK), Kind: str(item, record.AttrKind), Rule: str(item, record.AttrExpiryRule)}
	if n, ok := item[record.AttrExpiresAt].(*types.AttributeValueMemberN); ok {
		k.ExpiresAt, _ = strconv.ParseInt(n.Value, 10, 64)
	}
	_, k.Restricted = item[record.AttrRestricted]
	k.RestrictedFor = str(item, record.AttrRestrictedFor)
	return k
}

func (s *Store) table(declared string) (string, error) {
	t := s.cat.Table(declared)
	if t == "" {
		return "", fmt.Errorf("record: table %s is not in this catalogue", declared)
	}
	return t, nil
}

// BySubject is every item of a declared table that carries subjectKey: a
// Query of the bySubject index, never a Scan.
func (s *Store) BySubject(ctx context.Context, declared, subjectKey string) ([]Key, error) {
	table, err := s.table(declared)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(record.IndexBySubject),
		KeyConditionExpression:    aws.String("subjectKey = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: subjectKey}},
	}
	var out []Key
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return out, fmt.Errorf("%s by subject: %w", declared, err)
		}
		for _, it := range page.Items {
			out = append(out, keyOf(it))
		}
		if page.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// DuePage is one page of due items and where the next page starts (nil: done).
type DuePage struct {
	Items []Key
	Next  map[string]types.AttributeValue
}

// Due is one page of the items in one bucket of a declared table's expiry
// index whose expiresAt is after `after` and at or before upTo (Unix
// seconds): a Query, never a Scan. Restricted items are returned too, marked,
// so the caller can count them as skipped.
func (s *Store) Due(ctx context.Context, declared, bucket string, after, upTo int64, start map[string]types.AttributeValue, limit int32) (DuePage, error) {
	table, err := s.table(declared)
	if err != nil {
		return DuePage{}, err
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(table),
		IndexName:              aws.String(record.IndexByExpiry),
		KeyConditionExpression: aws.String("expiryBucket = :b AND expiresAt BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b":    &types.AttributeValueMemberS{Value: bucket},
			":from": &types.AttributeValueMemberN{Value: strconv.FormatInt(after+1, 10)},
			":to":   &types.AttributeValueMemberN{Value: strconv.FormatInt(upTo, 10)},
		},
		ExclusiveStartKey:      start,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	page, err := s.db.Query(ctx, in)
	if err != nil {
		return DuePage{}, fmt.Errorf("%s due in %s: %w", declared, bucket, err)
	}
	out := DuePage{Next: page.LastEvaluatedKey}
	for _, it := range page.Items {
		out.Items = append(out.Items, keyOf(it))
	}
	return out, nil
}

// retentionAttrs link an item to its person and put it on the expiry index
// and in TTL's reach; anonymising removes them.
var retentionAttrs = []string{record.AttrSubjectKey, record.AttrExpiresAt, record.AttrExpiryBucket, record.AttrPurgeAt, record.AttrExpiryRule}

// batchLimit is BatchWriteItem's limit of requests per call.
const batchLimit = 25

// Delete removes keys from a declared table in batches of 25, retrying
// unprocessed items with backoff until ctx ends. It returns how many calls it
// made.
func (s *Store) Delete(ctx context.Context, declared string, keys []Key) (calls int, err error) {
	table, err := s.table(declared)
	if err != nil {
		return 0, err
	}
	for len(keys) > 0 {
		n := min(batchLimit, len(keys))
		reqs := make([]types.WriteRequest, n)
		for i, k := range keys[:n] {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.av()}}
		}
		keys = keys[n:]
		pending := map[string][]types.WriteRequest{table: reqs}
		for attempt := 0; len(pending[table]) > 0; attempt++ {
			if attempt > 0 {
				if err := s.sleep(ctx, backoff(attempt)); err != nil {
					return calls, fmt.Errorf("%s delete: %d items unprocessed: %w", declared, len(pending[table]), err)
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			calls++
			if err != nil {
				return calls, fmt.Errorf("%s delete: %w", declared, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return calls, nil
}

// backoff is the wait before retry attempt n (1, 2, …): 50 ms doubling, at
// most 3.2 s.
func backoff(n int) time.Duration {
	return min(50*time.Millisecond<<min(n-1, 6), 3200*time.Millisecond)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Anonymise removes attrs from one item, unless it is restricted; it never
// takes envelope attributes from the caller. What is left is no one's data:
// its subject key goes, so no request finds it, and so do its retention
// attributes, so it leaves the expiry index and TTL's reach. It reports
// whether the item was changed.
func (s *Store) Anonymise(ctx context.Context, declared string, k Key, attrs []string) (bool, error) {
	table, err := s.table(declared)
	if err != nil {
		return false, err
	}
	names := map[string]string{}
	remove := ""
	for i, a := range attrs {
		for _, e := range record.Envelope {
			if a == e {
				return false, fmt.Errorf("record: anonymising would remove the envelope attribute %s", a)
			}
		}
		ph := "#a" + strconv.Itoa(i)
		names[ph] = a
		if remove != "" {
			remove += ", "
		}
		remove += ph
	}
	if remove == "" {
		return false, nil
	}
	names["#r"] = record.AttrRestricted
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(table),
		Key:                      k.av(),
		UpdateExpression:         aws.String("REMOVE " + remove + ", " + strings.Join(retentionAttrs, ", ")),
		ConditionExpression:      aws.String("attribute_exists(pk) AND attribute_not_exists(#r)"),
		ExpressionAttributeNames: names,
	})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s anonymise: %w", declared, err)
	}
	return true, nil
}

// Restrict marks an item restricted at now, for reason (a request id or an
// Art. 17(3) exception; no personal data), and takes it out of TTL's reach
// (purgeAt removed); the sweep skips it until Lift.
func (s *Store) Restrict(ctx context.Context, declared string, k Key, now time.Time, reason string) error {
	table, err := s.table(declared)
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(table),
		Key:                 k.av(),
		UpdateExpression:    aws.String("SET " + record.AttrRestricted + " = :now, " + record.AttrRestrictedFor + " = :why REMOVE " + record.AttrPurgeAt),
		ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)},
			":why": &types.AttributeValueMemberS{Value: reason},
		},
	})
	if err != nil {
		return fmt.Errorf("%s restrict: %w", declared, err)
	}
	return nil
}

// Lift ends a restriction and puts an expiring item back where the sweep
// will see it: the sweep's cursor may have passed its expiry while it was
// restricted, so it expires at max(its expiry, now), in that day's bucket,
// with its TTL backstop back.
func (s *Store) Lift(ctx context.Context, declared string, k Key, now time.Time) error {
	table, err := s.table(declared)
	if err != nil {
		return err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(table),
		Key:                 k.av(),
		UpdateExpression:    aws.String("REMOVE " + record.AttrRestricted + ", " + record.AttrRestrictedFor),
		ConditionExpression: aws.String("attribute_exists(pk)"),
		ReturnValues:        types.ReturnValueAllNew,
	})
	if err != nil {
		return fmt.Errorf("%s lift restriction: %w", declared, err)
	}
	lifted := keyOf(out.Attributes)
	old := lifted.ExpiresAt
	if old == 0 {
		return nil // kept until an event: not on the expiry index
	}
	r := dynamo.Expires(time.Unix(max(old, now.Unix()), 0), k.PK)
	set := "SET " + record.AttrExpiresAt + " = :exp, " + record.AttrExpiryBucket + " = :bucket, " + record.AttrPurgeAt + " = :purge"
	vals := map[string]types.AttributeValue{
		":exp":    &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)},
		":bucket": &types.AttributeValueMemberS{Value: r.ExpiryBucket},
		":purge":  &types.AttributeValueMemberN{Value: strconv.FormatInt(r.PurgeAt, 10)},
		":old":    &types.AttributeValueMemberN{Value: strconv.FormatInt(old, 10)},
	}
	if s.holds(lifted.Kind, lifted.Rule) { // kept when due: no TTL backstop
		set = "SET " + record.AttrExpiresAt + " = :exp, " + record.AttrExpiryBucket + " = :bucket"
		delete(vals, ":purge")
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       k.av(),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String(record.AttrExpiresAt + " = :old AND attribute_not_exists(" + record.AttrRestricted + ")"),
		ExpressionAttributeValues: vals,
	})

	if dynamo.ConditionFailed(err) {
		return nil // restricted again, or re-dated, meanwhile: that change stands
	}
	if err != nil {
		return fmt.Errorf("%s lift restriction: %w", declared, err)
	}
	return nil
}

// holds reports whether the declared rule of kind with id keeps its
// record when due (register.ActionKeep): such a record has no TTL backstop.
func (s *Store) holds(kind, rule string) bool {
	k, ok := s.cat.Register().Record(kind)
	if !ok {
		return false
	}
	for _, r := range k.Retention {
		if r.ID == rule {
			return r.Holds()
		}
	}
	return false
}
