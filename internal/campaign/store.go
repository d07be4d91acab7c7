package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/record"
)

// Writer writes items together.
type Writer interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Create stores a new campaign with the audit entry of who queued it; the
// caller then puts its id on the campaigns queue.
func Create(ctx context.Context, db Writer, recs *record.Catalogue, c Campaign, now time.Time) error {
	put, err := recs.Put(Kind, "any", c, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	entry, err := audit.Put(recs, now, audit.Entry{Event: "campaign-queued", Ref: c.ID(), List: c.List, Actor: c.CreatedBy})
	if err != nil {
		return err
	}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, entry}}); err != nil {
		return fmt.Errorf("campaign %s: %w", c.ID(), err)
	}
	return nil
}

// Querier reads an index.
type Querier interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// HasAudience tells whether list has anyone a campaign would go to (one
// small read per shard at most).
func HasAudience(ctx context.Context, db Querier, subscribers, list string) (bool, error) {
	for n := range audience.Shards {
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(subscribers), IndexName: aws.String(audience.Index),
			KeyConditionExpression:    aws.String(audience.Attr + " = :k"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": sv(audience.ShardKey(list, n))},
			Limit:                     aws.Int32(1), Select: types.SelectCount,
		})
		if err != nil {
			return false, fmt.Errorf("the audience of %s: %w", list, err)
		}
		if out.Count > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Recent lists the newest campaigns' ids, newest first.
func Recent(ctx context.Context, db Querier, table string, limit int32) ([]string, error) {
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String("byCreated"),
		KeyConditionExpression:    aws.String("campaignList = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": sv(Kind)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	var ids []string
	for _, it := range out.Items {
		if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok {
			ids = append(ids, pk.Value[len("CAMPAIGN#"):])
		}
	}
	return ids, nil
}

// Getter reads an item.
type Getter interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Load reads campaign id from table.
func Load(ctx context.Context, db Getter, table, id string) (Campaign, error) {
	return get(ctx, db, table, id)
}
