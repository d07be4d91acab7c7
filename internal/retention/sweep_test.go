package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// fakeStore is the expiry index of every table in memory.
type fakeStore struct {
	items      map[string][]recordstore.Key // table → items
	deleted    map[string][]string          // table → pk/sk deleted, in order
	anonymised map[string][]string          // pk/sk → attributes removed
	batches    int
	dueCalls   int
	failDelete int // the nth Delete call fails (1-based; 0: never)
	deletes    int
	every      map[string][]fakeRecord // table → every stored item, for Related (library_test.go)
	redated    []string
}

func newFakeStore() *fakeStore {
	return &fakeStore{items: map[string][]recordstore.Key{}, deleted: map[string][]string{}, anonymised: map[string][]string{}}
}

func (f *fakeStore) add(table string, ks ...recordstore.Key) {
	f.items[table] = append(f.items[table], ks...)
}

func (f *fakeStore) Due(_ context.Context, table, bucket string, after, upTo int64, start map[string]types.AttributeValue, limit int32) (recordstore.DuePage, error) {
	f.dueCalls++
	var in []recordstore.Key
	for _, k := range f.items[table] {
		if dynamo.Bucket(time.Unix(k.ExpiresAt, 0), dynamo.Shard(k.PK)) == bucket && k.ExpiresAt > after && k.ExpiresAt <= upTo {
			in = append(in, k)
		}
	}
	sort.Slice(in, func(i, j int) bool {
		if in[i].ExpiresAt != in[j].ExpiresAt {
			return in[i].ExpiresAt < in[j].ExpiresAt
		}
		return in[i].PK+in[i].SK < in[j].PK+in[j].SK
	})
	if start != nil { // go on after the start key, as DynamoDB does (deleted or not)
		sp := start["pk"].(*types.AttributeValueMemberS).Value + start["sk"].(*types.AttributeValueMemberS).Value
		i := sort.Search(len(in), func(i int) bool { return in[i].PK+in[i].SK > sp })
		in = in[i:]
	}
	var page recordstore.DuePage
	if limit > 0 && len(in) > int(limit) {
		in = in[:limit]
		last := in[len(in)-1]
		page.Next = map[string]types.AttributeValue{"pk": s(last.PK), "sk": s(last.SK), "expiryBucket": s(bucket), "expiresAt": n(last.ExpiresAt)}
	}
	page.Items = in
	return page, nil
}

func (f *fakeStore) Delete(_ context.Context, table string, keys []recordstore.Key) (int, error) {
	f.deletes++
	if f.deletes == f.failDelete {
		// Half the batch went before the failure, as an interrupted run leaves it.
		keys = keys[:len(keys)/2]
		f.remove(table, keys)
		return 1, errors.New("interrupted")
	}
	f.remove(table, keys)
	calls := (len(keys) + 24) / 25
	f.batches += calls
	return calls, nil
}

func (f *fakeStore) remove(table string, keys []recordstore.Key) {
	for _, k := range keys {
		f.deleted[table] = append(f.deleted[table], k.PK+"/"+k.SK)
		f.items[table] = slices.DeleteFunc(f.items[table], func(x recordstore.Key) bool { return x.PK == k.PK && x.SK == k.SK })
	}
}

func (f *fakeStore) Anonymise(_ context.Context, table string, k recordstore.Key, attrs []string) (bool, error) {
	f.anonymised[k.PK+"/"+k.SK] = attrs
	return true, nil
}

// fakeLedger keeps the state as its JSON, as a stored item would.
type fakeLedger struct {
	state    []byte
	run      []byte
	version  int64
	saves    int
	receipts []Receipt
}

func (l *fakeLedger) Load(context.Context) (State, error) {
	st := State{Cursors: map[string]int64{}, Version: l.version}
	if l.state != nil {
		_ = json.Unmarshal(l.state, &st)
	}
	if l.run != nil {
		st.Run = &Run{}
		_ = json.Unmarshal(l.run, st.Run)
	}
	return st, nil
}

func (l *fakeLedger) Save(_ context.Context, st *State) error {
	if st.Version != l.version {
		return ErrConflict
	}
	l.saves++
	l.state, _ = json.Marshal(st)
	l.run = nil
	if st.Run != nil {
		l.run, _ = json.Marshal(st.Run)
	}
	l.version++
	st.Version = l.version
	return nil
}

func (l *fakeLedger) Receipts(_ context.Context, rs []Receipt) error {
	for _, r := range rs { // idempotent by run and rule, as the table's keys are
		l.receipts = slices.DeleteFunc(l.receipts, func(x Receipt) bool { return x.RunID == r.RunID && x.Rule == r.Rule })
		l.receipts = append(l.receipts, r)
	}
	return nil
}

type fakeQueue struct{ sent []sqsqueue.Message }

func (q *fakeQueue) Send(_ context.Context, m sqsqueue.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	q.sent = append(q.sent, m)
	return nil
}

var t0 = time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC)

func catalogue(t *testing.T, reg *register.Register) *record.Catalogue {
	t.Helper()
	deployed := map[string]string{}
	for _, name := range record.Tables(reg) {
		deployed[name] = "test-" + name
	}
	return record.MustCatalogue(reg, deployed)
}

type fixture struct {
	store  *fakeStore
	ledger *fakeLedger
	queue  *fakeQueue
	sw     *Sweeper
	now    time.Time
}

func newFixture(t *testing.T, reg *register.Register) *fixture {
	t.Helper()
	f := &fixture{store: newFakeStore(), ledger: &fakeLedger{}, queue: &fakeQueue{}, now: t0}
	sw, err := New(catalogue(t, reg), f.store, f.ledger, f.queue, func() time.Time { return f.now })
	if err != nil {
		t.Fatal(err)
	}
	f.sw = sw
	return f
}

// due makes n items of kind under rule in table, expiring from `from` a minute apart.
func due(n int, kind, rule string, from time.Time) []recordstore.Key {
	var out []recordstore.Key
	for i := range n {
		out = append(out, recordstore.Key{PK: fmt.Sprintf("%s#%04d", strings.ToUpper(kind), i), SK: "A", Kind: kind, Rule: rule, ExpiresAt: from.Add(time.Duration(i) * time.Minute).Unix()})
	}
	return out
}

func TestSweepDeletesWhatIsDue(t *testing.T) {
	f := newFixture(t, register.MustLoad("museum"))
	f.store.add("mail", due(60, "mail", "mail-log", t0.Add(-3*24*time.Hour))...)
	later := due(3, "mail", "mail-log", t0.Add(time.Hour)) // not yet due
	for i := range later {
		later[i].SK = "LATER"
	}
	f.store.add("mail", later...)
	restricted := due(1, "booking", "booking-accounting", t0.Add(-time.Hour))[0]
	restricted.Restricted, restricted.RestrictedFor = true, "rabcdefghjkmn" // a restriction asked for (Art. 18)
	// Kept after an erasure under an Art. 17(3) exception: restricted, but
	// the law that kept it sets its end, so it goes when due.
	kept := due(1, "booking-hetu", "hetu-invoiced", t0.Add(-time.Hour))[0]
	kept.Restricted, kept.RestrictedFor = true, "accounting"
	unknown := recordstore.Key{PK: "BOOKING#X", SK: "A", Kind: "booking", Rule: "no-such-rule", ExpiresAt: t0.Add(-time.Hour).Unix()}
	wrongKind := recordstore.Key{PK: "BOOKING#Y", SK: "A", Kind: "booking", Rule: "mail-log", ExpiresAt: t0.Add(-time.Hour).Unix()}
	f.store.add("bookings", restricted, kept, unknown, wrongKind)
	f.store.add("subscribers", due(2, "subscription", "subscription-unconfirmed", t0.Add(-2*time.Hour))...)

	rep, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Done || rep.Continued {
		t.Fatalf("report %+v: want a finished run", rep)
	}
	for _, tc := range []struct {
		rule string
		want Count
	}{
		{"mail-log", Count{Deleted: 60, Errors: 1}}, // wrongKind names a rule of another kind: never deleted
		{"booking-accounting", Count{SkippedRestricted: 1}},
		{"hetu-invoiced", Count{Deleted: 1}},
		{"no-such-rule", Count{Errors: 1}},
		{"subscription-unconfirmed", Count{Deleted: 2}},
		{"feedback-text", Count{}},
	} {
		got := *rep.Rules[tc.rule]
		got.FirstDue, got.LastDue = 0, 0
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.rule, got, tc.want)
		}
	}
	if len(f.store.items["mail"]) != 3 || len(f.store.items["bookings"]) != 3 || len(f.store.items["subscribers"]) != 0 {
		t.Errorf("left: mail %d (want the 3 not due), bookings %d (want restricted, unknown, wrong kind)", len(f.store.items["mail"]), len(f.store.items["bookings"]))
	}
	rules, _ := Rules(register.MustLoad("museum"))
	if len(f.ledger.receipts) != len(rules)+1 {
		t.Errorf("%d receipts, want one per enforced rule (%d) and one for the unknown rule", len(f.ledger.receipts), len(rules))
	}
	for _, r := range f.ledger.receipts {
		if r.RunID != rep.RunID || !r.Cursor.Equal(t0) {
			t.Errorf("receipt %+v: want run %s up to %s", r, rep.RunID, t0)
		}
	}
	// A second run finds nothing and reads only today's buckets.
	before := f.store.dueCalls
	f.now = t0.Add(30 * time.Minute)
	rep2, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Read != 0 || f.store.dueCalls-before != len(record.Tables(register.MustLoad("museum")))*dynamo.Shards {
		t.Errorf("second run read %d items in %d queries; want none, in one day's buckets per table", rep2.Read, f.store.dueCalls-before)
	}
	// A third within the same minute has nothing that could fall due: no Query.
	before = f.store.dueCalls
	f.now = f.now.Add(40 * time.Second)
	if rep3, err := f.sw.Run(context.Background()); err != nil || rep3.Read != 0 || f.store.dueCalls != before {
		t.Errorf("a run within the minute of the last made %d queries (%v)", f.store.dueCalls-before, err)
	}
}

func TestSweepBatchesLargePages(t *testing.T) {
	f := newFixture(t, register.MustLoad("museum"))
	// One partition key's items share a shard: one bucket of 130 due items.
	var ks []recordstore.Key
	for i := range 130 {
		ks = append(ks, recordstore.Key{PK: "AUDIT#1", SK: fmt.Sprintf("%04d", i), Kind: "audit", Rule: "audit-log", ExpiresAt: t0.Add(-time.Hour).Unix()})
	}
	f.store.add("audit", ks...)
	f.sw.PageSize = 100
	rep, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rules["audit-log"].Deleted != 130 || len(f.store.deleted["audit"]) != 130 {
		t.Fatalf("deleted %d (store %d), want 130", rep.Rules["audit-log"].Deleted, len(f.store.deleted["audit"]))
	}
	if f.store.batches != 4+2 { // pages of 100 (4 batches) and 30 (2)
		t.Errorf("%d batch writes, want 6", f.store.batches)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, register.MustLoad("museum"))
	f.store.add("feedback", due(7, "feedback-text", "feedback-text", t0.Add(-24*time.Hour))...)
	rep, err := f.sw.DryRun(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rules["feedback-text"].Deleted != 7 || !rep.DryRun {
		t.Fatalf("dry run reports %+v, want 7 that would go", rep.Rules["feedback-text"])
	}
	if f.ledger.saves != 0 || len(f.ledger.receipts) != 0 || len(f.store.deleted) != 0 || len(f.store.anonymised) != 0 {
		t.Fatalf("a dry run wrote: %d saves, %d receipts, %d deletes", f.ledger.saves, len(f.ledger.receipts), len(f.store.deleted))
	}
	var out strings.Builder
	rep.Write(&out)
	if !strings.Contains(out.String(), "would remove: 7 items") || !strings.Contains(out.String(), "feedback-text") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestInterruptedRunResumesAndCountsOnce(t *testing.T) {
	f := newFixture(t, register.MustLoad("museum"))
	var ks []recordstore.Key
	for i := range 90 {
		ks = append(ks, recordstore.Key{PK: "MAIL#1", SK: fmt.Sprintf("%04d", i), Kind: "mail", Rule: "mail-log", ExpiresAt: t0.Add(-time.Hour).Unix()})
	}
	f.store.add("mail", ks...)
	f.sw.PageSize = 40
	f.store.failDelete = 2 // the second page's delete stops half-way
	if _, err := f.sw.Run(context.Background()); err == nil {
		t.Fatal("the interrupted run should fail")
	}
	st, _ := f.ledger.Load(context.Background())
	if st.Run == nil || len(st.Run.Pending) != 40 {
		t.Fatalf("the state keeps the interrupted page's items pending: %+v", st.Run)
	}
	f.now = t0.Add(time.Minute)
	rep, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunID != st.Run.ID {
		t.Errorf("the second invocation resumes run %s, not a new one (%s)", st.Run.ID, rep.RunID)
	}
	if got := rep.Rules["mail-log"].Deleted; got != 90 {
		t.Errorf("counted %d, want each of the 90 once", got)
	}
	if len(f.store.items["mail"]) != 0 {
		t.Errorf("%d items left", len(f.store.items["mail"]))
	}
	for _, r := range f.ledger.receipts {
		if r.Rule == "mail-log" && r.Deleted != 90 {
			t.Errorf("receipt counts %d", r.Deleted)
		}
	}
}

func TestLongRunContinuesThroughTheQueue(t *testing.T) {
	f := newFixture(t, register.MustLoad("museum"))
	var ks []recordstore.Key
	for i := range 50 {
		ks = append(ks, recordstore.Key{PK: "MAIL#1", SK: fmt.Sprintf("%04d", i), Kind: "mail", Rule: "mail-log", ExpiresAt: t0.Add(-time.Hour).Unix()})
	}
	f.store.add("mail", ks...)
	f.sw.PageSize = 10
	f.sw.Budget = time.Nanosecond // one page per invocation
	rep, err := f.sw.Run(context.Background())
	if err != nil || !rep.Continued || len(f.queue.sent) != 1 {
		t.Fatalf("a run over its budget continues: %+v, %v, sent %v", rep, err, f.queue.sent)
	}
	if m := f.queue.sent[0]; m.Op != OpContinue || m.ID != rep.RunID {
		t.Fatalf("continuation %+v, want {continue %s}", m, rep.RunID)
	}
	for i := 0; i < 10000 && !rep.Done; i++ {
		m := f.queue.sent[len(f.queue.sent)-1]
		if rep, err = f.sw.Continue(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if !rep.Done || rep.Rules["mail-log"].Deleted != 50 {
		t.Fatalf("after the continuations: %+v deleted %d, want all 50 once", rep, rep.Rules["mail-log"].Deleted)
	}
	sent := len(f.queue.sent)
	// A message delivered again, for a finished run, does nothing.
	again, err := f.sw.Continue(context.Background(), rep.RunID)
	if err != nil || !again.Done || again.Read != 0 || len(f.queue.sent) != sent {
		t.Fatalf("a repeated continuation: %+v %v", again, err)
	}
}

func TestAnonymiseRemovesTheDeclaredAttributes(t *testing.T) {
	reg := &register.Register{ID: "test", Records: []register.RecordKind{{
		Kind: "visit", Table: "visits", Attributes: []string{"pk", "sk", "kind", "name", "email", "at"},
		Retention: []register.Rule{{ID: "visit-anon", When: "any", Keep: register.Period{Days: 30}, After: "at", Action: "anonymise:name, email"}},
	}}}
	f := newFixture(t, reg)
	f.store.add("visits", due(3, "visit", "visit-anon", t0.Add(-time.Hour))...)
	rep, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Rules["visit-anon"]; c.Anonymised != 3 || c.Deleted != 0 {
		t.Fatalf("counts %+v", c)
	}
	if len(f.store.anonymised) != 3 || len(f.store.deleted) != 0 {
		t.Fatalf("anonymised %v, deleted %v", f.store.anonymised, f.store.deleted)
	}
	for _, attrs := range f.store.anonymised {
		if !slices.Equal(attrs, []string{"name", "email"}) {
			t.Errorf("removed %v", attrs)
		}
	}
}

func TestRulesRefuseWhatTheDeclarationCannotMean(t *testing.T) {
	kind := func(action string) *register.Register {
		return &register.Register{ID: "test", Records: []register.RecordKind{{
			Kind: "visit", Table: "visits", Attributes: []string{"pk", "sk", "kind", "name", "at"},
			Retention: []register.Rule{{ID: "r", When: "any", Keep: register.Period{Days: 1}, After: "at", Action: action}},
		}}}
	}
	for _, tc := range []struct {
		action, err string
	}{
		{"delete", ""},
		{"anonymise:name", ""},
		{"anonymise", "name the attributes"},
		{"anonymise:phone", "does not declare"},
		{"anonymise:sk", "envelope"},
		{"delete:name", "takes no attributes"},
		{"shred", "unknown action"},
	} {
		_, err := Rules(kind(tc.action))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %v, want %q", tc.action, err, tc.err)
		}
	}
	// The museum's declaration: every rule with a period is enforced.
	reg := register.MustLoad("museum")
	rules, err := Rules(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range reg.Records {
		for _, r := range k.Retention {
			if _, ok := rules[r.ID]; ok != !r.Keep.IsZero() {
				t.Errorf("rule %s (keep %v): enforced %v", r.ID, r.Keep, ok)
			}
		}
	}
}

func TestStatePageKeyRoundTrips(t *testing.T) {
	k := map[string]types.AttributeValue{"pk": s("A#1"), "sk": s("B"), "expiresAt": n(42), "expiryBucket": s("2027-01-01#03")}
	back := decodePage(encodePage(k))
	if len(back) != 4 || back["expiresAt"].(*types.AttributeValueMemberN).Value != "42" || back["pk"].(*types.AttributeValueMemberS).Value != "A#1" {
		t.Fatalf("%v", back)
	}
}
