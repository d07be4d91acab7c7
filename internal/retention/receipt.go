package retention

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
)

// Receipt is what a real run did under one rule: counts and times, no
// personal data, no keys.
type Receipt struct {
	RunID string
	Rule  string
	Count
	Duration time.Duration
	Cursor   time.Time // the run swept everything due up to here
	At       time.Time // when the run finished
}

func (r Receipt) item(pk string) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		record.AttrPK: s(pk), record.AttrSK: s(r.RunID + "#" + r.Rule),
		"runId": s(r.RunID), "rule": s(r.Rule),
		"deleted": n(int64(r.Deleted)), "anonymised": n(int64(r.Anonymised)),
		"skippedRestricted": n(int64(r.SkippedRestricted)), "errors": n(int64(r.Errors)),
		"durationMs": n(r.Duration.Milliseconds()),
		"cursor":     s(r.Cursor.UTC().Format(time.RFC3339)), "at": s(r.At.UTC().Format(time.RFC3339)),
	}
	if r.Kept > 0 { // only a rule that keeps its records when due counts these
		item["kept"] = n(int64(r.Kept))
	}
	if r.With > 0 {
		item["with"] = n(int64(r.With))
	}
	if r.FirstDue > 0 {
		item["firstDue"] = s(time.Unix(r.FirstDue, 0).UTC().Format(time.RFC3339))
		item["lastDue"] = s(time.Unix(r.LastDue, 0).UTC().Format(time.RFC3339))
	}
	return item
}

// ReceiptOf reads a stored receipt item back.
func ReceiptOf(item map[string]types.AttributeValue) Receipt {
	r := Receipt{RunID: getS(item, "runId"), Rule: getS(item, "rule"), Count: Count{
		Deleted: int(getN(item, "deleted")), Anonymised: int(getN(item, "anonymised")),
		SkippedRestricted: int(getN(item, "skippedRestricted")), Errors: int(getN(item, "errors")),
		Kept: int(getN(item, "kept")), With: int(getN(item, "with")),
	}, Duration: time.Duration(getN(item, "durationMs")) * time.Millisecond}
	parse := func(name string) time.Time { t, _ := time.Parse(time.RFC3339, getS(item, name)); return t }
	r.Cursor, r.At = parse("cursor"), parse("at")
	if t := parse("firstDue"); !t.IsZero() {
		r.FirstDue, r.LastDue = t.Unix(), parse("lastDue").Unix()
	}
	return r
}

// Report is what one invocation of a run did (or, dry, would do), per rule.
type Report struct {
	RunID     string
	DryRun    bool
	Continued bool // the budget ran out; the run goes on through the queue
	Done      bool // the run finished (receipts written unless dry)
	Rules     map[string]*Count
	Pages     int // Query pages read
	Read      int // due items read
	Batches   int // BatchWriteItem calls
	Cursor    time.Time
}

// Write prints the report a rule a line, sorted.
func (r Report) Write(w io.Writer) {
	verb := "removed"
	if r.DryRun {
		verb = "would remove"
	}
	ids := make([]string, 0, len(r.Rules))
	for id := range r.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(w, "run %s up to %s (%s)\n", r.RunID, r.Cursor.UTC().Format(time.RFC3339), state(r))
	fmt.Fprintln(w, CountHeader())
	for _, id := range ids {
		fmt.Fprintln(w, CountLine(id, *r.Rules[id]))
	}
	fmt.Fprintf(w, "%s: %d items, %d pages read, %d batch writes\n", verb, r.Read, r.Pages, r.Batches)
}

func state(r Report) string {
	switch {
	case r.DryRun:
		return "dry run: nothing changed"
	case r.Continued:
		return "continues through the queue"
	case r.Done:
		return "done"
	}
	return "stopped"
}

// CountHeader and CountLine are the table a run's counts are printed in,
// a rule a line: deleted (with: the records that went with them),
// anonymised, kept because restricted (Art. 18) or by the rule (kept: an
// unresolved matter), errors, and the span of due times.
func CountHeader() string {
	return fmt.Sprintf("%-26s %8s %6s %10s %10s %6s %6s  %s", "rule", "deleted", "with", "anonymised", "restricted", "kept", "errors", "due")
}

// CountLine is one rule's line under CountHeader.
func CountLine(rule string, c Count) string {
	due := "-"
	if c.FirstDue > 0 {
		due = time.Unix(c.FirstDue, 0).UTC().Format("2006-01-02") + " … " + time.Unix(c.LastDue, 0).UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("%-26s %8d %6d %10d %10d %6d %6d  %s", rule, c.Deleted, c.With, c.Anonymised, c.SkippedRestricted, c.Kept, c.Errors, due)
}
