package recordstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/recordstore"
)

func TestStripRestampRestrictOnceLiftFor(t *testing.T) {
	ctx := context.Background()
	store, db := localStore(t)
	cat := store.Catalogue()
	put := func(kind, state string, item map[string]types.AttributeValue) recordstore.Key {
		t.Helper()
		tw, err := cat.Put(kind, state, item)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{tw}}); err != nil {
			t.Fatal(err)
		}
		return recordstore.Key{PK: item["pk"].(*types.AttributeValueMemberS).Value, SK: item["sk"].(*types.AttributeValueMemberS).Value}
	}
	item := func(table string, k recordstore.Key) map[string]types.AttributeValue {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cat.Table(table)), Key: dynamo.Key(k.PK, k.SK), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	booking := put("booking", "any", map[string]types.AttributeValue{
		"pk": S("BOOKING#STRIP1"), "sk": S("BOOKING"), "subjectKey": S("subject-strip"), "date": S("2026-03-01"),
		"email": S("maija@example.fi"), "phone": S("0401234567"), "notes": S("lisätieto"), "status": S("accepted"),
	})
	signedUp := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	consent := put("consent", "confirmed", map[string]types.AttributeValue{
		"pk": S("SUB#STRIP1"), "sk": S("CONSENT#news"), "subjectKey": S("subject-strip"), "signupAt": S(signedUp.Format(time.RFC3339)),
	})

	t.Run("held", func(t *testing.T) {
		held, err := store.Held(ctx, "bookings", []recordstore.Key{booking, {PK: "BOOKING#NONE", SK: "BOOKING"}})
		if err != nil || len(held) != 1 {
			t.Fatalf("held: %+v %v", held, err)
		}
		if h := held[0]; h.Kind != "booking" || h.Status != "accepted" || h.Rule != "booking-accounting" || h.ExpiresAt == 0 || h.Restricted {
			t.Errorf("held: %+v", h)
		}
	})

	t.Run("strip", func(t *testing.T) {
		before := item("bookings", booking)
		for range 2 { // stripping again changes nothing
			if err := store.Strip(ctx, "bookings", booking, []string{"email", "phone", "notes"}); err != nil {
				t.Fatal(err)
			}
		}
		it := item("bookings", booking)
		if it["email"] != nil || it["phone"] != nil || it["notes"] != nil || it["status"] == nil {
			t.Errorf("stripped: %v", it)
		}
		for _, a := range []string{"subjectKey", "expiresAt", "expiryBucket", "purgeAt", "expiryRule", "kind"} {
			if it[a] == nil || !equalAV(it[a], before[a]) {
				t.Errorf("a stripped item keeps its envelope: %s %v", a, it[a])
			}
		}
		if err := store.Strip(ctx, "bookings", booking, []string{"subjectKey"}); err == nil {
			t.Error("stripping must not remove the envelope")
		}
		if err := store.Strip(ctx, "bookings", recordstore.Key{PK: "BOOKING#NONE", SK: "BOOKING"}, []string{"email"}); err != nil {
			t.Errorf("an item no longer there: %v", err)
		}
		if it := item("bookings", recordstore.Key{PK: "BOOKING#NONE", SK: "BOOKING"}); it != nil {
			t.Errorf("stripping created an item: %v", it)
		}
	})

	t.Run("restamp, then restrict once", func(t *testing.T) {
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		ch := cat.MustEnter("consent", "withdrawn", consent.PK, map[string]time.Time{"withdrawnAt": now})
		if err := store.Restamp(ctx, "subscribers", consent, ch, "withdrawnAt", now); err != nil {
			t.Fatal(err)
		}
		it := item("subscribers", consent)
		want := now.AddDate(3, 0, 0)
		if str(it["withdrawnAt"]) != now.Format(time.RFC3339) || str(it["expiryRule"]) != "consent-evidence" || it["purgeAt"] == nil {
			t.Fatalf("restamped: %v", it)
		}
		if !num(it["expiresAt"], dynamo.Expires(want, consent.PK).ExpiresAt) {
			t.Errorf("expires 3 years after withdrawal: %v", it["expiresAt"])
		}
		f, err := store.RestrictOnce(ctx, "subscribers", consent, now, "consent-evidence")
		if err != nil || !f.New || f.Kind != "consent" || f.RestrictedFor != "consent-evidence" {
			t.Fatalf("restrict once: %+v %v", f, err)
		}
		later := now.Add(time.Hour)
		f, err = store.RestrictOnce(ctx, "subscribers", consent, later, "r0000000000001")
		if err != nil || f.New || f.RestrictedFor != "consent-evidence" {
			t.Errorf("an earlier restriction stands: %+v %v", f, err)
		}
		if it := item("subscribers", consent); str(it["restrictedAt"]) != now.Format(time.RFC3339) || it["purgeAt"] != nil || it["expiresAt"] == nil {
			t.Errorf("restricted once, out of TTL's reach, on the expiry index: %v", it)
		}
		if _, err := store.RestrictOnce(ctx, "subscribers", recordstore.Key{PK: "SUB#NONE", SK: "X"}, now, "r"); !errors.Is(err, recordstore.ErrGone) {
			t.Errorf("gone: %v", err)
		}
		if err := store.Restamp(ctx, "subscribers", consent, ch, "pk", now); err == nil {
			t.Error("restamping must not set the envelope")
		}
	})

	t.Run("lift for one reason", func(t *testing.T) {
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		if err := store.Restrict(ctx, "bookings", booking, now, "r0000000000002"); err != nil {
			t.Fatal(err)
		}
		held, err := store.Held(ctx, "bookings", []recordstore.Key{booking})
		if err != nil || len(held) != 1 || held[0].RestrictedFor != "r0000000000002" {
			t.Fatalf("held: %+v %v", held, err)
		}
		// Lifted long after its expiry: due again now, TTL backstop back.
		liftAt := time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC)
		stale := held[0].Key
		stale.ExpiresAt-- // read before a change: LiftFor reads it again
		if lifted, err := store.LiftFor(ctx, "bookings", stale, liftAt, "r0000000000002"); err != nil || !lifted {
			t.Fatalf("lift: %v %v", lifted, err)
		}
		it := item("bookings", booking)
		want := dynamo.Expires(liftAt, booking.PK)
		if it["restrictedAt"] != nil || it["restrictedFor"] != nil || !num(it["expiresAt"], want.ExpiresAt) || !num(it["purgeAt"], want.PurgeAt) || str(it["expiryBucket"]) != want.ExpiryBucket {
			t.Errorf("lifted and re-dated (%+v): %v", want, it)
		}
		if lifted, err := store.LiftFor(ctx, "bookings", booking, liftAt, "r0000000000002"); err != nil || lifted {
			t.Errorf("lifting again lifts nothing: %v %v", lifted, err)
		}
		// The consent is restricted for its exception: another reason lifts nothing.
		if lifted, err := store.LiftFor(ctx, "subscribers", consent, liftAt, "r0000000000001"); err != nil || lifted {
			t.Errorf("another reason: %v %v", lifted, err)
		}
		if it := item("subscribers", consent); str(it["restrictedFor"]) != "consent-evidence" {
			t.Errorf("the exception's restriction stays: %v", it)
		}
	})
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func equalAV(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && x.Value == y.Value
	}
	return false
}
