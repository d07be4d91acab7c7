// Package dynamo holds what every DynamoDB-backed record shares: the client
// set-up, the retention attributes the sweep finds records by, and the
// reading of transaction and condition failures.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// NewClient returns a DynamoDB client. DynamoDB Local's error responses lack
// the CRC32 header, so checksum validation is off against a local endpoint only.
func NewClient(cfg aws.Config) *dynamodb.Client {
	endpoint := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
	})
}

// Shards spread one day's expiring records over this many index partitions.
const Shards = 16

// Backstop is how long after expiresAt DynamoDB TTL may delete an item the
// sweep has not. TTL cannot skip restricted records or write receipts, so it
// only catches what the sweep somehow missed; restricting a record removes it.
const Backstop = 30 * 24 * time.Hour

// Retention are the attributes that put a record on the sweep's index.
type Retention struct {
	ExpiresAt    int64  `dynamodbav:"expiresAt,omitempty"`
	ExpiryBucket string `dynamodbav:"expiryBucket,omitempty"`
	PurgeAt      int64  `dynamodbav:"purgeAt,omitempty"`
}

// Expires returns the retention attributes of a record with partition key pk
// that expires at t.
func Expires(t time.Time, pk string) Retention {
	return Retention{
		ExpiresAt:    t.Unix(),
		ExpiryBucket: Bucket(t, Shard(pk)),
		PurgeAt:      t.Add(Backstop).Unix(),
	}
}

// Shard is the stable shard of a partition key.
func Shard(pk string) int {
	h := fnv.New32a()
	h.Write([]byte(pk))
	return int(h.Sum32() % Shards)
}

// Bucket names one shard of one UTC day on the expiry index.
func Bucket(day time.Time, shard int) string {
	return fmt.Sprintf("%s#%02d", day.UTC().Format("2006-01-02"), shard)
}

// Put is a transaction item putting item into table.
func Put(table string, item any, condition ...string) (types.TransactWriteItem, error) {
	av, err := MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal %T: %w", item, err)
	}
	p := &types.Put{TableName: aws.String(table), Item: av}
	if len(condition) > 0 {
		p.ConditionExpression = aws.String(condition[0])
	}
	return types.TransactWriteItem{Put: p}, nil
}

// Key is a pk/sk key.
func Key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// ConditionFailed reports whether err is a failed condition of a single write.
func ConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// CancelledBy returns, for a cancelled transaction, the cancellation code of
// each item in order ("None" for items that were fine), or nil for any other error.
func CancelledBy(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// PendingShards spread unsent work over this many byPending partitions.
const PendingShards = 4

// PendingShard is the byPending partition of an item with partition key pk.
func PendingShard(pk string) string { return fmt.Sprintf("P#%d", Shard(pk)%PendingShards) }

type querier interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// PendingBefore returns the partition keys of items on table's sparse
// byPending index created before cutoff (same format as createdAt), optionally
// filtered. Relays use it to find durable work whose queue message was lost.
func PendingBefore(ctx context.Context, db querier, table, cutoff, filter string, values map[string]types.AttributeValue) ([]string, error) {
	var pks []string
	for shard := range PendingShards {
		vals := map[string]types.AttributeValue{
			":p":      &types.AttributeValueMemberS{Value: fmt.Sprintf("P#%d", shard)},
			":cutoff": &types.AttributeValueMemberS{Value: cutoff},
		}
		for k, v := range values {
			vals[k] = v
		}
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			IndexName:                 aws.String("byPending"),
			KeyConditionExpression:    aws.String("pending = :p AND createdAt < :cutoff"),
			ExpressionAttributeValues: vals,
		}
		if filter != "" {
			in.FilterExpression = aws.String(filter)
		}
		for {
			out, err := db.Query(ctx, in)
			if err != nil {
				return pks, fmt.Errorf("pending items of %s, shard %d: %w", table, shard, err)
			}
			for _, it := range out.Items {
				if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok {
					pks = append(pks, pk.Value)
				}
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return pks, nil
}
