package library

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	seam "rekisteri/internal/record"
)

// The patron as the circulation feed reads and writes it.

// circulationPatronItem is the patron with its restriction (GDPR Art. 18),
// which getPatron's Patron does not carry.
type circulationPatronItem struct {
	Patron
	restricted bool // restrictedAt is set
}

// circulationReadPatron reads the patron (strongly consistent), or
// ErrNotFound. A restricted patron's events are still applied — the loan
// happened, and following the city's property is a legal claim's
// processing (Art. 18(2)) — but are not counted in the statistics.
func (s *Service) circulationReadPatron(ctx context.Context, customer string) (*circulationPatronItem, error) {
	p, item, err := s.patronItem(ctx, customer)
	if err != nil {
		return nil, err
	}
	_, restricted := item[seam.AttrRestricted]
	return &circulationPatronItem{Patron: *p, restricted: restricted}, nil
}

// circulationPatron is the patron's update for an event at at: lastUsedAt
// moves to the event's time (never back, and never past now), the counts
// to next's, and the retention rule to that of next's state, through the
// record seam. It applies only while the patron is as was.
func (s *Service) circulationPatron(customer string, was, next *Patron, at, now time.Time) (*types.Update, error) {
	used := at
	if used.After(now) {
		used = now
	}
	if t, err := time.Parse(time.RFC3339, was.LastUsedAt); err == nil && t.After(used) {
		used = t
	}
	next.LastUsedAt = used.UTC().Format(time.RFC3339)
	next.Status = next.State()
	pk := PatronPK(customer)
	ch, err := s.recs.Enter(KindPatron, next.Status, pk, map[string]time.Time{"lastUsedAt": used})
	if err != nil {
		return nil, err
	}
	n := func(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(i)} }
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	vals := map[string]types.AttributeValue{
		":usedAt": str(next.LastUsedAt), ":state": str(next.Status),
		":openLoans": n(next.OpenLoans), ":unpaidFees": n(next.UnpaidFees), ":openTransfers": n(next.OpenTransfers),
	}
	cond := "attribute_exists(pk)"
	for _, c := range []struct {
		attr string
		n    int
	}{{"openLoans", was.OpenLoans}, {"unpaidFees", was.UnpaidFees}, {"openTransfers", was.OpenTransfers}} {
		ph := ":was_" + c.attr
		vals[ph] = n(c.n)
		if c.n == 0 {
			cond += " AND (attribute_not_exists(" + c.attr + ") OR " + c.attr + " = " + ph + ")"
		} else {
			cond += " AND " + c.attr + " = " + ph
		}
	}
	if was.LastUsedAt == "" {
		cond += " AND attribute_not_exists(lastUsedAt)"
	} else {
		cond += " AND lastUsedAt = :wasUsedAt"
		vals[":wasUsedAt"] = str(was.LastUsedAt)
	}
	set := "lastUsedAt = :usedAt, #status = :state, openLoans = :openLoans, unpaidFees = :unpaidFees, openTransfers = :openTransfers"
	return &types.Update{
		TableName:                 aws.String(s.tables.Patrons),
		Key:                       dynamo.Key(pk, SKPatron),
		UpdateExpression:          aws.String(ch.Expression(set, "")),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: ch.Values(vals),
	}, nil
}
