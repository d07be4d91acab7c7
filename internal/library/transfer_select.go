package library

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// Which loans the weekly transfer takes: the overdue set from the sparse
// byDue index, read whole, and of it only an adult's loans due on or
// before the cutoff.

// batchGetAPI reads the overdue loans whole, a hundred at a time.
type batchGetAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// overdueLoan is what the transfer reads of a loan item (loans.go writes it).
type overdueLoan struct {
	PK, SK, ItemID, Title, Price, Owner, DueDate, DueShard string
}

func loanOf(item map[string]types.AttributeValue) overdueLoan {
	return overdueLoan{
		PK: transferAttr(item, "pk"), SK: transferAttr(item, "sk"), ItemID: transferAttr(item, "itemId"),
		Title: transferAttr(item, "title"), Price: transferAttr(item, "price"), Owner: transferAttr(item, "owner"),
		DueDate: transferAttr(item, "dueDate"), DueShard: transferAttr(item, "dueShard"),
	}
}

// transferAttr is a string or number attribute as text ("" when absent).
func transferAttr(item map[string]types.AttributeValue, name string) string {
	switch v := item[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

// TransferWeek is the ISO week of day, the name of its files ("2026-W49").
func TransferWeek(day time.Time) string {
	y, w := day.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// transferCutoff is the last due date transferred on today.
func transferCutoff(today time.Time) string {
	return today.AddDate(0, 0, -TransferAfterDays).Format(time.DateOnly)
}

// Why a patron's overdue loans stay where they are.
const (
	skipChild     = "child"
	skipNoBirth   = "no-birth-date"
	skipNoCode    = "no-identity-code"
	skipNoPatron  = "no-patron"
	skipNotDue    = "not-due"
	skipNoOwner   = "unknown-owner"
	skipReturned  = "returned-meanwhile"
	skipNotOnList = "not-on-index"
)

// selectTransfers is which of a patron's overdue loans go to the agency
// today, and why each other one does not: only an adult's (AdultAge on
// the day, from the birth date), only a loan still on the byDue index due
// on or before the cutoff, owned by one of the four libraries.
func selectTransfers(p *Patron, loans []overdueLoan, today time.Time) (take []overdueLoan, skipped map[string]int) {
	skipped = map[string]int{}
	age := Age(p.BirthDate, today)
	if age < 0 {
		skipped[skipNoBirth] += len(loans)
		return nil, skipped
	}
	if age < AdultAge {
		skipped[skipChild] += len(loans)
		return nil, skipped
	}
	if p.IdentityCode == nil || p.SealID == "" {
		skipped[skipNoCode] += len(loans) // the agency's file names the person by it
		return nil, skipped
	}
	cutoff := transferCutoff(today)
	for _, l := range loans {
		switch {
		case l.DueShard == "":
			skipped[skipNotOnList]++
		case l.DueDate == "" || l.DueDate > cutoff:
			skipped[skipNotDue]++
		case !slices.Contains(Libraries, l.Owner):
			skipped[skipNoOwner]++
		default:
			take = append(take, l)
		}
	}
	return take, skipped
}

// overdueLoanKeys Queries every byDue shard for loans due on or before
// cutoff: the sparse index holds only open loans not yet transferred, so
// the reads are the overdue set and nothing else; never a Scan.
func (s *Service) overdueLoanKeys(ctx context.Context, cutoff string) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	for shard := range DueShards {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.tables.Loans),
			IndexName:                 aws.String(IndexByDue),
			KeyConditionExpression:    aws.String("dueShard = :shard AND dueDate <= :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":shard": &types.AttributeValueMemberS{Value: "due#" + strconv.Itoa(shard)}, ":cutoff": &types.AttributeValueMemberS{Value: cutoff}},
		}
		for {
			out, err := s.db.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("library transfer: overdue loans: %w", err)
			}
			for _, it := range out.Items {
				keys = append(keys, dynamo.Key(transferAttr(it, "pk"), transferAttr(it, "sk")))
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return keys, nil
}

// readLoans reads the loans whole (the index holds keys only), strongly
// consistent, a hundred a call.
func (s *Service) readLoans(ctx context.Context, keys []map[string]types.AttributeValue) ([]overdueLoan, error) {
	bg, ok := s.db.(batchGetAPI)
	if !ok {
		return nil, errors.New("library transfer: the database client cannot batch-read")
	}
	var loans []overdueLoan
	for len(keys) > 0 {
		n := min(len(keys), 100)
		pending := map[string]types.KeysAndAttributes{s.tables.Loans: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 8 {
				return nil, errors.New("library transfer: loans left unprocessed")
			}
			if attempt > 0 {
				time.Sleep(time.Duration(25<<attempt) * time.Millisecond)
			}
			out, err := bg.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("library transfer: read loans: %w", err)
			}
			for _, it := range out.Responses[s.tables.Loans] {
				loans = append(loans, loanOf(it))
			}
			pending = out.UnprocessedKeys
		}
	}
	return loans, nil
}
