package recordstore_test

import (
	"context"
	"slices"
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

// TestRelatedAndRedateOverTheLibrarysTables: what goes with a patron is
// found from its partition, its subject key and the links naming it (the
// mirror in the other end's partition), nothing else; a kept item is
// re-dated only while it is as the sweep saw it.
func TestRelatedAndRedateOverTheLibrarysTables(t *testing.T) {
	ctx := context.Background()
	stack := localtest.Stack(t, "rel")
	db := stack.Clients().DynamoDB
	cat := localtest.Catalogue(t, stack, "library")
	store := recordstore.NewStore(db, cat)
	used := "2026-03-04T10:00:00Z"
	put := func(kind, state string, attrs map[string]string) {
		item := map[string]types.AttributeValue{}
		for k, v := range attrs {
			item[k] = S(v)
		}
		tw, err := cat.Put(kind, state, item)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{tw}}); err != nil {
			t.Fatal(err)
		}
	}
	patron := func(n, state string) {
		put("patron", state, map[string]string{"pk": "patron#" + n, "sk": "patron", "subjectKey": "s" + n, "lastUsedAt": used})
	}
	link := func(child, guardian string) {
		for _, side := range [][3]string{{"patron#" + child, "guardian#" + guardian, "s" + child}, {"patron#" + guardian, "dependant#" + child, "s" + guardian}} {
			put("guardian-link", "minor", map[string]string{"pk": side[0], "sk": side[1], "subjectKey": side[2], "patronKey": "s" + child, "responsibleKey": "s" + guardian, "birthDate": "2020-01-02"})
		}
	}
	patron("1", "active")
	patron("2", "unresolved")
	patron("3", "active")
	link("1", "2")
	link("3", "2")
	put("preregistration", "pending", map[string]string{"pk": "prereg#R", "sk": "prereg", "subjectKey": "s1", "registeredAt": used})
	put("loan", "reserved", map[string]string{"pk": "patron#1", "sk": "resv#i1", "subjectKey": "s1"})
	put("loan", "open", map[string]string{"pk": "patron#3", "sk": "loan#i2", "subjectKey": "s3"})
	ids := func(ks []recordstore.Key) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.PK+"/"+k.SK)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name, pk     string
		table        string
		kinds, links []string
		want         []string
	}{
		{"the child's links both ways", "patron#1", "patrons", []string{"guardian-link"}, []string{"patronKey", "responsibleKey"}, []string{"patron#1/guardian#2", "patron#2/dependant#1"}},
		{"the guardian's links to both children", "patron#2", "patrons", []string{"guardian-link"}, []string{"patronKey", "responsibleKey"}, []string{"patron#1/guardian#2", "patron#2/dependant#1", "patron#2/dependant#3", "patron#3/guardian#2"}},
		{"without links, only its own partition and subject key", "patron#1", "patrons", []string{"guardian-link"}, nil, []string{"patron#1/guardian#2"}},
		{"its reservation, not another's loan", "patron#1", "loans", []string{"loan"}, nil, []string{"patron#1/resv#i1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.Related(ctx, "patrons", recordstore.Key{PK: tc.pk, SK: "patron"}, tc.table, tc.kinds, tc.links)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("related %v, want %v", ids(got), tc.want)
			}
		})
	}

	// Re-dated while as seen; not once stamped anew.
	get := func(pk string) map[string]types.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cat.Table("patrons")), Key: dynamo.Key(pk, "patron"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	exp := func(it map[string]types.AttributeValue) int64 {
		n, _ := strconv.ParseInt(it["expiresAt"].(*types.AttributeValueMemberN).Value, 10, 64)
		return n
	}
	it := get("patron#2")
	if it["purgeAt"] != nil {
		t.Fatalf("an unresolved patron has a TTL backstop: %v", it["purgeAt"])
	}
	was := exp(it)
	next := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	k := recordstore.Key{PK: "patron#2", SK: "patron", Rule: "patron-unresolved"}
	if ok, err := store.Redate(ctx, "patrons", k, was, next); err != nil || !ok {
		t.Fatalf("redate: %v %v", ok, err)
	}
	if it := get("patron#2"); exp(it) != next.Unix() || it["expiryBucket"].(*types.AttributeValueMemberS).Value != dynamo.Bucket(next, dynamo.Shard("patron#2")) || it["purgeAt"] != nil {
		t.Errorf("re-dated item %v", it)
	}
	if ok, err := store.Redate(ctx, "patrons", k, was, next.AddDate(1, 0, 0)); err != nil || ok {
		t.Errorf("a second redate from the old expiry moved it: %v %v", ok, err)
	}
	// A restriction lifted puts it back on the index, still with no TTL
	// backstop; an inactive patron's comes back.
	for pk, backstop := range map[string]bool{"patron#2": false, "patron#3": true} {
		if err := store.Restrict(ctx, "patrons", recordstore.Key{PK: pk, SK: "patron"}, next, "rtest"); err != nil {
			t.Fatal(err)
		}
		if err := store.Lift(ctx, "patrons", recordstore.Key{PK: pk, SK: "patron"}, next); err != nil {
			t.Fatal(err)
		}
		if it := get(pk); (it["purgeAt"] != nil) != backstop || it["expiresAt"] == nil {
			t.Errorf("%s lifted: purgeAt %v, want a backstop %v", pk, it["purgeAt"], backstop)
		}
	}
}
