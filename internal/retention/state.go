package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// The sweep's own records in the audit table (declared in museum.yaml).
const (
	KindState   = "retention-state"
	KindReceipt = "retention-receipt"
	// StatePK/StateSK is the one state item; receipts share ReceiptPK, one
	// item per run and rule, sk = run id + "#" + rule (run ids sort by time).
	// These are the museum's; another register's sweep keeps its own
	// (LedgerKeys), beside them in the same audit table.
	StatePK   = "RETENTION"
	StateSK   = "STATE"
	ReceiptPK = "RETENTION#RECEIPT"
)

// PlatformRegister is the register whose audit table holds every sweep's
// ledger: the museum's keys are StatePK and ReceiptPK as they always were.
const PlatformRegister = "museum"

// LedgerKeys are the partitions of register's sweep state and receipts.
func LedgerKeys(register string) (statePK, receiptPK string) {
	if register == PlatformRegister {
		return StatePK, ReceiptPK
	}
	return StatePK + "#" + register, ReceiptPK + "#" + register
}

// State is what the sweep keeps between runs and invocations.
type State struct {
	// Cursors is, per declared table, the time (Unix seconds) up to which
	// every bucket has been swept.
	Cursors map[string]int64 `json:"cursors"`
	// Run is the run in progress, nil between runs.
	Run     *Run  `json:"-"`
	Version int64 `json:"-"`
}

// Run is a run in progress: where it is, and what it has counted so far.
type Run struct {
	ID        string            `json:"id"`
	StartedAt int64             `json:"startedAt"` // Unix ms of the real clock, for the duration
	UpTo      int64             `json:"upTo"`      // the run sweeps items due at or before UpTo
	Progress  Progress          `json:"progress"`
	Counts    map[string]*Count `json:"counts"`
	// Pending are keys counted and about to be deleted or anonymised when
	// the state was saved: a resumed run applies them again (idempotent)
	// without counting them twice.
	Pending []Pending `json:"pending,omitempty"`
}

// Progress is where a run is: the table, UTC day and shard in progress and
// the page key to go on from; Done lists the tables finished.
type Progress struct {
	Done  []string          `json:"done,omitempty"`
	Table string            `json:"table,omitempty"`
	Day   int64             `json:"day,omitempty"`
	Shard int               `json:"shard,omitempty"`
	Page  map[string]string `json:"page,omitempty"` // attribute → "S:value" / "N:value"
}

// Pending is one counted item still to be acted on: deleted (or
// anonymised, as its rule says), or, kept by its rule, re-dated from
// Expires to Until.
type Pending struct {
	Table   string `json:"t"`
	PK      string `json:"p"`
	SK      string `json:"s"`
	Rule    string `json:"r"`
	Expires int64  `json:"x,omitempty"`
	Until   int64  `json:"u,omitempty"`
}

// Count is what a run did, or would do, under one rule.
type Count struct {
	Deleted           int `json:"deleted"`
	Anonymised        int `json:"anonymised"`
	SkippedRestricted int `json:"skippedRestricted"`
	// Kept are due items their rule keeps (action keep: an unresolved
	// matter), looked at again one cadence later.
	Kept int `json:"kept,omitempty"`
	// With are the records deleted with the due ones (their kind's with).
	With     int   `json:"with,omitempty"`
	Errors   int   `json:"errors"` // items the declaration has no such rule for: left alone
	FirstDue int64 `json:"firstDue,omitempty"`
	LastDue  int64 `json:"lastDue,omitempty"`
}

func (c *Count) due(at int64) {
	if c.FirstDue == 0 || at < c.FirstDue {
		c.FirstDue = at
	}
	if at > c.LastDue {
		c.LastDue = at
	}
}

// ErrConflict: another invocation saved the state first (SQS delivers at
// least once); this one stops and leaves the run to it.
var ErrConflict = errors.New("retention: another invocation advanced the run")

// Ledger keeps the state and the receipts.
type Ledger interface {
	Load(ctx context.Context) (State, error)
	// Save stores st if nobody saved since it was loaded, and bumps its version.
	Save(ctx context.Context, st *State) error
	Receipts(ctx context.Context, rs []Receipt) error
}

// DB is the part of DynamoDB the ledger uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// TableLedger keeps the ledger in the audit table.
type TableLedger struct {
	db                 DB
	cat                *record.Catalogue
	table              string
	statePK, receiptPK string
	now                func() time.Time
}

// NewLedger is the ledger of cat's register in cat's audit table.
func NewLedger(db DB, cat *record.Catalogue, now func() time.Time) (*TableLedger, error) {
	return LedgerFor(db, cat, cat.Register().ID, now)
}

// LedgerFor is the ledger of register's sweep in the audit table of cat
// (the platform's, for a register that declares no audit table of its own).
func LedgerFor(db DB, cat *record.Catalogue, register string, now func() time.Time) (*TableLedger, error) {
	table, err := cat.TableOf(KindState)
	if err != nil {
		return nil, err
	}
	statePK, receiptPK := LedgerKeys(register)
	return &TableLedger{db: db, cat: cat, table: table, statePK: statePK, receiptPK: receiptPK, now: now}, nil
}

// ReceiptPK is the partition of this ledger's receipts.
func (l *TableLedger) ReceiptPK() string { return l.receiptPK }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

// Load reads the state (a fresh one before the first run).
func (l *TableLedger) Load(ctx context.Context) (State, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: dynamo.Key(l.statePK, StateSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return State{}, fmt.Errorf("retention state: %w", err)
	}
	st := State{Cursors: map[string]int64{}}
	if out.Item == nil {
		return st, nil
	}
	st.Version = getN(out.Item, "version")
	if c := getS(out.Item, "cursors"); c != "" {
		if err := json.Unmarshal([]byte(c), &st.Cursors); err != nil {
			return State{}, fmt.Errorf("retention state cursors: %w", err)
		}
	}
	if id := getS(out.Item, "runId"); id != "" {
		r := &Run{ID: id, StartedAt: getN(out.Item, "startedAt"), UpTo: getN(out.Item, "upTo")}
		for name, dst := range map[string]any{"progress": &r.Progress, "counts": &r.Counts, "pending": &r.Pending} {
			if v := getS(out.Item, name); v != "" {
				if err := json.Unmarshal([]byte(v), dst); err != nil {
					return State{}, fmt.Errorf("retention state %s: %w", name, err)
				}
			}
		}
		if r.Counts == nil {
			r.Counts = map[string]*Count{}
		}
		st.Run = r
	}
	return st, nil
}

// Save writes st on the condition that its version is still the stored one.
func (l *TableLedger) Save(ctx context.Context, st *State) error {
	cursors, _ := json.Marshal(st.Cursors)
	item := map[string]types.AttributeValue{
		record.AttrPK: s(l.statePK), record.AttrSK: s(StateSK),
		"cursors": s(string(cursors)), "version": n(st.Version + 1), "at": s(l.now().UTC().Format(time.RFC3339)),
	}
	if r := st.Run; r != nil {
		progress, _ := json.Marshal(r.Progress)
		counts, _ := json.Marshal(r.Counts)
		item["runId"], item["startedAt"], item["upTo"] = s(r.ID), n(r.StartedAt), n(r.UpTo)
		item["progress"], item["counts"] = s(string(progress)), s(string(counts))
		if len(r.Pending) > 0 {
			pending, _ := json.Marshal(r.Pending)
			item["pending"] = s(string(pending))
		}
	}
	if err := l.cat.Stamp(KindState, "any", item); err != nil {
		return err
	}
	_, err := l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(l.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(st.Version)},
	})
	if dynamo.ConditionFailed(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("retention state: %w", err)
	}
	st.Version++
	return nil
}

// Receipts writes one item per receipt (idempotent: a run writes the same
// keys again when it is resumed after writing them).
func (l *TableLedger) Receipts(ctx context.Context, rs []Receipt) error {
	for _, r := range rs {
		item := r.item(l.receiptPK)
		if err := l.cat.Stamp(KindReceipt, "any", item); err != nil {
			return err
		}
		if _, err := l.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item}); err != nil {
			return fmt.Errorf("retention receipt %s: %w", r.Rule, err)
		}
	}
	return nil
}

// encodePage and decodePage carry a page key (its attributes are the
// index's keys and the table's: strings and numbers) through the state.
func encodePage(k map[string]types.AttributeValue) map[string]string {
	if k == nil {
		return nil
	}
	out := map[string]string{}
	for name, v := range k {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			out[name] = "S:" + x.Value
		case *types.AttributeValueMemberN:
			out[name] = "N:" + x.Value
		}
	}
	return out
}

func decodePage(p map[string]string) map[string]types.AttributeValue {
	if p == nil {
		return nil
	}
	out := map[string]types.AttributeValue{}
	for name, v := range p {
		if len(v) < 2 {
			continue
		}
		switch v[:2] {
		case "S:":
			out[name] = s(v[2:])
		case "N:":
			out[name] = &types.AttributeValueMemberN{Value: v[2:]}
		}
	}
	return out
}
