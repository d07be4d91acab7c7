package requests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// Eraser does erasure (GDPR Art. 17, with the declaration's Art. 17(3)
// exceptions) and restriction (Art. 18) over every declared table through
// the record seam: Queries on bySubject, never a Scan, and only the
// declaration deciding what is deleted and what is kept.
type Eraser struct {
	// parts are the stores of every register reached, each over its own
	// declaration's tables.
	parts   []*recordstore.Store
	exports interface {
		Delete(ctx context.Context, keys []string) error
	}
}

// NewEraser erases and restricts through st, and through more (other
// registers' stores) too; exports deletes access copies already made (nil:
// there are none to delete).
func NewEraser(st *recordstore.Store, exports interface {
	Delete(ctx context.Context, keys []string) error
}, more ...*recordstore.Store) *Eraser {
	return &Eraser{parts: append([]*recordstore.Store{st}, more...), exports: exports}
}

// tables calls do for every declared table of every register reached, in
// order, refusing a table a store was not given (the work would be
// incomplete).
func (e *Eraser) tables(do func(st *recordstore.Store, reg *register.Register, table string) error) error {
	for _, st := range e.parts {
		reg := st.Catalogue().Register()
		for _, table := range record.Tables(reg) {
			if st.Catalogue().Table(table) == "" {
				return fmt.Errorf("requests: table %s is not in the catalogue", table)
			}
			if err := do(st, reg, table); err != nil {
				return err
			}
		}
	}
	return nil
}

// Skip tells which of the subject's items a request leaves alone: the
// request being processed itself (kind request, pk REQUEST#id). It is asked
// with the key as the bySubject index gives it (PK and SK only), before the
// item is read. Nil skips nothing.
type Skip func(table string, k recordstore.Key) bool

// Counts are records per declared kind.
type Counts map[string]int

func (c Counts) add(kind string) { c[kind]++ }

// Inventory is what an erasure of a subject would do, as the declaration
// decides it: records per kind to delete and to keep, and the Art. 17(3)
// exceptions the kept ones are kept under. No personal data.
type Inventory struct {
	Delete Counts `json:"delete"`
	Keep   Counts `json:"keep"`
	// Exceptions are the ids of the exceptions that apply, sorted; each kept
	// kind's is its declaration's Erasure.Exception.
	Exceptions []string `json:"exceptions,omitempty"`

	items []planned
}

// planned is one item and what erasure does to it.
type planned struct {
	st    *recordstore.Store
	reg   *register.Register
	table string
	held  recordstore.Held
	keep  bool
	rule  register.Erasure
}

// Inventory reads every record of the subject in every declared table and
// decides each by its kind's declared erasure: delete, or keep under the
// exception — kept when the kind names one, the record's current rule
// (the expiry rule) is not among Unless, and, where Status is given, its status
// is one of them.
func (e *Eraser) Inventory(ctx context.Context, subjectKey string, skip Skip) (Inventory, error) {
	inv := Inventory{Delete: Counts{}, Keep: Counts{}}
	if subjectKey == "" {
		return inv, errors.New("requests: erasure without a subject key")
	}
	err := e.tables(func(st *recordstore.Store, reg *register.Register, table string) error {
		keys, err := st.BySubject(ctx, table, subjectKey)
		if err != nil {
			return err
		}
		if skip != nil {
			keys = slices.DeleteFunc(keys, func(k recordstore.Key) bool { return skip(table, k) })
		}
		if len(keys) == 0 {
			return nil
		}
		held, err := st.Held(ctx, table, keys)
		if err != nil {
			return err
		}
		for _, h := range held {
			kind, ok := reg.Record(h.Kind)
			if !ok {
				return fmt.Errorf("requests: table %s holds an item of undeclared kind %q", table, h.Kind)
			}
			p := planned{st: st, reg: reg, table: table, held: h, keep: keeps(kind.Erasure, h), rule: kind.Erasure}
			inv.items = append(inv.items, p)
			if p.keep {
				inv.Keep.add(h.Kind)
				if !slices.Contains(inv.Exceptions, p.rule.Exception) {
					inv.Exceptions = append(inv.Exceptions, p.rule.Exception)
				}
			} else {
				inv.Delete.add(h.Kind)
			}
		}
		return nil
	})
	if err != nil {
		return inv, err
	}
	sort.Strings(inv.Exceptions)
	return inv, nil
}

// keeps is the declaration's decision for one record.
func keeps(er register.Erasure, h recordstore.Held) bool {
	switch {
	case er.Exception == "":
		return false
	case slices.Contains(er.Unless, h.Rule):
		return false
	case len(er.Status) > 0 && !slices.Contains(er.Status, h.Status):
		return false
	}
	return true
}

// Erased is what one Erase call did, without personal data. A retry after
// a failure half-way finds fewer records to delete, so a receipt counts the
// deleted ones from the Inventory taken before the first attempt (each
// record once); the kept ones are the same on every call.
type Erased struct {
	// Deleted are the records this call deleted, per kind.
	Deleted Counts `json:"deleted"`
	// Kept are the records kept under an exception, stripped and
	// restricted, per kind: all of them, whether this call or an earlier one
	// did the work.
	Kept Counts `json:"kept"`
	// Exceptions are the ids of the exceptions the kept records are kept under.
	Exceptions []string `json:"exceptions,omitempty"`
	// Exports is how many access copies this call deleted.
	Exports int `json:"exports"`
}

// Erase erases the subject at now for request requestID: every record the
// declaration lets go is deleted, in every table; every record kept under
// an Art. 17(3) exception is stripped of its declared Remove attributes,
// moved into its declared Enter state through the seam (its At attribute
// set to now) unless it is already in a rule of that state, and restricted
// for the exception; the access copies named by exportKeys are deleted.
// Afterwards a bySubject Query of any table finds only restricted records
// (and those skip protects).
//
// Each step is idempotent, so a second call after a failure half-way
// finishes the job. The order per kept record is strip, restamp, restrict:
// restamping sets the TTL attribute and restricting removes it, so the record
// ends restricted and out of TTL's reach; a failure between the two leaves
// the record in its new rule, which the retry sees and does not restamp
// again (so the At time stays the first attempt's), and then restricts.
// Kept records are done before anything is deleted.
func (e *Eraser) Erase(ctx context.Context, subjectKey, requestID string, now time.Time, skip Skip, exportKeys []string) (Erased, error) {
	inv, err := e.Inventory(ctx, subjectKey, skip)
	if err != nil {
		return Erased{}, err
	}
	done := Erased{Deleted: Counts{}, Kept: inv.Keep, Exceptions: inv.Exceptions}
	now = now.UTC().Truncate(time.Second) // as stored (RFC 3339), so the rule counts from what the item holds
	type where struct {
		st    *recordstore.Store
		table string
	}
	deletes := map[where][]recordstore.Key{}
	var tables []where
	for _, p := range inv.items {
		if !p.keep {
			w := where{p.st, p.table}
			if deletes[w] == nil {
				tables = append(tables, w)
			}
			deletes[w] = append(deletes[w], recordstore.Key{PK: p.held.PK, SK: p.held.SK})
			continue
		}
		if err := e.keep(ctx, p, now); err != nil {
			return done, fmt.Errorf("requests: erasure %s: %w", requestID, err)
		}
	}
	for _, w := range tables {
		if _, err := w.st.Delete(ctx, w.table, deletes[w]); err != nil {
			return done, fmt.Errorf("requests: erasure %s: %w", requestID, err)
		}
	}
	for _, p := range inv.items {
		if !p.keep {
			done.Deleted.add(p.held.Kind)
		}
	}
	if len(exportKeys) > 0 {
		if e.exports == nil {
			return done, fmt.Errorf("requests: erasure %s: access copies to delete, but no exports bucket", requestID)
		}
		if err := e.exports.Delete(ctx, exportKeys); err != nil {
			return done, fmt.Errorf("requests: erasure %s: access copies: %w", requestID, err)
		}
		done.Exports = len(exportKeys)
	}
	return done, nil
}

// keep does what the declaration says to a record kept under its exception.
func (e *Eraser) keep(ctx context.Context, p planned, now time.Time) error {
	h := p.held
	if err := p.st.Strip(ctx, p.table, h.Key, p.rule.Remove); err != nil {
		return err
	}
	restamped := false
	if p.rule.Enter != "" && !inState(p.reg, h.Kind, p.rule.Enter, h.Rule) {
		at := map[string]time.Time{}
		if p.rule.At != "" {
			at[p.rule.At] = now
		}
		ch, err := p.st.Catalogue().Enter(h.Kind, p.rule.Enter, h.PK, at)
		if err != nil {
			return err
		}
		if err := p.st.Restamp(ctx, p.table, h.Key, ch, p.rule.At, now, p.rule.Set); err != nil {
			return err
		}
		restamped = true
	}
	if h.Restricted && h.RestrictedFor == p.rule.Exception && !restamped {
		return nil // restricted for the exception by an earlier attempt; its time stands
	}
	// The exception's restriction replaces any other (a restriction request's),
	// so lifting that one later leaves this in place.
	err := p.st.Restrict(ctx, p.table, h.Key, now, p.rule.Exception)
	if dynamo.ConditionFailed(err) {
		return nil // deleted meanwhile (its own rule was due): nothing left to keep
	}
	return err
}

// inState reports whether rule, an item's current expiry rule, is one of
// kind's rules for state. A rule that keeps no period is not stamped on the
// item, so an item in one is taken as not in the state.
func inState(reg *register.Register, kind, state, rule string) bool {
	if rule == "" {
		return false
	}
	k, ok := reg.Record(kind)
	if !ok {
		return false
	}
	return slices.ContainsFunc(k.Retention, func(r register.Rule) bool { return r.When == state && r.ID == rule })
}
