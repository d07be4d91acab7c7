// Package retention is the sweep: for every declared table, every bucket of
// the sparse, sharded expiry index from the table's cursor up to now is
// queried (never a Scan); each due item is deleted, or anonymised, as the
// declared rule that set its expiry says, in batches; restricted items are
// left and counted. Progress is saved a page at a time in the audit table,
// so an interrupted run resumes where it stopped and counts each item once;
// a run larger than one invocation carries continues through a queue. Every
// real run ends with a receipt per rule; a dry run changes nothing.
package retention

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/sqsqueue"
)

// Store is the part of the record store the sweep uses.
type Store interface {
	Due(ctx context.Context, declared, bucket string, after, upTo int64, start map[string]types.AttributeValue, limit int32) (recordstore.DuePage, error)
	Delete(ctx context.Context, declared string, keys []recordstore.Key) (int, error)
	Anonymise(ctx context.Context, declared string, k recordstore.Key, attrs []string) (bool, error)
	// Related are the items of kinds in declared that go with k, an item of table of.
	Related(ctx context.Context, of string, k recordstore.Key, declared string, kinds, links []string) ([]recordstore.Key, error)
	// Redate moves a kept item's expiry from `from` to until.
	Redate(ctx context.Context, declared string, k recordstore.Key, from int64, until time.Time) (bool, error)
}

// Queue carries a run on to the next invocation.
type Queue interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

// NoRule counts due items that name no rule at all.
const NoRule = "(no rule)"

// OpContinue is the queue message's op; its id is the run id.
const OpContinue = "continue"

// Sweeper runs the sweep over a catalogue's tables.
type Sweeper struct {
	cat    *record.Catalogue
	store  Store
	ledger Ledger
	queue  Queue // nil: a run goes on until it is done
	now    func() time.Time
	rules  map[string]ruleOf
	tables []string

	// Budget is how long one invocation may sweep when its context has no
	// deadline (0: no limit); with a deadline, the time up to a margin before it.
	Budget time.Duration
	// PageSize is the Limit of each Query of the expiry index.
	PageSize int32
	// OnPage, if set, sees the report after every page (progress output).
	OnPage func(Report)
	// wall is the real clock, for durations and budgets.
	wall func() time.Time
}

// New returns the sweep over cat's tables: due items found and removed
// through store, state and receipts kept by ledger, continued through queue.
func New(cat *record.Catalogue, store Store, ledger Ledger, queue Queue, now func() time.Time) (*Sweeper, error) {
	rules, err := Rules(cat.Register())
	if err != nil {
		return nil, err
	}
	tables := record.Tables(cat.Register())
	for _, t := range tables {
		if cat.Table(t) == "" {
			return nil, fmt.Errorf("retention: the catalogue lacks table %s", t)
		}
	}
	return &Sweeper{cat: cat, store: store, ledger: ledger, queue: queue, now: now, rules: rules, tables: tables, PageSize: 100, wall: time.Now}, nil
}

// deadlineMargin is what an invocation leaves before its context's deadline
// to save its state and queue the continuation.
const deadlineMargin = 15 * time.Second

func (s *Sweeper) until(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d.Add(-deadlineMargin)
	}
	if s.Budget > 0 {
		return s.wall().Add(s.Budget)
	}
	return time.Time{}
}

// Run runs the sweep now: it resumes the run in progress, if any, or starts one.
func (s *Sweeper) Run(ctx context.Context) (Report, error) {
	return s.run(ctx, "", false)
}

// DryRun reports per rule what a run now would remove, and changes nothing.
func (s *Sweeper) DryRun(ctx context.Context) (Report, error) {
	return s.run(ctx, "", true)
}

// Continue goes on with run id; a message for a run already finished (or
// superseded) does nothing, so the queue handler is idempotent.
func (s *Sweeper) Continue(ctx context.Context, id string) (Report, error) {
	return s.run(ctx, id, false)
}

func newRunID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func (s *Sweeper) run(ctx context.Context, continueID string, dry bool) (Report, error) {
	st, err := s.ledger.Load(ctx)
	if err != nil {
		return Report{}, err
	}
	if st.Cursors == nil {
		st.Cursors = map[string]int64{}
	}
	now := s.now()
	switch {
	case dry:
		st.Run = nil // a dry run looks from the cursors, apart from any run in progress
	case continueID != "" && (st.Run == nil || st.Run.ID != continueID):
		slog.InfoContext(ctx, "retention continuation for a finished run", "run", continueID)
		return Report{RunID: continueID, Done: true}, nil
	}
	if st.Run == nil {
		// A run sweeps up to the start of the current minute: runs within
		// one minute of each other (a retry, the staff tool's "now" after the
		// schedule) have nothing new to look at and make no Query at all.
		st.Run = &Run{ID: newRunID(now), StartedAt: s.wall().UnixMilli(), UpTo: now.Truncate(time.Minute).Unix(), Counts: map[string]*Count{}}
	}
	w := &walk{s: s, st: &st, dry: dry, until: s.until(ctx), rep: Report{RunID: st.Run.ID, DryRun: dry, Rules: st.Run.Counts, Cursor: time.Unix(st.Run.UpTo, 0)}}
	if dry {
		w.rep.Rules = map[string]*Count{}
		st.Run.Counts = w.rep.Rules
	}
	if err := w.flush(ctx); err != nil { // what a stopped invocation had counted but maybe not done
		return w.rep, err
	}
	for _, table := range s.tables {
		if slices.Contains(st.Run.Progress.Done, table) {
			continue
		}
		more, err := w.table(ctx, table)
		if err != nil {
			return w.rep, err
		}
		if more {
			return w.carryOn(ctx)
		}
	}
	return w.finish(ctx)
}
