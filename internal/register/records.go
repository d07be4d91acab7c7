package register

import (
	"fmt"
	"slices"
	"time"
)

// The declared record kinds and their retention rules.

// RecordKind is a kind of stored item: where it lives, what it holds, how long.
type RecordKind struct {
	Kind string `yaml:"kind"`
	// Name is what a person reading their access copy or a reply calls it.
	Name       Text     `yaml:"name"`
	Table      string   `yaml:"table"`
	Purposes   []string `yaml:"purposes"`
	Attributes []string `yaml:"attributes"`
	Retention  []Rule   `yaml:"retention"`
	// Masked attributes are never shown, in an access copy either: it says
	// only that a value is held (a sealed identity code).
	Masked []string `yaml:"masked"`
	// Erasure is what an erasure request does to the kind (Art. 17(3)).
	Erasure Erasure `yaml:"erasure"`
	// Objection is what an objection to direct marketing does to it.
	Objection *Objection `yaml:"objection"`
	// With are the kinds that go with a record of this kind: when the sweep
	// deletes one, it deletes in the same run the records of these kinds in
	// the same partition or with the same subject key (a patron's guardian
	// links and reservations).
	With []string `yaml:"with" json:",omitempty"`
	// Links are the attributes of a record linking two people (a guardian
	// link) that hold the subject keys of both ends: the record goes with
	// either end's record (With), and so does its mirror in the other end's
	// partition.
	Links []string `yaml:"links" json:",omitempty"`
}

// Rule is one retention rule: in state When, keep for Keep after the time in
// attribute After, then apply Action. A rule without Keep means "until an event".
// Cadence says how often its deletions are made: daily (the default), weekly
// (on Mondays) or yearly (on 1 January), as a notice may promise ("deletions
// are made once a year"); a record then expires on the first such day after
// its period.
type Rule struct {
	ID      string `yaml:"id"`
	When    string `yaml:"when"`
	Keep    Period `yaml:"keep"`
	After   string `yaml:"after"`
	Action  string `yaml:"action"`
	Cadence string `yaml:"cadence"`
	Text    Text   `yaml:"text"`
}

// ActionKeep is the action of a rule that keeps its record when it falls
// due (an unresolved matter): the sweep counts it kept under the rule and
// looks at it again one cadence later. Its record carries no TTL backstop.
const ActionKeep = "keep"

// Holds reports whether the rule keeps its record when it falls due.
func (r Rule) Holds() bool { return r.Action == ActionKeep }

// The cadences a rule may declare.
const (
	Daily  = "daily"
	Weekly = "weekly"
	Yearly = "yearly"
)

// Due is when a record whose period ends at end is removed under the rule's
// cadence: end itself daily; the next Monday 00:00 UTC weekly; the next
// 1 January 00:00 UTC yearly (end itself when it falls on one).
func (r Rule) Due(end time.Time) time.Time {
	end = end.UTC()
	switch r.Cadence {
	case Weekly:
		day := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
		if day.Before(end) {
			day = day.AddDate(0, 0, 1)
		}
		return day.AddDate(0, 0, (8-int(day.Weekday()))%7)
	case Yearly:
		jan := time.Date(end.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		if jan.Before(end) {
			jan = jan.AddDate(1, 0, 0)
		}
		return jan
	}
	return end
}

// Record returns the declared record kind.
func (r *Register) Record(kind string) (RecordKind, bool) {
	i := slices.IndexFunc(r.Records, func(k RecordKind) bool { return k.Kind == kind })
	if i < 0 {
		return RecordKind{}, false
	}
	return r.Records[i], true
}

// Retention returns the rule of kind for state when; it panics if the code asks
// for a rule the declaration lacks, which the package tests catch at build time.
func (r *Register) Retention(kind, when string) Rule {
	rk, ok := r.Record(kind)
	if ok {
		for _, rule := range rk.Retention {
			if rule.When == when {
				return rule
			}
		}
	}
	panic(fmt.Sprintf("register %s declares no retention for %s in state %s", r.ID, kind, when))
}
