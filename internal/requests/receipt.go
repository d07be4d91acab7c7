package requests

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// receiptKind is the declared kind of a request's receipt in the audit table.
const receiptKind = "request-receipt"

// receiptItem is the receipt of an erasure, restriction, objection or
// rectification: what was done, counted per record kind — no personal data,
// not even the subject key, so it outlives the person's records.
type receiptItem struct {
	PK         string            `dynamodbav:"pk"`
	SK         string            `dynamodbav:"sk"`
	Kind       string            `dynamodbav:"kind"`
	RequestID  string            `dynamodbav:"requestId"`
	Type       string            `dynamodbav:"type"`
	Counts     map[string]string `dynamodbav:"counts"`
	Exceptions string            `dynamodbav:"exceptions,omitempty"`
	At         string            `dynamodbav:"at"`
}

// ReceiptKey is where a request's receipt is kept.
func ReceiptKey(id string) map[string]types.AttributeValue {
	return dynamo.Key("REQUEST#RECEIPT", id)
}

func (s *Service) putReceipt(ctx context.Context, req *Request, counts map[string]string, exceptions string) error {
	key := ReceiptKey(req.ID())
	it := receiptItem{
		PK: key["pk"].(*types.AttributeValueMemberS).Value, SK: req.ID(), Kind: receiptKind,
		RequestID: req.ID(), Type: req.Type, Counts: counts, Exceptions: exceptions, At: stamp(s.now()),
	}
	put, err := s.recs.Put(receiptKind, "any", it, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	_, err = s.tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}})
	if codes := dynamo.CancelledBy(err); codes != nil && codes[0] == "ConditionalCheckFailed" {
		return nil // written by an earlier delivery
	}
	if err != nil {
		return fmt.Errorf("request %s receipt: %w", req.ID(), err)
	}
	return nil
}

// Receipt reads a request's receipt (the staff tool and tests).
func Receipt(item map[string]types.AttributeValue) (counts map[string]string, exceptions string, err error) {
	var r receiptItem
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return nil, "", err
	}
	return r.Counts, r.Exceptions, nil
}
