package recordstore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fetchLimit is BatchGetItem's limit of keys per call.
const fetchLimit = 100

// Items is every item of a declared table that carries subjectKey, whole:
// a Query of the bySubject index (which projects keys only), then the items
// by key, never a Scan. An item deleted between the two is left out.
func (s *Store) Items(ctx context.Context, declared, subjectKey string) ([]map[string]types.AttributeValue, error) {
	keys, err := s.BySubject(ctx, declared, subjectKey)
	if err != nil {
		return nil, err
	}
	return s.Fetch(ctx, declared, keys)
}

// Get is one item of a declared table by its key, or nil when there is none.
// It reads through BatchGetItem, which the requests function's policy grants
// on every table (it has no GetItem there).
func (s *Store) Get(ctx context.Context, declared, pk, sk string) (map[string]types.AttributeValue, error) {
	items, err := s.Fetch(ctx, declared, []Key{{PK: pk, SK: sk}})
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return items[0], nil
}

// Fetch reads keys from a declared table with strongly consistent
// BatchGetItem calls of at most 100 keys, retrying unprocessed keys with
// backoff until ctx ends. Items come back in the order of keys; a key given
// twice is read once, and a key with no item is left out.
func (s *Store) Fetch(ctx context.Context, declared string, keys []Key) ([]map[string]types.AttributeValue, error) {
	table, err := s.table(declared)
	if err != nil {
		return nil, err
	}
	order := make(map[[2]string]int, len(keys))
	var unique []Key
	for _, k := range keys {
		id := [2]string{k.PK, k.SK}
		if _, seen := order[id]; !seen {
			order[id] = len(unique)
			unique = append(unique, k)
		}
	}
	found := make([]map[string]types.AttributeValue, len(unique))
	for start := 0; start < len(unique); start += fetchLimit {
		batch := unique[start:min(start+fetchLimit, len(unique))]
		avs := make([]map[string]types.AttributeValue, len(batch))
		for i, k := range batch {
			avs[i] = k.av()
		}
		pending := map[string]types.KeysAndAttributes{table: {Keys: avs, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(pending[table].Keys) > 0; attempt++ {
			if attempt > 0 {
				if err := s.sleep(ctx, backoff(attempt)); err != nil {
					return nil, fmt.Errorf("%s get: %d keys unprocessed: %w", declared, len(pending[table].Keys), err)
				}
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("%s get: %w", declared, err)
			}
			for _, it := range out.Responses[table] {
				if i, ok := order[[2]string{str(it, "pk"), str(it, "sk")}]; ok {
					found[i] = it
				}
			}
			// Retried strongly consistent too, whatever the answer says.
			pending = map[string]types.KeysAndAttributes{table: {Keys: out.UnprocessedKeys[table].Keys, ConsistentRead: aws.Bool(true)}}
		}
	}
	items := make([]map[string]types.AttributeValue, 0, len(found))
	for _, it := range found {
		if it != nil {
			items = append(items, it)
		}
	}
	return items, nil
}
