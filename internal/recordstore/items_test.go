package recordstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/recordstore"
)

// spyDB passes calls to DynamoDB Local and checks every BatchGetItem: at
// most 100 keys, strongly consistent. It can pass only perCall keys of a
// call on and answer the rest unprocessed (as a throttled table does), and
// run beforeGet once, before the first BatchGetItem.
type spyDB struct {
	recordstore.DB
	t         *testing.T
	perCall   int
	beforeGet func()
	gets      int
}

func (d *spyDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	d.gets++
	if d.beforeGet != nil {
		d.beforeGet()
		d.beforeGet = nil
	}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 {
			d.t.Errorf("BatchGetItem of %d keys", len(ka.Keys))
		}
		if !aws.ToBool(ka.ConsistentRead) {
			d.t.Error("BatchGetItem not strongly consistent")
		}
		if d.perCall > 0 && len(ka.Keys) > d.perCall {
			out, err := d.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: ka.Keys[:d.perCall], ConsistentRead: aws.Bool(true)},
			}}, opts...)
			if err == nil {
				// Unprocessed keys as a bare list: the store must ask for them consistently again.
				out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: {Keys: ka.Keys[d.perCall:]}}
			}
			return out, err
		}
	}
	return d.DB.BatchGetItem(ctx, in, opts...)
}

func putBookings(t *testing.T, db *dynamodb.Client, table, subject string, n int) []recordstore.Key {
	t.Helper()
	var keys []recordstore.Key
	var reqs []types.WriteRequest
	flush := func() {
		if len(reqs) == 0 {
			return
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				t.Fatal(err)
			}
			pending = out.UnprocessedItems
		}
		reqs = nil
	}
	for i := range n {
		k := recordstore.Key{PK: fmt.Sprintf("BOOKING#%s-%03d", subject, i), SK: "BOOKING"}
		keys = append(keys, k)
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"pk": S(k.PK), "sk": S(k.SK), "kind": S("booking"), "subjectKey": S(subject),
			"reference": S(fmt.Sprintf("REF-%03d", i)), "notes": S("lisätieto"),
		}}})
		if len(reqs) == 25 {
			flush()
		}
	}
	flush()
	return keys
}

func TestItemsBySubjectWhole(t *testing.T) {
	ctx := context.Background()
	base, db := localStore(t)
	table := base.Catalogue().Table("bookings")

	cases := []struct {
		name      string
		items     int
		perCall   int  // keys DynamoDB answers per call (0: all)
		deleteOne bool // one item is deleted between the Query and the reads
		want      int
		wantGets  int
	}{
		{name: "no items", items: 0, want: 0, wantGets: 0},
		{name: "one item", items: 1, want: 1, wantGets: 1},
		{name: "more than a hundred in three reads", items: 230, want: 230, wantGets: 3},
		{name: "an item deleted between query and get", items: 5, deleteOne: true, want: 4, wantGets: 1},
		{name: "unprocessed keys read again", items: 150, perCall: 40, want: 150, wantGets: 5}, // 100 → 40+40+20; 50 → 40+10
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			subject := fmt.Sprintf("items-subject-%d", i)
			keys := putBookings(t, db, table, subject, tc.items)
			spy := &spyDB{DB: db, t: t, perCall: tc.perCall}
			if tc.deleteOne {
				spy.beforeGet = func() {
					if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: dynamo.Key(keys[2].PK, keys[2].SK)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			store := recordstore.NewStore(spy, base.Catalogue())
			got, err := store.Items(ctx, "bookings", subject)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want || spy.gets != tc.wantGets {
				t.Fatalf("got %d items in %d BatchGetItem calls, want %d in %d", len(got), spy.gets, tc.want, tc.wantGets)
			}
			seen := map[string]bool{}
			for _, it := range got {
				pk := it["pk"].(*types.AttributeValueMemberS).Value
				if seen[pk] {
					t.Errorf("item %s twice", pk)
				}
				seen[pk] = true
				if it["reference"] == nil || it["notes"] == nil || it["kind"] == nil {
					t.Errorf("not the whole item (the index projects keys only): %v", it)
				}
			}
			if tc.deleteOne && seen[keys[2].PK] {
				t.Error("the deleted item is still returned")
			}
		})
	}

	t.Run("get by key", func(t *testing.T) {
		keys := putBookings(t, db, table, "get-subject", 1)
		store := recordstore.NewStore(&spyDB{DB: db, t: t}, base.Catalogue())
		it, err := store.Get(ctx, "bookings", keys[0].PK, keys[0].SK)
		if err != nil || it == nil || it["reference"].(*types.AttributeValueMemberS).Value != "REF-000" {
			t.Fatalf("get: %v %v", it, err)
		}
		if it, err := store.Get(ctx, "bookings", "BOOKING#none", "BOOKING"); err != nil || it != nil {
			t.Fatalf("get of no item: %v %v", it, err)
		}
		if _, err := store.Get(ctx, "patrons", "x", "y"); err == nil {
			t.Error("an undeclared table")
		}
	})

	t.Run("fetch keeps the order of the keys and reads a key once", func(t *testing.T) {
		keys := putBookings(t, db, table, "order-subject", 3)
		spy := &spyDB{DB: db, t: t}
		store := recordstore.NewStore(spy, base.Catalogue())
		ask := []recordstore.Key{keys[2], keys[0], keys[2], {PK: "BOOKING#none", SK: "BOOKING"}, keys[1]}
		got, err := store.Fetch(ctx, "bookings", ask)
		if err != nil || len(got) != 3 {
			t.Fatalf("fetch: %d items, %v", len(got), err)
		}
		for i, want := range []recordstore.Key{keys[2], keys[0], keys[1]} {
			if pk := got[i]["pk"].(*types.AttributeValueMemberS).Value; pk != want.PK {
				t.Errorf("item %d is %s, want %s", i, pk, want.PK)
			}
		}
	})
}
