package recordstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/recordstore"
)

// localStore is the generic operations over the tables template.yaml
// creates, in DynamoDB Local (the suite's emulators, or its own when run alone).
func localStore(t *testing.T) (*recordstore.Store, *dynamodb.Client) {
	t.Helper()
	stack := localtest.Stack(t, "rec")
	db := stack.Clients().DynamoDB
	return recordstore.NewStore(db, localtest.Catalogue(t, stack, "museum")), db
}

func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func TestStoreOverTheTemplatesTables(t *testing.T) {
	ctx := context.Background()
	store, db := localStore(t)
	cat := store.Catalogue()
	bookings := cat.Table("bookings")

	// Sixty bookings of one person, on one day, with retention from the rule.
	day := "2020-01-15"
	due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC) // 6 years after the date
	var keys []recordstore.Key
	for i := range 60 {
		pk := fmt.Sprintf("BOOKING#T%03d", i)
		tw, err := cat.Put("booking", "any", map[string]types.AttributeValue{
			"pk": S(pk), "sk": S("BOOKING"), "subjectKey": S("subject-a"), "date": S(day),
			"firstName": S("Maija"), "notes": S("lisätieto"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{tw}}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, recordstore.Key{PK: pk, SK: "BOOKING"})
	}

	t.Run("by subject", func(t *testing.T) {
		got, err := store.BySubject(ctx, "bookings", "subject-a")
		if err != nil || len(got) != 60 {
			t.Fatalf("want 60 of the subject's items, got %d (%v)", len(got), err)
		}
		if none, err := store.BySubject(ctx, "bookings", "subject-b"); err != nil || len(none) != 0 {
			t.Fatalf("another subject: %d (%v)", len(none), err)
		}
	})

	// One is restricted: still listed as due, marked, so the sweep counts it skipped.
	if err := store.Restrict(ctx, "bookings", keys[0], due, "test"); err != nil {
		t.Fatal(err)
	}
	item := func(k recordstore.Key) map[string]types.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(bookings), Key: dynamo.Key(k.PK, k.SK)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if it := item(keys[0]); it["restrictedAt"] == nil || it["purgeAt"] != nil {
		t.Fatalf("restricted: marked and out of TTL's reach: %v", it)
	}

	t.Run("due, page by page, per bucket", func(t *testing.T) {
		var found []recordstore.Key
		for shard := range dynamo.Shards {
			var start map[string]types.AttributeValue
			for {
				page, err := store.Due(ctx, "bookings", dynamo.Bucket(due, shard), 0, due.Unix(), start, 7)
				if err != nil {
					t.Fatal(err)
				}
				found = append(found, page.Items...)
				if start = page.Next; start == nil {
					break
				}
			}
		}
		if len(found) != 60 {
			t.Fatalf("want 60 due, got %d", len(found))
		}
		restricted := 0
		for _, k := range found {
			if k.Kind != "booking" || k.Rule != "booking-accounting" || k.ExpiresAt != due.Unix() {
				t.Fatalf("the index gives kind, rule and expiry: %+v", k)
			}
			if k.Restricted {
				restricted++
			}
		}
		if restricted != 1 {
			t.Errorf("want 1 restricted, got %d", restricted)
		}
		// Not yet due a second before, nor again after the cursor.
		for _, q := range [][2]int64{{0, due.Unix() - 1}, {due.Unix(), due.Unix() + 86400}} {
			page, err := store.Due(ctx, "bookings", dynamo.Bucket(due, dynamo.Shard(keys[1].PK)), q[0], q[1], nil, 0)
			if err != nil || len(page.Items) != 0 {
				t.Errorf("window %v: %d items (%v)", q, len(page.Items), err)
			}
		}
	})

	t.Run("anonymise", func(t *testing.T) {
		changed, err := store.Anonymise(ctx, "bookings", keys[1], []string{"firstName", "notes"})
		if err != nil || !changed {
			t.Fatalf("anonymise: %v %v", changed, err)
		}
		if it := item(keys[1]); it["firstName"] != nil || it["notes"] != nil || it["date"] == nil {
			t.Errorf("after anonymising: %v", it)
		} else if it["expiresAt"] != nil || it["expiryBucket"] != nil || it["purgeAt"] != nil || it["expiryRule"] != nil || it["kind"] == nil {
			t.Errorf("an anonymised item leaves the expiry index and TTL: %v", it)
		} else if it["subjectKey"] != nil {
			t.Errorf("an anonymised item is linked to no one: %v", it)
		}
		if changed, err := store.Anonymise(ctx, "bookings", keys[0], []string{"firstName"}); err != nil || changed {
			t.Errorf("a restricted item is not anonymised: %v %v", changed, err)
		}
		if _, err := store.Anonymise(ctx, "bookings", keys[1], []string{"subjectKey"}); err == nil {
			t.Error("anonymising must not remove the envelope")
		}
	})

	t.Run("lift", func(t *testing.T) {
		// Lifted ten days after its expiry, when the sweep's cursor has
		// passed that day: it is due again now, in today's bucket.
		now := due.Add(10 * 24 * time.Hour)
		if err := store.Lift(ctx, "bookings", recordstore.Key{PK: keys[0].PK, SK: keys[0].SK}, now); err != nil {
			t.Fatal(err)
		}
		it := item(keys[0])
		want := dynamo.Expires(now, keys[0].PK)
		if it["restrictedAt"] != nil || !num(it["purgeAt"], want.PurgeAt) || !num(it["expiresAt"], want.ExpiresAt) ||
			it["expiryBucket"].(*types.AttributeValueMemberS).Value != want.ExpiryBucket {
			t.Errorf("lifted: unmarked, due now in today's bucket, TTL backstop back (%+v): %v", want, it)
		}
		page, err := store.Due(ctx, "bookings", want.ExpiryBucket, now.Unix()-1, now.Unix(), nil, 0)
		if err != nil || len(page.Items) != 1 || page.Items[0].PK != keys[0].PK || page.Items[0].Restricted {
			t.Errorf("the sweep sees the lifted item again: %+v %v", page.Items, err)
		}
		// An item lifted before its expiry keeps it.
		if err := store.Restrict(ctx, "bookings", keys[2], due, "test"); err != nil {
			t.Fatal(err)
		}
		if err := store.Lift(ctx, "bookings", keys[2], due.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if it := item(keys[2]); !num(it["expiresAt"], due.Unix()) || !num(it["purgeAt"], due.Add(dynamo.Backstop).Unix()) {
			t.Errorf("lifted before its expiry: %v", it)
		}
	})

	t.Run("delete in batches of 25", func(t *testing.T) {
		calls, err := store.Delete(ctx, "bookings", keys)
		if err != nil {
			t.Fatal(err)
		}
		if calls != 3 {
			t.Errorf("60 deletions in %d BatchWriteItem calls, want 3", calls)
		}
		left, err := store.BySubject(ctx, "bookings", "subject-a")
		if err != nil || len(left) != 0 {
			t.Errorf("left after delete: %d (%v)", len(left), err)
		}
	})

	if _, err := store.BySubject(ctx, "patrons", "x"); err == nil {
		t.Error("an undeclared table")
	}
}

func num(v types.AttributeValue, want int64) bool {
	n, ok := v.(*types.AttributeValueMemberN)
	return ok && n.Value == strconv.FormatInt(want, 10)
}
