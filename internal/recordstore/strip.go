package recordstore

// The operations data-subject requests add to the seam: read the few
// attributes erasure and restriction decide by (bySubject projects keys
// only), strip a kept record to its minimum, move it into another state
// through the seam, and restrict or lift for one reason only.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// Held is an item of a subject as erasure and restriction decide on it: its
// key with the envelope, and its status. It holds no personal data.
type Held struct {
	Key
	// Status is the item's status attribute, where its kind has one.
	Status string
}

// Held reads the envelope and status of keys in a declared table through
// Fetch (strongly consistent; a projection would cost the same read units,
// which count the whole item). Keys no longer there are left out.
func (s *Store) Held(ctx context.Context, declared string, keys []Key) ([]Held, error) {
	items, err := s.Fetch(ctx, declared, keys)
	if err != nil {
		return nil, err
	}
	out := make([]Held, len(items))
	for i, it := range items {
		out[i] = Held{Key: keyOf(it), Status: str(it, "status")}
	}
	return out, nil
}

// notEnvelope refuses attrs that are the envelope's.
func notEnvelope(op string, attrs []string) error {
	for _, a := range attrs {
		if slices.Contains(record.Envelope, a) {
			return fmt.Errorf("record: %s would remove the envelope attribute %s", op, a)
		}
	}
	return nil
}

// Strip removes attrs from one item and keeps its envelope: unlike
// Anonymise, the subject key stays (a record kept under an Art. 17(3)
// exception is still the person's, and a later access request must find
// it), and so do its retention and restriction. It refuses envelope
// attributes; an item no longer there is not an error. Stripping again
// changes nothing.
func (s *Store) Strip(ctx context.Context, declared string, k Key, attrs []string) error {
	table, err := s.table(declared)
	if err != nil {
		return err
	}
	if err := notEnvelope("stripping", attrs); err != nil {
		return err
	}
	if len(attrs) == 0 {
		return nil
	}
	names := map[string]string{}
	remove := ""
	for i, a := range attrs {
		ph := "#a" + strconv.Itoa(i)
		names[ph] = a
		if remove != "" {
			remove += ", "
		}
		remove += ph
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(table),
		Key:                      k.av(),
		UpdateExpression:         aws.String("REMOVE " + remove),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: names,
	})
	if dynamo.ConditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s strip: %w", declared, err)
	}
	return nil
}

// Restamp moves an existing item into a state through the seam: ch is
// record.Catalogue.Enter's change for it (new expiresAt, expiryBucket,
// purgeAt, expiryRule), and attr, when given, is set to at, the time the
// rule counts from (what ch was computed with). An item no longer there is
// not an error. extra, if given, are attributes set with it. Restamping sets purgeAt: restrict after it, not before, to
// keep a kept record out of TTL's reach.
func (s *Store) Restamp(ctx context.Context, declared string, k Key, ch record.Change, attr string, at time.Time, extra ...map[string]string) error {
	table, err := s.table(declared)
	if err != nil {
		return err
	}
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(table),
		Key:                 k.av(),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	}
	set := ""
	var vals map[string]types.AttributeValue
	if attr != "" {
		if err := notEnvelope("restamping", []string{attr}); err != nil {
			return err
		}
		set = "#at = :at"
		in.ExpressionAttributeNames = map[string]string{"#at": attr}
		vals = map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339)}}
	}
	if len(extra) > 0 && len(extra[0]) > 0 {
		if in.ExpressionAttributeNames == nil {
			in.ExpressionAttributeNames = map[string]string{}
		}
		if vals == nil {
			vals = map[string]types.AttributeValue{}
		}
		names := make([]string, 0, len(extra[0]))
		for a := range extra[0] {
			names = append(names, a)
		}
		sort.Strings(names)
		if err := notEnvelope("restamping", names); err != nil {
			return err
		}
		for i, a := range names {
			n, p := "#s"+strconv.Itoa(i), ":s"+strconv.Itoa(i)
			in.ExpressionAttributeNames[n], vals[p] = a, &types.AttributeValueMemberS{Value: extra[0][a]}
			if set != "" {
				set += ", "
			}
			set += n + " = " + p
		}
	}
	expr := ch.Expression(set, "")
	if expr == "" {
		return nil
	}
	in.UpdateExpression = aws.String(expr)
	in.ExpressionAttributeValues = ch.Values(vals)
	_, err = s.db.UpdateItem(ctx, in)
	if dynamo.ConditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s restamp: %w", declared, err)
	}
	return nil
}

// Flagged is what RestrictOnce found: the item's kind and what it is
// restricted for now (reason, or the earlier restriction that stands).
type Flagged struct {
	Kind          string
	RestrictedFor string
	// New: this call restricted it.
	New bool
}

// ErrGone: the item is no longer there.
var ErrGone = errors.New("record: the item is no longer there")

// RestrictOnce restricts an item at now for reason, as Restrict does, unless
// it is already restricted: an earlier restriction — this request's own, on
// a retry, or an Art. 17(3) exception's — stands with its time and reason,
// so lifting this request's restriction never lifts the other. It returns
// ErrGone for an item no longer there.
func (s *Store) RestrictOnce(ctx context.Context, declared string, k Key, now time.Time, reason string) (Flagged, error) {
	table, err := s.table(declared)
	if err != nil {
		return Flagged{}, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(table),
		Key:                                 k.av(),
		UpdateExpression:                    aws.String("SET #rat = :now, #rfor = :why REMOVE #purge"),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND attribute_not_exists(#rat)"),
		ExpressionAttributeNames:            map[string]string{"#rat": record.AttrRestricted, "#rfor": record.AttrRestrictedFor, "#purge": record.AttrPurgeAt},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)}, ":why": &types.AttributeValueMemberS{Value: reason}},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return Flagged{}, ErrGone
		}
		return Flagged{Kind: str(ccf.Item, record.AttrKind), RestrictedFor: str(ccf.Item, record.AttrRestrictedFor)}, nil
	}
	if err != nil {
		return Flagged{}, fmt.Errorf("%s restrict: %w", declared, err)
	}
	return Flagged{Kind: str(out.Attributes, record.AttrKind), RestrictedFor: reason, New: true}, nil
}

// LiftFor is Lift for one reason only: it ends the item's restriction if it
// is restricted for reason, and leaves any other (an Art. 17(3) exception's,
// another request's) in place. k.ExpiresAt is the item's expiry as Held read
// it; in the same write the item goes back where the sweep will see it, as
// Lift puts it: it expires at max(its expiry, now), in that day's bucket,
// with its TTL backstop back. One write, so a retry never finds the
// restriction gone but the item still off the sweep's path. If the item
// changed since it was read, it is read again. It reports whether this call
// lifted it; lifting again lifts nothing.
func (s *Store) LiftFor(ctx context.Context, declared string, k Key, now time.Time, reason string) (bool, error) {
	table, err := s.table(declared)
	if err != nil {
		return false, err
	}
	for attempt := 0; ; attempt++ {
		in := &dynamodb.UpdateItemInput{
			TableName:                 aws.String(table),
			Key:                       k.av(),
			UpdateExpression:          aws.String("REMOVE #rat, #rfor"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND #rfor = :why AND attribute_not_exists(#exp)"),
			ExpressionAttributeNames:  map[string]string{"#rat": record.AttrRestricted, "#rfor": record.AttrRestrictedFor, "#exp": record.AttrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":why": &types.AttributeValueMemberS{Value: reason}},
		}
		if k.ExpiresAt != 0 {
			r := dynamo.Expires(time.Unix(max(k.ExpiresAt, now.Unix()), 0), k.PK)
			in.UpdateExpression = aws.String("SET #exp = :exp, #bucket = :bucket, #purge = :purge REMOVE #rat, #rfor")
			in.ConditionExpression = aws.String("attribute_exists(pk) AND #rfor = :why AND #exp = :old")
			in.ExpressionAttributeNames["#bucket"] = record.AttrExpiryBucket
			in.ExpressionAttributeNames["#purge"] = record.AttrPurgeAt
			in.ExpressionAttributeValues[":exp"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)}
			in.ExpressionAttributeValues[":bucket"] = &types.AttributeValueMemberS{Value: r.ExpiryBucket}
			in.ExpressionAttributeValues[":purge"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.PurgeAt, 10)}
			in.ExpressionAttributeValues[":old"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(k.ExpiresAt, 10)}
		}
		_, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			return true, nil
		}
		if !dynamo.ConditionFailed(err) {
			return false, fmt.Errorf("%s lift restriction: %w", declared, err)
		}
		if attempt == 2 {
			return false, fmt.Errorf("%s lift restriction: the item keeps changing", declared)
		}
		held, err := s.Held(ctx, declared, []Key{k})
		if err != nil {
			return false, err
		}
		if len(held) == 0 || held[0].RestrictedFor != reason {
			return false, nil // gone, or not (or no longer) restricted for reason
		}
		k = held[0].Key
	}
}
