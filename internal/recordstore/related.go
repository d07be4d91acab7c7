package recordstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// Related is every item of kinds in a declared table that goes with k, an
// item of table `of`: those in k's partition, those carrying k's subject key
// (read from k itself), and, for kinds linking two ends by the attributes
// links (a guardian link and its mirror), those in the other end's records
// that name k's subject key. Queries of partitions and of the bySubject
// index, never a Scan; k itself is never among them.
func (s *Store) Related(ctx context.Context, of string, k Key, declared string, kinds, links []string) ([]Key, error) {
	table, err := s.table(declared)
	if err != nil {
		return nil, err
	}
	item, err := s.Get(ctx, of, k.PK, k.SK)
	if err != nil || item == nil {
		return nil, err // gone meanwhile: nothing goes with it
	}
	subject := str(item, record.AttrSubjectKey)
	seen := map[[2]string]bool{{k.PK, k.SK}: true}
	var out []Key
	others := map[string]bool{} // the subject keys at the other end of its links
	add := func(it map[string]types.AttributeValue, mustName bool) {
		x := keyOf(it)
		if id := [2]string{x.PK, x.SK}; seen[id] || !slices.Contains(kinds, x.Kind) {
			return
		}
		names := false
		for _, a := range links {
			if v := str(it, a); v != "" && v == subject {
				names = true
			} else if v != "" {
				others[v] = true
			}
		}
		if mustName && !names {
			return
		}
		seen[[2]string{x.PK, x.SK}] = true
		out = append(out, x)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: k.PK}},
		ConsistentRead:            aws.Bool(true),
	}
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("%s partition: %w", declared, err)
		}
		for _, it := range page.Items {
			add(it, false)
		}
		if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			break
		}
	}
	if subject == "" {
		return out, nil
	}
	bySubject := func(subjectKey string, mustName bool) error {
		keys, err := s.BySubject(ctx, declared, subjectKey)
		if err != nil {
			return err
		}
		keys = slices.DeleteFunc(keys, func(x Key) bool { return seen[[2]string{x.PK, x.SK}] })
		items, err := s.Fetch(ctx, declared, keys) // the index projects keys only: the kind is on the item
		if err != nil {
			return err
		}
		for _, it := range items {
			add(it, mustName)
		}
		return nil
	}
	if err := bySubject(subject, false); err != nil {
		return nil, err
	}
	ends := make([]string, 0, len(others))
	for v := range others {
		ends = append(ends, v)
	}
	slices.Sort(ends)
	for _, v := range ends { // the mirrors: the other end's records that name this one
		if err := bySubject(v, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Redate moves an item its rule keeps when due (register.ActionKeep) from
// expiresAt `from` to until, in that day's bucket, so the sweep looks at it
// again then; unless it was stamped anew meanwhile (a resolved matter),
// restricted, or deleted. It reports whether the item was moved.
func (s *Store) Redate(ctx context.Context, declared string, k Key, from int64, until time.Time) (bool, error) {
	table, err := s.table(declared)
	if err != nil {
		return false, err
	}
	r := dynamo.Expires(until, k.PK)
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(table),
		Key:                 k.av(),
		UpdateExpression:    aws.String("SET " + record.AttrExpiresAt + " = :exp, " + record.AttrExpiryBucket + " = :bucket REMOVE " + record.AttrPurgeAt),
		ConditionExpression: aws.String(record.AttrExpiresAt + " = :old AND " + record.AttrExpiryRule + " = :rule AND attribute_not_exists(" + record.AttrRestricted + ")"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":exp":    &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)},
			":bucket": &types.AttributeValueMemberS{Value: r.ExpiryBucket},
			":old":    &types.AttributeValueMemberN{Value: strconv.FormatInt(from, 10)},
			":rule":   &types.AttributeValueMemberS{Value: k.Rule},
		},
	})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s redate: %w", declared, err)
	}
	return true, nil
}
