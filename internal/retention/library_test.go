package retention

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// fakeRecord is a stored item as Related sees it: its key and subject key.
type fakeRecord struct {
	key     recordstore.Key
	subject string
}

func (f *fakeStore) Related(_ context.Context, of string, k recordstore.Key, declared string, kinds []string) ([]recordstore.Key, error) {
	subject := ""
	for _, r := range f.every[of] {
		if r.key.PK == k.PK && r.key.SK == k.SK {
			subject = r.subject
		}
	}
	var out []recordstore.Key
	for _, r := range f.every[declared] {
		if (r.key.PK == k.PK && r.key.SK == k.SK) || !slices.Contains(kinds, r.key.Kind) || f.gone(declared, r.key) {
			continue
		}
		if r.key.PK == k.PK || (subject != "" && r.subject == subject) {
			out = append(out, r.key)
		}
	}
	return out, nil
}

func (f *fakeStore) gone(table string, k recordstore.Key) bool {
	return slices.Contains(f.deleted[table], k.PK+"/"+k.SK)
}

func (f *fakeStore) Redate(_ context.Context, table string, k recordstore.Key, from int64, until time.Time) (bool, error) {
	for i, x := range f.items[table] {
		if x.PK == k.PK && x.SK == k.SK && x.ExpiresAt == from {
			f.items[table][i].ExpiresAt = until.Unix()
			f.redated = append(f.redated, k.PK+"/"+k.SK)
			return true, nil
		}
	}
	return false, nil
}

// put stores an item of kind in state as the library's code writes it,
// stamped by the record seam (never an expiry by hand).
func (f *fakeStore) put(t *testing.T, cat *record.Catalogue, kind, state string, attrs map[string]string) recordstore.Key {
	t.Helper()
	item := map[string]types.AttributeValue{}
	for k, v := range attrs {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	tw, err := cat.Put(kind, state, item)
	if err != nil {
		t.Fatal(err)
	}
	it := tw.Put.Item
	k := recordstore.Key{PK: attrs["pk"], SK: attrs["sk"], Kind: kind}
	if n, ok := it[record.AttrExpiresAt].(*types.AttributeValueMemberN); ok {
		k.ExpiresAt, _ = strconv.ParseInt(n.Value, 10, 64)
		k.Rule = it[record.AttrExpiryRule].(*types.AttributeValueMemberS).Value
	}
	rk, _ := cat.Register().Record(kind)
	if k.ExpiresAt != 0 {
		f.add(rk.Table, k)
	}
	if f.every == nil {
		f.every = map[string][]fakeRecord{}
	}
	f.every[rk.Table] = append(f.every[rk.Table], fakeRecord{key: k, subject: attrs["subjectKey"]})
	return k
}

func libraryFixture(t *testing.T, now time.Time) (*fixture, *record.Catalogue) {
	t.Helper()
	reg := register.MustLoad("library")
	cat := catalogue(t, reg)
	f := &fixture{store: newFakeStore(), ledger: &fakeLedger{}, queue: &fakeQueue{}, now: now}
	sw, err := New(cat, f.store, f.ledger, f.queue, func() time.Time { return f.now })
	if err != nil {
		t.Fatal(err)
	}
	f.sw = sw
	return f, cat
}

func count(t *testing.T, rep Report, rule string) Count {
	t.Helper()
	c := rep.Rules[rule]
	if c == nil {
		t.Fatalf("no count for %s in %+v", rule, rep.Rules)
	}
	got := *c
	got.FirstDue, got.LastDue = 0, 0
	return got
}

// TestLibraryYearlyPurge: patrons unused for 3 years go on the next
// 1 January, not a day before, with their guardian links on both sides;
// a patron with an unresolved matter falls due with them and is kept,
// counted kept under patron-unresolved, and looked at again the next
// 1 January; a restricted link stays.
func TestLibraryYearlyPurge(t *testing.T) {
	lastUse := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
	f, cat := libraryFixture(t, time.Date(2029, 12, 31, 23, 0, 0, 0, time.UTC))
	patron := func(n, state string) recordstore.Key {
		return f.store.put(t, cat, "patron", state, map[string]string{"pk": "patron#" + n, "sk": "patron", "subjectKey": "subj-" + n, "lastUsedAt": lastUse})
	}
	link := func(pk, sk, subject, state string) recordstore.Key {
		attrs := map[string]string{"pk": pk, "sk": sk, "subjectKey": subject, "lastUsedAt": lastUse, "birthDate": "2020-05-06"}
		return f.store.put(t, cat, "guardian-link", state, attrs)
	}
	inactive := patron("1001", "active")
	link("patron#1001", "guardian#2002", "subj-1001", "minor")  // the child's link to its guardian
	link("patron#2002", "dependant#1001", "subj-1001", "minor") // the same link in the guardian's partition
	patron("2002", "unresolved")                                // the guardian owes a fee: kept
	link("patron#3003", "guardian#4004", "subj-3003", "active") // someone else's link: stays
	patron("5005", "active")                                    // unused as long, its link restricted by a request
	restricted := link("patron#5005", "guardian#6006", "subj-5005", "active")
	for i, r := range f.store.every["patrons"] {
		if r.key == restricted {
			f.store.every["patrons"][i].key.Restricted, f.store.every["patrons"][i].key.RestrictedFor = true, "rabcdefghjkmn"
		}
	}
	if want := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix(); inactive.ExpiresAt != want {
		t.Fatalf("an inactive patron falls due %s, want the 1 January after 3 years", time.Unix(inactive.ExpiresAt, 0).UTC())
	}

	rep, err := f.sw.Run(context.Background())
	if err != nil || rep.Read != 0 || len(f.store.deleted) != 0 {
		t.Fatalf("on 31 December nothing is due: %+v %v %v", rep, err, f.store.deleted)
	}
	f.now = time.Date(2030, 1, 1, 3, 0, 0, 0, time.UTC)
	rep, err = f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, rep, "patron-inactive"); got != (Count{Deleted: 2, With: 2, SkippedRestricted: 1}) {
		t.Errorf("patron-inactive: %+v, want 2 deleted with 2 links, 1 link kept restricted", got)
	}
	if got := count(t, rep, "patron-unresolved"); got != (Count{Kept: 1}) {
		t.Errorf("patron-unresolved: %+v, want 1 kept", got)
	}
	want := []string{"patron#1001/patron", "patron#5005/patron", "patron#1001/guardian#2002", "patron#2002/dependant#1001"}
	if got := f.store.deleted["patrons"]; !sameSet(got, want) {
		t.Errorf("deleted %v, want %v", got, want)
	}
	if !slices.Equal(f.store.redated, []string{"patron#2002/patron"}) {
		t.Errorf("re-dated %v, want the unresolved patron", f.store.redated)
	}
	var receipt *Receipt
	for i, r := range f.ledger.receipts {
		if r.Rule == "patron-unresolved" && r.RunID == rep.RunID {
			receipt = &f.ledger.receipts[i]
		}
	}
	if receipt == nil || receipt.Kept != 1 || ReceiptOf(receipt.item("RETENTION#RECEIPT#library")).Kept != 1 {
		t.Errorf("the receipt counts the kept patron: %+v", receipt)
	}
	// A year on it is looked at again, and kept again.
	f.now = time.Date(2031, 1, 1, 3, 0, 0, 0, time.UTC)
	rep, err = f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, rep, "patron-unresolved"); got != (Count{Kept: 1}) {
		t.Errorf("a year on, patron-unresolved: %+v, want 1 kept", got)
	}
}

// TestLibraryPreregistrationAfterThreeMonths: an uncollected
// pre-registration goes 3 months after it was made, daily, not before.
func TestLibraryPreregistrationAfterThreeMonths(t *testing.T) {
	made := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	f, cat := libraryFixture(t, made.AddDate(0, 2, 0))
	f.store.put(t, cat, "preregistration", "pending", map[string]string{"pk": "prereg#R1", "sk": "prereg", "registeredAt": made.Format(time.RFC3339)})
	f.store.put(t, cat, "preregistration", "pending", map[string]string{"pk": "prereg#R2", "sk": "prereg", "registeredAt": made.AddDate(0, 1, 0).Format(time.RFC3339)})
	if rep, err := f.sw.Run(context.Background()); err != nil || rep.Read != 0 {
		t.Fatalf("after 2 months nothing is due: %+v %v", rep, err)
	}
	f.now = made.AddDate(0, 3, 0).Add(time.Hour)
	rep, err := f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, rep, "preregistration-uncollected"); got != (Count{Deleted: 1}) || !slices.Equal(f.store.deleted["patrons"], []string{"prereg#R1/prereg"}) {
		t.Errorf("after 3 months: %+v, deleted %v", got, f.store.deleted)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
