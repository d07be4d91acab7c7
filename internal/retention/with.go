package retention

import (
	"context"
	"sort"
	"time"

	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// with queues, for each due item about to be deleted, the records of the
// kinds its kind declares going with it (register.RecordKind.With): those
// in its partition and those with its subject key, in every table they
// live in. They are counted under the due item's rule (With), before the
// state is saved, so a resumed run deletes them too and counts them once.
// A record restricted by a request (Art. 18) stays, counted restricted.
func (w *walk) with(ctx context.Context, table string, due []recordstore.Key) error {
	r := w.run()
	if len(due) == 0 {
		return nil
	}
	// A record goes once: two due ends of one link (a child and its
	// guardian) both find it.
	if w.goneWith == nil {
		w.goneWith = map[[3]string]bool{}
	}
	queued := w.goneWith
	for _, p := range r.Pending {
		queued[[3]string{p.Table, p.PK, p.SK}] = true
	}
	for _, k := range due {
		rule := w.s.rules[k.Rule]
		c := r.Counts[k.Rule]
		tables := make([]string, 0, len(rule.With))
		for t := range rule.With {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			related, err := w.s.store.Related(ctx, table, k, t, rule.With[t], rule.Links[t])
			if err != nil {
				return err
			}
			for _, x := range related {
				if id := [3]string{t, x.PK, x.SK}; queued[id] {
					continue
				} else {
					queued[id] = true
				}
				if x.Restricted && !w.keptUnderException(x) {
					c.SkippedRestricted++
					continue
				}
				c.With++
				r.Pending = append(r.Pending, Pending{Table: t, PK: x.PK, SK: x.SK, Rule: k.Rule})
			}
		}
	}
	return nil
}

// nextLook is when an item its rule keeps (an unresolved matter) is looked
// at again: the rule's next deletion day after the run's (the next
// 1 January, for a yearly rule).
func nextLook(rule register.Rule, upTo int64) int64 {
	return rule.Due(time.Unix(upTo, 0).UTC().Add(24 * time.Hour)).Unix()
}
