// Package dynamo holds what every DynamoDB-backed record shares: the client
// set-up, the retention attributes the sweep finds records by, and the
// reading of transaction and condition failures.
package dynamo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
	av, err := attributevalue.MarshalMap(item)
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
