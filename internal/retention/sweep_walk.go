package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/sqsqueue"
)

// One run's walk over the due buckets of every declared table.

// walk is one invocation's pass through a run.
type walk struct {
	s     *Sweeper
	st    *State
	dry   bool
	until time.Time
	pages int // pages this invocation read
	rep   Report
	// goneWith are the records this invocation queued to go with due ones
	// (with.go): a dry run deletes nothing, so a later page finds them again.
	goneWith map[[3]string]bool
}

func (w *walk) run() *Run { return w.st.Run }

func (w *walk) overBudget() bool {
	return w.pages > 0 && !w.until.IsZero() && !w.s.wall().Before(w.until)
}

// table sweeps one declared table from where the run is; more reports that
// the budget ran out first.
func (w *walk) table(ctx context.Context, table string) (more bool, err error) {
	r := w.run()
	from := w.st.Cursors[table]
	if floor := r.UpTo - int64(dynamo.Backstop/time.Second); from < floor {
		from = floor // TTL has purged anything older (a restriction takes its item out of TTL, and Lift re-dates it)
	}
	p := &r.Progress
	if from >= r.UpTo && p.Table != table {
		// Nothing can fall due in (from, upTo]: a run right after another
		// reads nothing (on AWS even an empty Query costs half a read unit).
		p.Done = append(p.Done, table)
		return false, w.save(ctx)
	}
	if p.Table != table {
		*p = Progress{Done: p.Done, Table: table, Day: dayOf(from)}
	}
	last := dayOf(r.UpTo)
	for ; p.Day <= last; p.Day, p.Shard = p.Day+86400, 0 {
		for ; p.Shard < dynamo.Shards; p.Shard, p.Page = p.Shard+1, nil {
			for {
				if w.overBudget() {
					return true, nil
				}
				bucket := dynamo.Bucket(time.Unix(p.Day, 0), p.Shard)
				page, err := w.s.store.Due(ctx, table, bucket, from, r.UpTo, decodePage(p.Page), w.s.PageSize)
				if err != nil {
					return false, err
				}
				w.pages++
				w.rep.Pages++
				w.rep.Read += len(page.Items)
				if err := w.with(ctx, table, w.count(table, page.Items)); err != nil {
					return false, err
				}
				p.Page = encodePage(page.Next)
				if len(page.Items) > 0 || page.Next != nil {
					if err := w.save(ctx); err != nil {
						return false, err
					}
					if err := w.flush(ctx); err != nil {
						return false, err
					}
				}
				if w.s.OnPage != nil {
					w.s.OnPage(w.rep)
				}
				if page.Next == nil {
					break
				}
			}
		}
	}
	p.Done = append(p.Done, table)
	p.Table, p.Day, p.Shard, p.Page = "", 0, 0, nil
	if !w.dry {
		w.st.Cursors[table] = r.UpTo
	}
	return false, w.save(ctx)
}

func dayOf(unix int64) int64 { return unix - ((unix%86400)+86400)%86400 }

// count decides each due item's fate, counts it under its rule and queues
// what to do as pending; it returns the items to delete that have kinds
// going with them.
func (w *walk) count(table string, items []recordstore.Key) (withOthers []recordstore.Key) {
	r := w.run()
	for _, k := range items {
		rule, ok := w.s.rules[k.Rule]
		id := k.Rule
		if id == "" {
			id = NoRule
		}
		c := r.Counts[id]
		if c == nil {
			c = &Count{}
			r.Counts[id] = c
		}
		c.due(k.ExpiresAt)
		switch {
		case !ok || rule.Table != table || rule.Kind != k.Kind:
			c.Errors++ // the declaration has no such rule for it: never deleted
			slog.Warn("retention: a due item names no declared rule of its kind", "table", table, "rule", k.Rule, "kind", k.Kind)
		case k.Restricted && !w.keptUnderException(k):
			c.SkippedRestricted++
		case rule.Holds():
			c.Kept++ // an unresolved matter: looked at again one cadence on
			r.Pending = append(r.Pending, Pending{Table: table, PK: k.PK, SK: k.SK, Rule: k.Rule, Expires: k.ExpiresAt, Until: nextLook(rule.Rule, r.UpTo)})
		case rule.Anonymise != nil:
			c.Anonymised++
			r.Pending = append(r.Pending, Pending{Table: table, PK: k.PK, SK: k.SK, Rule: k.Rule})
		default:
			c.Deleted++
			r.Pending = append(r.Pending, Pending{Table: table, PK: k.PK, SK: k.SK, Rule: k.Rule})
			if len(rule.With) > 0 {
				withOthers = append(withOthers, k)
			}
		}
	}
	return withOthers
}

// keptUnderException reports whether a restricted item is restricted only
// because an erasure kept it under an Art. 17(3) exception: it is no one's
// to use, but the law that kept it sets its end, so its rule still applies.
// A restriction asked for (Art. 18) names its request and is skipped.
func (w *walk) keptUnderException(k recordstore.Key) bool {
	_, ok := w.s.cat.Register().Exception(k.RestrictedFor)
	return ok
}

func (w *walk) save(ctx context.Context) error {
	if w.dry {
		return nil
	}
	return w.s.ledger.Save(ctx, w.st)
}

// flush deletes (in batches) or anonymises the pending items, then forgets
// them; a dry run only forgets them.
func (w *walk) flush(ctx context.Context) error {
	r := w.run()
	if w.dry || len(r.Pending) == 0 {
		r.Pending = nil
		return nil
	}
	byTable := map[string][]recordstore.Key{}
	var order []string
	seen := map[[3]string]bool{} // a batch write refuses a key twice
	for _, p := range r.Pending {
		if id := [3]string{p.Table, p.PK, p.SK}; seen[id] {
			continue
		} else {
			seen[id] = true
		}
		k := recordstore.Key{PK: p.PK, SK: p.SK, Rule: p.Rule}
		if p.Until != 0 {
			if _, err := w.s.store.Redate(ctx, p.Table, k, p.Expires, time.Unix(p.Until, 0)); err != nil {
				return err
			}
			continue
		}
		if rule := w.s.rules[p.Rule]; rule.Anonymise != nil {
			if _, err := w.s.store.Anonymise(ctx, p.Table, k, rule.Anonymise); err != nil {
				return err
			}
			continue
		}
		if _, seen := byTable[p.Table]; !seen {
			order = append(order, p.Table)
		}
		byTable[p.Table] = append(byTable[p.Table], k)
	}
	for _, t := range order {
		calls, err := w.s.store.Delete(ctx, t, byTable[t])
		w.rep.Batches += calls
		if err != nil {
			return err
		}
	}
	r.Pending = nil
	return nil
}

// carryOn saves the run and queues its continuation.
func (w *walk) carryOn(ctx context.Context) (Report, error) {
	w.rep.Continued = true
	if w.dry || w.s.queue == nil {
		return w.rep, nil // a dry run or an in-process one reports how far it got
	}
	if err := w.save(ctx); err != nil {
		return w.rep, err
	}
	if err := w.s.queue.Send(ctx, sqsqueue.Message{Op: OpContinue, ID: w.run().ID}); err != nil {
		return w.rep, err
	}
	slog.InfoContext(ctx, "retention run continues", "run", w.run().ID, "pages", w.pages)
	return w.rep, nil
}

// finish writes the receipts (a real run) and ends the run.
func (w *walk) finish(ctx context.Context) (Report, error) {
	w.rep.Done = true
	if w.dry {
		w.s.fill(w.rep.Rules)
		return w.rep, nil
	}
	r := w.run()
	w.s.fill(r.Counts)
	at := w.s.now()
	var rs []Receipt
	for id, c := range r.Counts {
		rs = append(rs, Receipt{RunID: r.ID, Rule: id, Count: *c, Duration: w.s.wall().Sub(time.UnixMilli(r.StartedAt)),
			Cursor: time.Unix(r.UpTo, 0), At: at})
	}
	if err := w.s.ledger.Receipts(ctx, rs); err != nil {
		return w.rep, err
	}
	w.st.Run = nil
	if err := w.s.ledger.Save(ctx, w.st); err != nil && !errors.Is(err, ErrConflict) {
		return w.rep, err
	}
	slog.InfoContext(ctx, "retention run done", "run", r.ID, "rules", len(rs), "items", w.rep.Read)
	return w.rep, nil
}

// fill gives every enforced rule a count, so every rule gets its receipt.
func (s *Sweeper) fill(counts map[string]*Count) {
	for id := range s.rules {
		if counts[id] == nil {
			counts[id] = &Count{}
		}
	}
}
