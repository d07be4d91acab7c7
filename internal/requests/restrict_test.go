package requests_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/requests"
)

func TestRestrictThenLiftLeavesTheExceptions(t *testing.T) {
	ctx := context.Background()
	cat, db := eraseTables(t)
	st := recordstore.NewStore(db, cat)
	e := requests.NewEraser(st, &fakeExports{})

	// A person erased once (the kept records restricted under their
	// exceptions), who came back, and now asks for restriction (request
	// rrestrict, REQUEST#thisr2, which the restriction leaves alone).
	erased := subjectRecords("r")
	writeRecords(t, cat, db, "r", erased)
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if _, err := e.Erase(ctx, subjectOf("r"), "rthisr", t0, skipThis("r"), nil); err != nil {
		t.Fatal(err)
	}
	var back []held
	for _, r := range subjectRecords("r2") {
		switch r.name {
		case "active subscription", "confirmed consent", "accepted booking", "invoiced identity code", "mail job", "feedback contact", "this request":
			back = append(back, r)
		}
	}
	writeRecordsOf(t, cat, db, subjectOf("r"), back)
	other := subjectRecords("o")
	writeRecords(t, cat, db, "o", other)
	othersBefore := snapshot(t, cat, db, other)

	const reason = "rrestrict"
	t1, t2, t3 := t0.Add(24*time.Hour), t0.Add(48*time.Hour), t0.Add(72*time.Hour)
	stamp := func(t time.Time) string { return t.Format(time.RFC3339) }

	type row struct {
		rec held
		// restrictedFor and restrictedAt after Restrict, and restrictedFor after Lift.
		restricted, at, lifted string
	}
	var rows []row
	for _, r := range erased {
		switch {
		case r.kept:
			rows = append(rows, row{rec: r, restricted: r.reason, at: stamp(t0), lifted: r.reason})
		case r.skipped: // the erasure request, answered: now restricted too
			rows = append(rows, row{rec: r, restricted: reason, at: stamp(t1), lifted: ""})
		}
	}
	for _, r := range back {
		if r.skipped {
			rows = append(rows, row{rec: r})
		} else {
			rows = append(rows, row{rec: r, restricted: reason, at: stamp(t1), lifted: ""})
		}
	}
	wantRestricted := map[string]int{"consent": 2, "booking": 2, "booking-hetu": 2, "request": 2, "subscription": 1, "mail": 1, "feedback-contact": 1}
	wantLifted := map[string]int{"consent": 1, "booking": 1, "booking-hetu": 1, "request": 1, "subscription": 1, "mail": 1, "feedback-contact": 1}

	for i, now := range []time.Time{t1, t2} { // restricting again changes nothing
		got, err := e.Restrict(ctx, subjectOf("r"), reason, now, skipThis("r2"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantRestricted) {
			t.Errorf("restriction %d: %v, want %v", i+1, got, wantRestricted)
		}
	}
	for _, r := range rows {
		t.Run("restricted/"+r.rec.name+"/"+r.rec.pk, func(t *testing.T) {
			it := getItem(t, cat, db, r.rec.table, r.rec.pk, r.rec.sk)
			if sOf(it["restrictedFor"]) != r.restricted || sOf(it["restrictedAt"]) != r.at {
				t.Errorf("restricted for %q at %q, want %q at %q", sOf(it["restrictedFor"]), sOf(it["restrictedAt"]), r.restricted, r.at)
			}
			if r.restricted != "" && it["purgeAt"] != nil {
				t.Error("a restricted record is out of TTL's reach")
			}
		})
	}

	lifted, err := e.Lift(ctx, subjectOf("r"), reason, t3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lifted, wantLifted) {
		t.Errorf("lifted %v, want %v", lifted, wantLifted)
	}
	for _, r := range rows {
		t.Run("lifted/"+r.rec.name+"/"+r.rec.pk, func(t *testing.T) {
			it := getItem(t, cat, db, r.rec.table, r.rec.pk, r.rec.sk)
			if sOf(it["restrictedFor"]) != r.lifted || (r.lifted == "") != (it["restrictedAt"] == nil) {
				t.Errorf("after lifting: restricted for %q at %q, want %q", sOf(it["restrictedFor"]), sOf(it["restrictedAt"]), r.lifted)
			}
			if r.lifted != "" || it["expiresAt"] == nil {
				return
			}
			// Back where the sweep and TTL see it, its expiry kept (not yet due).
			n := it["expiresAt"].(*types.AttributeValueMemberN).Value
			var exp int64
			_, _ = fmt.Sscan(n, &exp)
			want := dynamo.Expires(time.Unix(max(exp, t3.Unix()), 0), r.rec.pk)
			if r.rec.kind == "booking-hetu" && exp != dynamo.Expires(t3, r.rec.pk).ExpiresAt {
				t.Errorf("due while restricted (3 months from invoicing), so due at the lifting: %d", exp)
			}
			if p, _ := it["purgeAt"].(*types.AttributeValueMemberN); p == nil || p.Value != fmt.Sprint(want.PurgeAt) || sOf(it["expiryBucket"]) != want.ExpiryBucket {
				t.Errorf("lifted: purgeAt %v in %s, want %+v", it["purgeAt"], sOf(it["expiryBucket"]), want)
			}
		})
	}
	if again, err := e.Lift(ctx, subjectOf("r"), reason, t3); err != nil || len(again) != 0 {
		t.Errorf("lifting again: %v %v", again, err)
	}
	if got := snapshot(t, cat, db, other); !reflect.DeepEqual(got, othersBefore) {
		t.Error("another subject's records changed")
	}
	if got, err := e.Restrict(ctx, "subject-nobody", reason, t1, nil); err != nil || len(got) != 0 {
		t.Errorf("a subject with no records: %v %v", got, err)
	}
	if _, err := e.Restrict(ctx, subjectOf("r"), "", t1, nil); err == nil {
		t.Error("a restriction needs a reason")
	}
	if _, err := e.Lift(ctx, subjectOf("r"), "", t1); err == nil {
		t.Error("lifting needs a reason")
	}
}

// The DynamoDB Local tables and the reading of records, for erase_test.go too.

// eraseTables is the museum catalogue over the tables template.yaml
// creates, in DynamoDB Local (the suite's emulators, or its own when run
// alone), as recordstore's tests get them.
func eraseTables(t *testing.T) (*record.Catalogue, *dynamodb.Client) {
	t.Helper()
	stack := localtest.Stack(t, "era")
	return localtest.Catalogue(t, stack, "museum"), stack.Clients().DynamoDB
}

func sAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func getItem(t *testing.T, cat *record.Catalogue, db *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(cat.Table(table)), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func sOf(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// snapshot is what is left of a subject's records, by name, without the
// attributes that depend on its keys (so two subjects' can be compared).
func snapshot(t *testing.T, cat *record.Catalogue, db *dynamodb.Client, recs []held) map[string]map[string]types.AttributeValue {
	t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	for _, r := range recs {
		it := getItem(t, cat, db, r.table, r.pk, r.sk)
		if it == nil {
			continue
		}
		for _, a := range []string{"pk", "subjectKey", "expiryBucket"} {
			delete(it, a)
		}
		out[r.name] = it
	}
	return out
}
