package library

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
)

// resolveTransfer is what resolves the collection matter of a transferred
// loan when the item is returned or its fee paid: the transfer item's
// update (state resolved, its 3-year clock stamped by the seam), to join
// the circulation's own transaction. That transaction writes the patron
// too, and may touch the item only once, so the patron's open transfer is
// taken off p here (p.OpenTransfers), for the caller's patronPut to write.
// owner, itemID and transferredAt are the loan's; a loan never transferred
// (no transferredAt) gives nil. The caller's transaction must also drop
// the loan's transferredAt (or the loan), so the matter resolves once: the
// transfer's own condition (still open) cancels a second resolution.
func (s *Service) resolveTransfer(p *Patron, owner, itemID, transferredAt string, at time.Time) (*types.TransactWriteItem, error) {
	if transferredAt == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, transferredAt)
	if err != nil {
		return nil, fmt.Errorf("library transfer: transferredAt is not RFC 3339")
	}
	pk := TransferPK(TransferWeek(helsinki.Today(t)), owner)
	resolved, err := s.recs.Enter(KindTransfer, TransferResolved, pk, map[string]time.Time{"resolvedAt": at})
	if err != nil {
		return nil, err
	}
	if p.OpenTransfers > 0 {
		p.OpenTransfers--
	}
	return &types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.tables.Transfers), Key: dynamo.Key(pk, transferSK(itemID)),
		UpdateExpression:          aws.String(resolved.Expression("#status = :resolved, resolvedAt = :at", "")),
		ConditionExpression:       aws.String("#status = :open"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: resolved.Values(map[string]types.AttributeValue{":resolved": transferStr(TransferResolved), ":open": transferStr(TransferOpen), ":at": transferStr(at.UTC().Format(time.RFC3339))}),
	}}, nil
}
