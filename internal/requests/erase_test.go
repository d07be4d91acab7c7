package requests_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/requests"
)

// held is one of a subject's records and what erasure must leave of it.
type held struct {
	name, kind, state, table string
	pk, sk                   string
	attrs                    map[string]string
	// After erasure: kept (else deleted), its rule, what it is restricted
	// for, attributes gone and attributes set to the time of erasure.
	kept    bool
	rule    string
	reason  string
	gone    []string
	stamped []string
	// skipped: the request being processed, left as it is.
	skipped bool
}

// subjectRecords are a subject's records of every kind, as the capabilities
// write them; p keeps each subject's keys apart.
func subjectRecords(p string) []held {
	return []held{
		{name: "pending subscription", kind: "subscription", state: "pending", table: "subscribers", pk: "SUB#" + p, sk: "LIST#news",
			attrs: map[string]string{"list": "news", "email": "maija@example.fi", "name": "Maija", "status": "pending", "signupAt": "2026-11-28T10:00:00Z"}},
		{name: "active subscription", kind: "subscription", state: "active", table: "subscribers", pk: "SUB#" + p, sk: "LIST#openings",
			attrs: map[string]string{"list": "openings", "email": "maija@example.fi", "status": "active", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z"}},
		{name: "unconfirmed consent", kind: "consent", state: "unconfirmed", table: "subscribers", pk: "SUB#" + p, sk: "CONSENT#news#s2",
			attrs: map[string]string{"list": "news", "signupId": "s2", "signupAt": "2026-11-28T10:00:00Z", "method": "double-opt-in"}},
		{name: "confirmed consent", kind: "consent", state: "confirmed", table: "subscribers", pk: "SUB#" + p, sk: "CONSENT#openings#s1",
			attrs: map[string]string{"list": "openings", "signupId": "s1", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z", "method": "double-opt-in"},
			kept:  true, rule: "consent-evidence", reason: "consent-evidence", stamped: []string{"withdrawnAt"}},
		{name: "signup handed over", kind: "signup-request", state: "any", table: "subscribers", pk: "SIGNUP#" + p, sk: "SIGNUP",
			attrs: map[string]string{"email": "maija@example.fi", "createdAt": "2026-11-30T10:00:00Z"}},
		{name: "accepted booking", kind: "booking", state: "any", table: "bookings", pk: "BOOKING#A" + p, sk: "BOOKING",
			attrs: map[string]string{"status": "accepted", "date": "2026-09-01", "firstName": "Maija", "email": "maija@example.fi", "phone": "0401234567", "notes": "lisätieto", "remindOn": "2026-08-30"},
			kept:  true, rule: "booking-accounting", reason: "accounting", gone: []string{"email", "phone", "notes", "remindOn"}},
		{name: "invoiced identity code", kind: "booking-hetu", state: "invoiced", table: "bookings", pk: "BOOKING#A" + p, sk: "HETU",
			attrs: map[string]string{"sealed": "c2VhbGVk", "createdAt": "2026-08-01T10:00:00Z", "invoicedAt": "2026-09-02T10:00:00Z"},
			kept:  true, rule: "hetu-invoiced", reason: "accounting"},
		{name: "declined booking", kind: "booking", state: "any", table: "bookings", pk: "BOOKING#D" + p, sk: "BOOKING",
			attrs: map[string]string{"status": "declined", "date": "2026-12-20", "email": "maija@example.fi"}},
		{name: "open identity code", kind: "booking-hetu", state: "open", table: "bookings", pk: "BOOKING#D" + p, sk: "HETU",
			attrs: map[string]string{"sealed": "c2VhbGVk", "createdAt": "2026-11-20T10:00:00Z"}},
		{name: "mail budget", kind: "mail-budget", state: "any", table: "bookings", pk: "BUDGET#" + p, sk: "BUDGET",
			attrs: map[string]string{"windowStart": "2026-11-30T10:00:00Z"}},
		{name: "mail job", kind: "mail", state: "any", table: "mail", pk: "MAIL#" + p, sk: "MAIL",
			attrs: map[string]string{"to": "maija@example.fi", "template": "booking-accepted", "status": "sent", "createdAt": "2026-11-30T10:00:00Z"}},
		{name: "feedback contact", kind: "feedback-contact", state: "any", table: "feedback", pk: "CONTACT#" + p, sk: "CONTACT",
			attrs: map[string]string{"name": "Maija", "email": "maija@example.fi", "createdAt": "2026-10-01T10:00:00Z"}},
		{name: "older request", kind: "request", state: "resolved", table: "requests", pk: "REQUEST#old" + p, sk: "REQUEST",
			attrs: map[string]string{"type": "access", "email": "maija@example.fi", "details": "vapaa teksti", "status": "resolved", "receivedAt": "2026-03-01T10:00:00Z", "resolvedAt": "2026-03-05T10:00:00Z"},
			kept:  true, rule: "request-answered", reason: "request-evidence", gone: []string{"email", "details"}},
		{name: "this request", kind: "request", state: "open", table: "requests", pk: "REQUEST#this" + p, sk: "REQUEST",
			attrs:   map[string]string{"type": "erasure", "email": "maija@example.fi", "details": "poistakaa", "status": "open", "receivedAt": "2026-12-01T09:00:00Z"},
			skipped: true},
	}
}

func subjectOf(p string) string { return "subject-" + p }

// skipThis protects the request being processed.
func skipThis(p string) func(string, recordstore.Key) bool {
	return func(table string, k recordstore.Key) bool { return table == "requests" && k.PK == "REQUEST#this"+p }
}

// writeRecords stores a subject's records through the seam's Put.
func writeRecords(t *testing.T, cat *record.Catalogue, db *dynamodb.Client, p string, recs []held) {
	t.Helper()
	writeRecordsOf(t, cat, db, subjectOf(p), recs)
}

// writeRecordsOf stores records of subject through the seam's Put.
func writeRecordsOf(t *testing.T, cat *record.Catalogue, db *dynamodb.Client, subject string, recs []held) {
	t.Helper()
	for _, r := range recs {
		item := map[string]types.AttributeValue{"pk": sAV(r.pk), "sk": sAV(r.sk), "subjectKey": sAV(subject)}
		for k, v := range r.attrs {
			item[k] = sAV(v)
		}
		tw, err := cat.Put(r.kind, r.state, item)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if _, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{tw}}); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
	}
}

// fakeExports is the exports bucket: the keys deleted, and failures to come.
type fakeExports struct {
	deleted []string
	fail    int
}

func (f *fakeExports) Delete(_ context.Context, keys []string) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("s3: unavailable")
	}
	f.deleted = append(f.deleted, keys...)
	return nil
}

var (
	eraseNow   = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	wantDelete = requests.Counts{"subscription": 2, "consent": 1, "signup-request": 1, "booking": 1, "booking-hetu": 1, "mail-budget": 1, "mail": 1, "feedback-contact": 1}
	wantKeep   = requests.Counts{"consent": 1, "booking": 1, "booking-hetu": 1, "request": 1}
	wantExcept = []string{"accounting", "consent-evidence", "request-evidence"}
)

func TestEraseKeepsOnlyTheDeclaredExceptions(t *testing.T) {
	ctx := context.Background()
	cat, db := eraseTables(t)
	st := recordstore.NewStore(db, cat)
	me, other := subjectRecords("a"), subjectRecords("b")
	writeRecords(t, cat, db, "a", me)
	writeRecords(t, cat, db, "b", other)
	othersBefore := map[string]map[string]types.AttributeValue{}
	for _, r := range other {
		othersBefore[r.name] = getItem(t, cat, db, r.table, r.pk, r.sk)
	}
	before := map[string]map[string]types.AttributeValue{}
	for _, r := range me {
		before[r.name] = getItem(t, cat, db, r.table, r.pk, r.sk)
	}
	exports := &fakeExports{}
	e := requests.NewEraser(st, exports)

	inv, err := e.Inventory(ctx, subjectOf("a"), skipThis("a"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inv.Delete, wantDelete) || !reflect.DeepEqual(inv.Keep, wantKeep) || !slices.Equal(inv.Exceptions, wantExcept) {
		t.Fatalf("inventory: delete %v keep %v exceptions %v", inv.Delete, inv.Keep, inv.Exceptions)
	}
	done, err := e.Erase(ctx, subjectOf("a"), "rthis", eraseNow, skipThis("a"), []string{"exports/rold/copy.json", "exports/rold/copy.html"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(done.Deleted, wantDelete) || !reflect.DeepEqual(done.Kept, wantKeep) || !slices.Equal(done.Exceptions, wantExcept) || done.Exports != 2 {
		t.Errorf("erased: %+v", done)
	}
	if !slices.Equal(exports.deleted, []string{"exports/rold/copy.json", "exports/rold/copy.html"}) {
		t.Errorf("access copies deleted: %v", exports.deleted)
	}

	stamp := eraseNow.Format(time.RFC3339)
	for _, r := range me {
		t.Run(r.name, func(t *testing.T) {
			it := getItem(t, cat, db, r.table, r.pk, r.sk)
			switch {
			case r.skipped:
				if !reflect.DeepEqual(it, before[r.name]) {
					t.Errorf("the request being processed is left as it was: %v", it)
				}
				return
			case !r.kept:
				if it != nil {
					t.Errorf("not deleted: kind %s", sOf(it["kind"]))
				}
				return
			case it == nil:
				t.Fatal("deleted, but its kind is kept under an exception")
			}
			if sOf(it["restrictedAt"]) != stamp || sOf(it["restrictedFor"]) != r.reason {
				t.Errorf("restricted at %q for %q, want %s for %s", sOf(it["restrictedAt"]), sOf(it["restrictedFor"]), stamp, r.reason)
			}
			if it["purgeAt"] != nil {
				t.Error("a kept record is out of TTL's reach")
			}
			if sOf(it["subjectKey"]) != subjectOf("a") || sOf(it["expiryRule"]) != r.rule || it["expiresAt"] == nil {
				t.Errorf("kept for its person, in rule %s (want %s), on the expiry index: %v", sOf(it["expiryRule"]), r.rule, it["expiresAt"])
			}
			for _, a := range r.gone {
				if it[a] != nil {
					t.Errorf("%s not stripped", a)
				}
			}
			for _, a := range r.stamped {
				if sOf(it[a]) != stamp {
					t.Errorf("%s = %q, want the time of erasure", a, sOf(it[a]))
				}
			}
			for a, v := range before[r.name] { // the minimum kept is otherwise as it was
				if slices.Contains(r.gone, a) || slices.Contains([]string{"expiresAt", "expiryBucket", "purgeAt", "expiryRule"}, a) {
					continue
				}
				if !reflect.DeepEqual(it[a], v) {
					t.Errorf("%s changed", a)
				}
			}
		})
	}
	t.Run("consent evidence counts 3 years from the erasure", func(t *testing.T) {
		it := getItem(t, cat, db, "subscribers", "SUB#a", "CONSENT#openings#s1")
		if sOf(it["withdrawalChannel"]) != "erasure-request" {
			t.Errorf("the withdrawal channel of a consent ended by erasure: %q", sOf(it["withdrawalChannel"]))
		}
		want := dynamo.Expires(eraseNow.AddDate(3, 0, 0), "SUB#a")
		if n, _ := it["expiresAt"].(*types.AttributeValueMemberN); n == nil || n.Value != fmt.Sprint(want.ExpiresAt) || sOf(it["expiryBucket"]) != want.ExpiryBucket {
			t.Errorf("expiry %v in %s, want %+v", it["expiresAt"], sOf(it["expiryBucket"]), want)
		}
	})
	t.Run("a bySubject Query of every table finds only what is kept", func(t *testing.T) {
		n := 0
		for _, table := range record.Tables(cat.Register()) {
			keys, err := st.BySubject(ctx, table, subjectOf("a"))
			if err != nil {
				t.Fatal(err)
			}
			held, err := st.Held(ctx, table, keys)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range held {
				if !h.Restricted && h.PK != "REQUEST#thisa" {
					t.Errorf("%s: an unrestricted %s left", table, h.Kind)
				}
				n++
			}
		}
		if n != 5 {
			t.Errorf("%d records left, want the 4 kept and the request itself", n)
		}
	})
	t.Run("another subject's records are untouched", func(t *testing.T) {
		for _, r := range other {
			if it := getItem(t, cat, db, r.table, r.pk, r.sk); !reflect.DeepEqual(it, othersBefore[r.name]) {
				t.Errorf("%s changed", r.name)
			}
		}
	})
	t.Run("erasing again changes nothing", func(t *testing.T) {
		after := snapshot(t, cat, db, me)
		again, err := e.Erase(ctx, subjectOf("a"), "rthis", eraseNow.Add(time.Hour), skipThis("a"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Deleted) != 0 || !reflect.DeepEqual(again.Kept, wantKeep) {
			t.Errorf("again: %+v", again)
		}
		if now := snapshot(t, cat, db, me); !reflect.DeepEqual(now, after) {
			t.Errorf("a second erasure changed the kept records:\n%v\n%v", now, after)
		}
	})
	t.Run("access copies but no bucket", func(t *testing.T) {
		if _, err := requests.NewEraser(st, nil).Erase(ctx, subjectOf("a"), "rthis", eraseNow, skipThis("a"), []string{"x"}); err == nil {
			t.Error("want an error")
		}
	})
}

// failingDB is DynamoDB failing its nth call (counting from 1): before the
// call reaches the table, or after (the write done, its answer lost).
type failingDB struct {
	*dynamodb.Client
	n, calls int
	after    bool
}

var errInjected = errors.New("injected failure")

func (f *failingDB) fail(do func() error) error {
	f.calls++
	if f.calls != f.n {
		return do()
	}
	if f.after {
		_ = do()
	}
	return errInjected
}

func (f *failingDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (out *dynamodb.QueryOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.Query(ctx, in, opts...); return err })
	return out, err
}

func (f *failingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (out *dynamodb.BatchWriteItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.BatchWriteItem(ctx, in, opts...); return err })
	return out, err
}

func (f *failingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (out *dynamodb.UpdateItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.UpdateItem(ctx, in, opts...); return err })
	return out, err
}

func (f *failingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (out *dynamodb.BatchGetItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.BatchGetItem(ctx, in, opts...); return err })
	return out, err
}

func TestEraseFinishesAfterAFailureHalfWay(t *testing.T) {
	ctx := context.Background()
	cat, db := eraseTables(t)

	// The erasure without failures: its calls, and the state it leaves.
	writeRecords(t, cat, db, "ref", subjectRecords("ref"))
	counting := &failingDB{Client: db}
	if _, err := requests.NewEraser(recordstore.NewStore(counting, cat), &fakeExports{}).Erase(ctx, subjectOf("ref"), "rthis", eraseNow, skipThis("ref"), []string{"k"}); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, cat, db, subjectRecords("ref"))
	calls := counting.calls
	if calls < 10 {
		t.Fatalf("the erasure made %d calls", calls)
	}

	type fault struct {
		name    string
		n       int
		after   bool
		exports int
	}
	var faults []fault
	for n := 1; n <= calls; n++ {
		faults = append(faults, fault{name: fmt.Sprintf("call %d fails", n), n: n}, fault{name: fmt.Sprintf("call %d done, answer lost", n), n: n, after: true})
	}
	faults = append(faults, fault{name: "the exports bucket fails", exports: 1})
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			p := fmt.Sprintf("f%d", i)
			recs := subjectRecords(p)
			writeRecords(t, cat, db, p, recs)
			plain := recordstore.NewStore(db, cat)
			inv, err := requests.NewEraser(plain, nil).Inventory(ctx, subjectOf(p), skipThis(p))
			if err != nil {
				t.Fatal(err)
			}
			exports := &fakeExports{fail: f.exports}
			_, err = requests.NewEraser(recordstore.NewStore(&failingDB{Client: db, n: f.n, after: f.after}, cat), exports).
				Erase(ctx, subjectOf(p), "rthis", eraseNow, skipThis(p), []string{"k"})
			if err == nil {
				t.Fatal("the injected failure was not reported")
			}
			if strings.Contains(err.Error(), "maija") || strings.Contains(err.Error(), subjectOf(p)) {
				t.Errorf("personal data in the error: %v", err)
			}
			// The retry comes later: what the first attempt stamped stands,
			// what it did not is stamped with the retry's time.
			later := eraseNow.Add(time.Hour)
			done, err := requests.NewEraser(plain, exports).Erase(ctx, subjectOf(p), "rthis", later, skipThis(p), []string{"k"})
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			got := snapshot(t, cat, db, recs)
			for name, it := range got {
				if sOf(it["restrictedAt"]) == later.Format(time.RFC3339) {
					it["restrictedAt"] = sAV(eraseNow.Format(time.RFC3339))
				}
				if sOf(it["withdrawnAt"]) == later.Format(time.RFC3339) {
					if n, _ := it["expiresAt"].(*types.AttributeValueMemberN); n == nil || n.Value != fmt.Sprint(dynamo.Expires(later.AddDate(3, 0, 0), "SUB#"+p).ExpiresAt) {
						t.Errorf("%s: withdrawn at the retry, but expires at %v", name, it["expiresAt"])
					}
					it["withdrawnAt"], it["expiresAt"] = want[name]["withdrawnAt"], want[name]["expiresAt"]
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after the retry:\n%v\nwant\n%v", got, want)
			}
			// The receipt counts from the inventory taken before: each record once.
			if !reflect.DeepEqual(inv.Delete, wantDelete) || !reflect.DeepEqual(done.Kept, wantKeep) || !slices.Equal(done.Exceptions, wantExcept) {
				t.Errorf("inventory before %v, kept %v, exceptions %v", inv.Delete, done.Kept, done.Exceptions)
			}
			for kind, n := range done.Deleted {
				if n > inv.Delete[kind] {
					t.Errorf("the retry deleted %d %s, the inventory had %d", n, kind, inv.Delete[kind])
				}
			}
			if len(exports.deleted) == 0 {
				t.Error("the access copies were not deleted")
			}
		})
	}
}
