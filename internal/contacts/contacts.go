// Package contacts holds the people staff enter, not the public: the
// members of the seniors' history afternoons' postal list (from a paper
// form, with consent) and media contacts (from public sources, as a public
// task, Art. 6(1)(e)). Both live in the subscribers table beside the
// newsletter's records, under the person's subject key, so access copies,
// erasure, restriction, objection and retention reach them as any other.
//
// A senior is on the postal list's audience (audience.Key(PostList, pk)),
// and, with an e-mail address, subscribed to the list seniors; a media
// contact is subscribed to the list media. Campaigns page those audiences;
// nothing here ever Scans the table.
package contacts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/contacts/leaving"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// The declared lists and kinds of this package.
const (
	SeniorsList = leaving.SeniorsList
	MediaList   = leaving.MediaList
	// PostList is the audience of the seniors' postal list (sendTo of the
	// senior record); it is not a mailing list anyone signs up to.
	PostList = "seniors-post"

	SeniorKind = leaving.SeniorKind
	MediaKind  = leaving.MediaKind
	NoticeKind = "art14-notice"

	seniorSK = leaving.SeniorSK
	mediaSK  = leaving.MediaSK

	Active   = "active"
	Removed  = leaving.Removed
	Objected = leaving.Objected

	// Staff is the channel of what staff enter or remove.
	Staff = "staff"
	// ObjectionChannel is recorded on a media contact who objected by a link.
	ObjectionChannel = leaving.ObjectionChannel
)

// DB is what the store calls of DynamoDB.
type DB interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Store is what staff do with the two lists.
type Store struct {
	reg     *register.Register
	db      DB
	recs    *record.Catalogue
	keys    keySource
	baseURL *url.URL
	now     func() time.Time
}

// NewStore wires the store: recs must name the subscribers, mail and audit
// tables; baseURL makes the links in the media notice.
func NewStore(db DB, recs *record.Catalogue, keys keySource, baseURL *url.URL, now func() time.Time) (*Store, error) {
	for _, t := range []string{"subscribers", "mail", "audit"} {
		if recs.Table(t) == "" {
			return nil, fmt.Errorf("contacts: no %s table", t)
		}
	}
	return &Store{reg: recs.Register(), db: db, recs: recs, keys: keys, baseURL: baseURL, now: now}, nil
}

// FieldErrors are the refused fields of an entry, each with its message.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f + ": " + e[f])
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// opaqueKey is the subject key of someone with no e-mail address: random,
// of the same form as an e-mail's, leading nowhere.
func opaqueKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ID is how staff name a person on the lists: the first 16 characters of
// their subject key (pseudonymous, unique enough for a list of thousands).
func ID(subjectKey string) string {
	if len(subjectKey) < 16 {
		return subjectKey
	}
	return subjectKey[:16]
}

func sv(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

func str(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// members pages every shard of list's audience (the byList index), in
// pages of the index's own size; the index projects subjectKey, list,
// email, lang and restrictedAt.
func (s *Store) members(ctx context.Context, list string, each func(map[string]types.AttributeValue) error) error {
	for shard := range audience.Shards {
		in := &dynamodb.QueryInput{
			TableName: aws.String(s.recs.Table("subscribers")), IndexName: aws.String(audience.Index),
			KeyConditionExpression:    aws.String(audience.Attr + " = :k"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": sv(audience.ShardKey(list, shard))},
		}
		for {
			out, err := s.db.Query(ctx, in)
			if err != nil {
				return fmt.Errorf("contacts: the %s list: %w", list, err)
			}
			for _, it := range out.Items {
				if err := each(it); err != nil {
					return err
				}
			}
			if in.ExclusiveStartKey = out.LastEvaluatedKey; len(in.ExclusiveStartKey) == 0 {
				break
			}
		}
	}
	return nil
}

// batchGet reads the items at keys (any number), 100 at a time, with what
// DynamoDB leaves unprocessed asked again.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	table := s.recs.Table("subscribers")
	var out []map[string]types.AttributeValue
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt == 8 {
				return nil, fmt.Errorf("contacts: batch read left items unprocessed")
			}
			if attempt > 0 {
				time.Sleep(time.Duration(attempt*50) * time.Millisecond)
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("contacts: batch read: %w", err)
			}
			out = append(out, res.Responses[table]...)
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

func (s *Store) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.recs.Table("subscribers")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": sv(pk), "sk": sv(sk)},
	})
	if err != nil {
		return nil, fmt.Errorf("contacts: read: %w", err)
	}
	return out.Item, nil
}
