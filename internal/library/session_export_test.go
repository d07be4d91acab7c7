package library

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Seams for the self-service tests (package library_test), which write the
// records other flows write (collection, the circulation feed) the way
// those flows do: through the record seam.

// PutPatronForTest writes p as collection does (patronPut), new.
func (s *Service) PutPatronForTest(ctx context.Context, p *Patron) error {
	it, err := s.patronPut(p, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{it}})
	return err
}

// PutRecordForTest writes item, a record of kind in state, through the seam.
func (s *Service) PutRecordForTest(ctx context.Context, kind, state string, item map[string]any) error {
	it, err := s.recs.Put(kind, state, item)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{it}})
	return err
}
