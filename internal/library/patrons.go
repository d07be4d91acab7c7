package library

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// The patron's reads and writes every flow shares: collection creates one,
// the circulation feed and self-service change one, the transfer reads one.

// getPatron reads the patron with customerNumber (strongly consistent), or
// ErrNotFound.
func (s *Service) getPatron(ctx context.Context, customerNumber string) (*Patron, error) {
	p, _, err := s.patronItem(ctx, customerNumber)
	return p, err
}

// patronItem is getPatron with the item as stored, for what the record
// seam keeps on it beside the patron's fields (its restriction).
func (s *Service) patronItem(ctx context.Context, customerNumber string) (*Patron, map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Patrons),
		Key:            dynamo.Key(PatronPK(customerNumber), SKPatron),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read patron: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, nil, ErrNotFound
	}
	var p Patron
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return nil, nil, fmt.Errorf("read patron: %w", err)
	}
	return &p, out.Item, nil
}

// patronPut is the transaction item writing p whole, stamped with the
// retention rule of its state (Patron.State): unresolved keeps it, active
// counts 3 years from lastUsedAt to the next 1 January.
func (s *Service) patronPut(p *Patron, condition ...string) (types.TransactWriteItem, error) {
	p.Kind = KindPatron
	p.Status = p.State()
	return s.recs.Put(KindPatron, p.Status, p, condition...)
}
