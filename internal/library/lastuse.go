package library

import (
	"context"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// touch is what a self-service write changes besides marking the use:
// its own SET and REMOVE clauses, condition and placeholders.
type touch struct {
	set, remove, cond string
	names             map[string]string // #placeholders of its own
	values            map[string]types.AttributeValue
}

// touchUpdate is the update of the patron number (p as read) that marks a
// use of the library at now — lastUsedAt, from which the patron-inactive
// rule counts, stamped through the record seam for p's state — together
// with t. It applies only while the patron exists with the counts of
// unresolved matters it was read with, so the rule stamped is the state's
// it is in; a failed condition means: read it again.
func (s *Service) touchUpdate(number string, p *Patron, now time.Time, t touch) (*types.Update, error) {
	state := p.State()
	pk := PatronPK(number)
	ch, err := s.recs.Enter(KindPatron, state, pk, map[string]time.Time{"lastUsedAt": now})
	if err != nil {
		return nil, err
	}
	set := "lastUsedAt = :usedAt, #status = :state"
	if t.set != "" {
		set += ", " + t.set
	}
	vals := map[string]types.AttributeValue{":usedAt": lockS(now.UTC().Format(time.RFC3339)), ":state": lockS(state)}
	maps.Copy(vals, t.values)
	names := map[string]string{"#status": "status"}
	maps.Copy(names, t.names)
	cond := "attribute_exists(pk)"
	for _, c := range []struct {
		attr string
		n    int
	}{{"openLoans", p.OpenLoans}, {"unpaidFees", p.UnpaidFees}, {"openTransfers", p.OpenTransfers}} {
		ph := ":was_" + c.attr
		vals[ph] = lockN(c.n)
		if c.n == 0 {
			cond += " AND (attribute_not_exists(" + c.attr + ") OR " + c.attr + " = " + ph + ")"
		} else {
			cond += " AND " + c.attr + " = " + ph
		}
	}
	if t.cond != "" {
		cond += " AND " + t.cond
	}
	return &types.Update{
		TableName:                 aws.String(s.tables.Patrons),
		Key:                       dynamo.Key(pk, SKPatron),
		UpdateExpression:          aws.String(ch.Expression(set, t.remove)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: ch.Values(vals),
	}, nil
}

// touchPatron writes touchUpdate alone.
func (s *Service) touchPatron(ctx context.Context, number string, p *Patron, now time.Time, t touch) error {
	u, err := s.touchUpdate(number, p, now, t)
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	return err
}
