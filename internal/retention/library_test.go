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

// fakeRecord is a stored item as Related sees it: its key, subject key and
// other attributes.
type fakeRecord struct {
	key     recordstore.Key
	subject string
	attrs   map[string]string
}

// Related is what recordstore's is (its own tests run it on DynamoDB):
// the items of kinds in k's partition, with its subject key, or naming it
// in one of the links attributes.
func (f *fakeStore) Related(_ context.Context, of string, k recordstore.Key, declared string, kinds, links []string) ([]recordstore.Key, error) {
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
		names := false
		for _, a := range links {
			names = names || (subject != "" && r.attrs[a] == subject)
		}
		if r.key.PK == k.PK || (subject != "" && r.subject == subject) || names {
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
	f.every[rk.Table] = append(f.every[rk.Table], fakeRecord{key: k, subject: attrs["subjectKey"], attrs: attrs})
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
	patron := func(n, state string, used ...string) recordstore.Key {
		return f.store.put(t, cat, "patron", state, map[string]string{"pk": "patron#" + n, "sk": "patron", "subjectKey": "subj-" + n, "lastUsedAt": append(used, lastUse)[0]})
	}
	// A link as collection writes one: in the child's partition under its
	// subject key, mirrored in the guardian's under the guardian's, both
	// naming both ends (patronKey, responsibleKey).
	link := func(child, guardian, state string) (recordstore.Key, recordstore.Key) {
		ends := map[string]string{"patronKey": "subj-" + child, "responsibleKey": "subj-" + guardian, "lastUsedAt": lastUse, "birthDate": "2020-05-06"}
		put := func(pk, sk, subject string) recordstore.Key {
			attrs := map[string]string{"pk": pk, "sk": sk, "subjectKey": subject}
			for k, v := range ends {
				attrs[k] = v
			}
			return f.store.put(t, cat, "guardian-link", state, attrs)
		}
		return put("patron#"+child, "guardian#"+guardian, "subj-"+child), put("patron#"+guardian, "dependant#"+child, "subj-"+guardian)
	}
	inactive := patron("1001", "active") // a child unused for 3 years
	link("1001", "2002", "minor")
	patron("2002", "unresolved")                                                                                                // its guardian owes a fee: kept
	link("3003", "2002", "minor")                                                                                               // the guardian's other child, still using the library: its link stays
	patron("3003", "unresolved", "2027-05-06T10:00:00Z")                                                                        // it has a loan
	f.store.put(t, cat, "loan", "reserved", map[string]string{"pk": "patron#1001", "sk": "resv#i1", "subjectKey": "subj-1001"}) // the child's reservation
	f.store.put(t, cat, "loan", "open", map[string]string{"pk": "patron#3003", "sk": "loan#i2", "subjectKey": "subj-3003"})
	patron("5005", "active") // an adult unused as long, the link it answers for restricted by a request
	_, restricted := link("6006", "5005", "active")
	patron("6006", "unresolved")
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
	if got := count(t, rep, "patron-inactive"); got != (Count{Deleted: 2, With: 4, SkippedRestricted: 1}) {
		t.Errorf("patron-inactive: %+v, want 2 deleted with 4 (the child's link, its mirror, its reservation; the link naming the adult), 1 link kept restricted", got)
	}
	if got := count(t, rep, "patron-unresolved"); got != (Count{Kept: 2}) {
		t.Errorf("patron-unresolved: %+v, want 2 kept", got)
	}
	want := []string{"patron#1001/patron", "patron#5005/patron", "patron#1001/guardian#2002", "patron#2002/dependant#1001", "patron#6006/guardian#5005"}
	if got := f.store.deleted["patrons"]; !sameSet(got, want) {
		t.Errorf("deleted %v, want %v", got, want)
	}
	if got := f.store.deleted["loans"]; !slices.Equal(got, []string{"patron#1001/resv#i1"}) {
		t.Errorf("deleted loans %v, want the child's reservation", got)
	}
	if !sameSet(f.store.redated, []string{"patron#2002/patron", "patron#6006/patron"}) {
		t.Errorf("re-dated %v, want the unresolved patrons", f.store.redated)
	}
	var receipt *Receipt
	for i, r := range f.ledger.receipts {
		if r.Rule == "patron-unresolved" && r.RunID == rep.RunID {
			receipt = &f.ledger.receipts[i]
		}
	}
	if receipt == nil || receipt.Kept != 2 || ReceiptOf(receipt.item("RETENTION#RECEIPT#library")).Kept != 2 {
		t.Errorf("the receipt counts the kept patron: %+v", receipt)
	}
	// A year on they are looked at again, and kept again, with the one
	// whose 3 years (from its last use in 2027) ended meanwhile.
	f.now = time.Date(2031, 1, 1, 3, 0, 0, 0, time.UTC)
	rep, err = f.sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, rep, "patron-unresolved"); got != (Count{Kept: 3}) {
		t.Errorf("a year on, patron-unresolved: %+v, want 3 kept", got)
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
