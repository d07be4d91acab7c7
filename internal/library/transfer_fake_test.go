package library

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/fieldcrypt"
)

// trDB is an in-memory table store for the transfer's unit tests: it
// evaluates the few condition and update expressions the transfer writes
// (attribute_exists, attribute_not_exists, =, SET with if_not_exists and +,
// REMOVE) and fails the transaction calls a test asks it to.
type trDB struct {
	mu       sync.Mutex
	items    map[string]map[string]types.AttributeValue // table \x00 pk \x00 sk
	txCalls  int
	failTxAt map[int]bool // 1-based TransactWriteItems calls that fail
	// What the reads asked for: byDue Queries, loan keys batch-read, GetItems.
	dueQueries, batchKeys, gets int
}

var errTrInjected = errors.New("fake: injected failure")

func newTrDB() *trDB {
	return &trDB{items: map[string]map[string]types.AttributeValue{}, failTxAt: map[int]bool{}}
}

func trKey(table string, key map[string]types.AttributeValue) string {
	return table + "\x00" + transferAttr(key, "pk") + "\x00" + transferAttr(key, "sk")
}

func (f *trDB) put(table string, item map[string]types.AttributeValue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[trKey(table, item)] = item
}

func (f *trDB) get(table, pk, sk string) map[string]types.AttributeValue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.items[table+"\x00"+pk+"\x00"+sk]
}

// all is every item of table, ordered by key.
func (f *trDB) all(table string) []map[string]types.AttributeValue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for k := range f.items {
		if strings.HasPrefix(k, table+"\x00") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		out[i] = f.items[k]
	}
	return out
}

func (f *trDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	return &dynamodb.GetItemOutput{Item: f.items[trKey(aws.ToString(in.TableName), in.Key)]}, nil
}

func (f *trDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.put(aws.ToString(in.TableName), in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (f *trDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("fake: the transfer updates only in transactions")
}

func (f *trDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 {
			return nil, errors.New("fake: more than 100 keys")
		}
		f.batchKeys += len(ka.Keys)
		for _, k := range ka.Keys {
			if it, ok := f.items[trKey(table, k)]; ok {
				out.Responses[table] = append(out.Responses[table], it)
			}
		}
	}
	return out, nil
}

func (f *trDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	table, vals := aws.ToString(in.TableName), in.ExpressionAttributeValues
	var out dynamodb.QueryOutput
	if aws.ToString(in.IndexName) == IndexByDue {
		f.dueQueries++
	}
	for _, it := range f.itemsOf(table) {
		switch {
		case aws.ToString(in.IndexName) == IndexByDue:
			if aws.ToString(in.KeyConditionExpression) != "dueShard = :shard AND dueDate <= :cutoff" {
				return nil, errors.New("fake: unknown byDue condition")
			}
			if transferAttr(it, "dueShard") == transferAttr(vals, ":shard") && transferAttr(it, "dueShard") != "" && transferAttr(it, "dueDate") <= transferAttr(vals, ":cutoff") {
				// KEYS_ONLY: the table's keys and the index's.
				out.Items = append(out.Items, map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"], "dueShard": it["dueShard"], "dueDate": it["dueDate"]})
			}
		case aws.ToString(in.KeyConditionExpression) == "pk = :pk":
			if transferAttr(it, "pk") == transferAttr(vals, ":pk") {
				out.Items = append(out.Items, it)
			}
		default:
			return nil, errors.New("fake: unknown query")
		}
	}
	return &out, nil
}

func (f *trDB) itemsOf(table string) []map[string]types.AttributeValue {
	var keys []string
	for k := range f.items {
		if strings.HasPrefix(k, table+"\x00") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		out[i] = f.items[k]
	}
	return out
}

func (f *trDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txCalls++
	if f.failTxAt[f.txCalls] {
		return nil, errTrInjected
	}
	if len(in.TransactItems) > 100 {
		return nil, errors.New("fake: more than 100 items")
	}
	type write struct {
		key  string
		item map[string]types.AttributeValue // nil: delete
	}
	var writes []write
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	failed := false
	seen := map[string]bool{}
	for i, ti := range in.TransactItems {
		reasons[i].Code = aws.String("None")
		var table, cond string
		var key map[string]types.AttributeValue
		var names map[string]string
		var vals map[string]types.AttributeValue
		switch {
		case ti.Put != nil:
			table, key, cond, names, vals = aws.ToString(ti.Put.TableName), ti.Put.Item, aws.ToString(ti.Put.ConditionExpression), ti.Put.ExpressionAttributeNames, ti.Put.ExpressionAttributeValues
		case ti.Update != nil:
			table, key, cond, names, vals = aws.ToString(ti.Update.TableName), ti.Update.Key, aws.ToString(ti.Update.ConditionExpression), ti.Update.ExpressionAttributeNames, ti.Update.ExpressionAttributeValues
		default:
			return nil, errors.New("fake: only Put and Update")
		}
		k := trKey(table, key)
		if seen[k] {
			return nil, errors.New("fake: ValidationException: two operations on one item")
		}
		seen[k] = true
		cur := f.items[k]
		ok, err := trHolds(cond, cur, names, vals)
		if err != nil {
			return nil, err
		}
		if !ok {
			reasons[i].Code = aws.String("ConditionalCheckFailed")
			failed = true
			continue
		}
		if ti.Put != nil {
			writes = append(writes, write{k, ti.Put.Item})
			continue
		}
		next := map[string]types.AttributeValue{}
		for a, v := range cur {
			next[a] = v
		}
		for a, v := range key {
			next[a] = v
		}
		if err := trApply(aws.ToString(ti.Update.UpdateExpression), next, names, vals); err != nil {
			return nil, err
		}
		writes = append(writes, write{k, next})
	}
	if failed {
		return nil, &types.TransactionCanceledException{Message: aws.String("cancelled"), CancellationReasons: reasons}
	}
	for _, w := range writes {
		f.items[w.key] = w.item
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func trName(a string, names map[string]string) string {
	if n, ok := names[a]; ok {
		return n
	}
	return a
}

// trHolds evaluates a condition of clauses joined by AND.
func trHolds(cond string, item map[string]types.AttributeValue, names map[string]string, vals map[string]types.AttributeValue) (bool, error) {
	if cond == "" {
		return true, nil
	}
	for _, c := range strings.Split(cond, " AND ") {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, "attribute_exists(") && strings.HasSuffix(c, ")"):
			if _, ok := item[trName(c[len("attribute_exists("):len(c)-1], names)]; !ok {
				return false, nil
			}
		case strings.HasPrefix(c, "attribute_not_exists(") && strings.HasSuffix(c, ")"):
			if _, ok := item[trName(c[len("attribute_not_exists("):len(c)-1], names)]; ok {
				return false, nil
			}
		case strings.Contains(c, " = "):
			a, v, _ := strings.Cut(c, " = ")
			if transferAttr(item, trName(a, names)) != transferAttr(vals, v) || item[trName(a, names)] == nil {
				return false, nil
			}
		default:
			return false, fmt.Errorf("fake: condition %q", c)
		}
	}
	return true, nil
}

// trApply runs "SET a = :v, b = if_not_exists(b, :z) + :o REMOVE c, d".
func trApply(expr string, item map[string]types.AttributeValue, names map[string]string, vals map[string]types.AttributeValue) error {
	set, remove := expr, ""
	if i := strings.Index(expr, " REMOVE "); i >= 0 {
		set, remove = expr[:i], expr[i+len(" REMOVE "):]
	} else if strings.HasPrefix(expr, "REMOVE ") {
		set, remove = "", expr[len("REMOVE "):]
	}
	set = strings.TrimPrefix(set, "SET ")
	for _, asg := range trTopLevel(set) {
		a, rhs, ok := strings.Cut(asg, " = ")
		if !ok {
			return fmt.Errorf("fake: assignment %q", asg)
		}
		a = trName(strings.TrimSpace(a), names)
		switch {
		case strings.HasPrefix(rhs, "if_not_exists("):
			inner, plus, _ := strings.Cut(rhs, ") + ")
			_, zero, _ := strings.Cut(inner, ", ")
			base := transferAttr(item, a)
			if base == "" {
				base = transferAttr(vals, zero)
			}
			n, _ := strconv.Atoi(base)
			d, _ := strconv.Atoi(transferAttr(vals, plus))
			item[a] = &types.AttributeValueMemberN{Value: strconv.Itoa(n + d)}
		default:
			v, ok := vals[rhs]
			if !ok {
				return fmt.Errorf("fake: value %q", rhs)
			}
			item[a] = v
		}
	}
	for _, a := range trTopLevel(remove) {
		delete(item, trName(strings.TrimSpace(a), names))
	}
	return nil
}

// trTopLevel splits at commas outside parentheses.
func trTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		out = append(out, strings.TrimSpace(s[start:]))
	}
	return out
}

// trSeal seals by XOR, bound to the seal id as KMS binds a context, so a
// code opened under another context fails as it would.
type trSeal struct {
	mu     sync.Mutex
	opened int
}

func trSealed(code, sealID string) *fieldcrypt.Sealed {
	ct := []byte(code)
	for i := range ct {
		ct[i] ^= 0x5a
	}
	return &fieldcrypt.Sealed{Version: 1, KeyID: "fake", EncryptedKey: []byte(sealID), Nonce: make([]byte, 12), Ciphertext: ct}
}

func (f *trSeal) Open(_ context.Context, v fieldcrypt.Sealed, ec fieldcrypt.Context) ([]byte, error) {
	if ec["table"] != TablePatrons || ec["attribute"] != "hetu" || ec["record"] != string(v.EncryptedKey) {
		return nil, fieldcrypt.ErrMismatch
	}
	f.mu.Lock()
	f.opened++
	f.mu.Unlock()
	pt := append([]byte(nil), v.Ciphertext...)
	for i := range pt {
		pt[i] ^= 0x5a
	}
	return pt, nil
}

// trFiles is the transfers bucket.
type trFiles struct {
	mu    sync.Mutex
	files map[string][]byte
	puts  int
	fail  int // the next this many puts fail
}

func (f *trFiles) Put(_ context.Context, key, contentType string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errTrInjected
	}
	if contentType != "text/csv; charset=utf-8" {
		return fmt.Errorf("fake: content type %q", contentType)
	}
	f.puts++
	f.files[key] = append([]byte(nil), body...)
	return nil
}
