package record

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/register"
)

func museum(t *testing.T) *Catalogue {
	t.Helper()
	reg := register.MustLoad("museum")
	deployed := map[string]string{}
	for _, name := range Tables(reg) {
		deployed[name] = "test-" + name
	}
	return MustCatalogue(reg, deployed)
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(t *testing.T, item map[string]types.AttributeValue, name string) int64 {
	t.Helper()
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s is not a number: %#v", name, item[name])
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPutStampsFromTheDeclaredRule(t *testing.T) {
	c := museum(t)
	created := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	cases := []struct {
		kind, state string
		item        map[string]types.AttributeValue
		table       string
		want        time.Time // zero: kept until an event, off the index
		rule        string
	}{
		{"subscription", "pending", map[string]types.AttributeValue{"pk": s("SUB#1"), "sk": s("LIST#newsletter"), "signupAt": s(created.Format(time.RFC3339Nano))},
			"test-subscribers", created.AddDate(0, 0, 7), "subscription-unconfirmed"},
		{"subscription", "active", map[string]types.AttributeValue{"pk": s("SUB#1"), "sk": s("LIST#newsletter"), "signupAt": s(created.Format(time.RFC3339))},
			"test-subscribers", time.Time{}, ""},
		{"booking", "any", map[string]types.AttributeValue{"pk": s("BOOKING#K"), "sk": s("BOOKING"), "date": s("2026-05-20")},
			"test-bookings", time.Date(2032, 5, 20, 0, 0, 0, 0, time.UTC), "booking-accounting"},
		{"feedback-text", "any", map[string]types.AttributeValue{"pk": s("ANSWER#1"), "sk": s("TEXT"), "receivedOn": s("2026-03-04")},
			"test-feedback", time.Date(2026, 9, 4, 0, 0, 0, 0, time.UTC), "feedback-text"},
		{"audit", "any", map[string]types.AttributeValue{"pk": s("AUDIT#2026-03-04"), "sk": s("x"), "at": s(created.Format(time.RFC3339Nano))},
			"test-audit", created.AddDate(2, 0, 0), "audit-log"},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.state, func(t *testing.T) {
			// A stale expiry on the item is replaced, never kept.
			tc.item["expiresAt"] = &types.AttributeValueMemberN{Value: "1"}
			tw, err := c.Put(tc.kind, tc.state, tc.item, "attribute_not_exists(pk)")
			if err != nil {
				t.Fatal(err)
			}
			if got := *tw.Put.TableName; got != tc.table {
				t.Errorf("table %s, want %s", got, tc.table)
			}
			if got := *tw.Put.ConditionExpression; got != "attribute_not_exists(pk)" {
				t.Errorf("condition %q", got)
			}
			it := tw.Put.Item
			if k := it["kind"].(*types.AttributeValueMemberS).Value; k != tc.kind {
				t.Errorf("kind %q", k)
			}
			if tc.want.IsZero() {
				for _, a := range []string{AttrExpiresAt, AttrExpiryBucket, AttrPurgeAt, AttrExpiryRule} {
					if _, ok := it[a]; ok {
						t.Errorf("a record kept until an event carries %s", a)
					}
				}
				return
			}
			pk := it["pk"].(*types.AttributeValueMemberS).Value
			want := dynamo.Expires(tc.want, pk)
			if got := num(t, it, AttrExpiresAt); got != want.ExpiresAt {
				t.Errorf("expiresAt %v, want %v", time.Unix(got, 0).UTC(), tc.want)
			}
			if got := num(t, it, AttrPurgeAt); got != want.PurgeAt {
				t.Errorf("purgeAt %d, want %d", got, want.PurgeAt)
			}
			if got := it[AttrExpiryBucket].(*types.AttributeValueMemberS).Value; got != want.ExpiryBucket {
				t.Errorf("bucket %s, want %s", got, want.ExpiryBucket)
			}
			if got := it[AttrExpiryRule].(*types.AttributeValueMemberS).Value; got != tc.rule {
				t.Errorf("rule %s, want %s", got, tc.rule)
			}
		})
	}
}

func TestPutRefuses(t *testing.T) {
	c := museum(t)
	only := MustCatalogue(register.MustLoad("museum"), map[string]string{"mail": "m"})
	cases := []struct {
		name, kind, state string
		cat               *Catalogue
		item              map[string]types.AttributeValue
		want              string
	}{
		{"undeclared kind", "patron", "any", c, map[string]types.AttributeValue{"pk": s("x")}, "no kind"},
		{"undeclared state", "booking", "archived", c, map[string]types.AttributeValue{"pk": s("x")}, "no retention"},
		{"no after attribute", "booking", "any", c, map[string]types.AttributeValue{"pk": s("x")}, "counts from date"},
		{"after attribute not a time", "booking", "any", c, map[string]types.AttributeValue{"pk": s("x"), "date": s("soon")}, "not a time"},
		{"no partition key", "booking", "any", c, map[string]types.AttributeValue{"date": s("2026-01-01")}, "partition key"},
		{"other kind", "booking", "any", c, map[string]types.AttributeValue{"pk": s("x"), "kind": s("capacity"), "date": s("2026-01-01")}, "stamped as"},
		{"table not given", "booking", "any", only, map[string]types.AttributeValue{"pk": s("x"), "date": s("2026-01-01")}, "was not given"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cat.Put(tc.kind, tc.state, tc.item)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}

func TestEnter(t *testing.T) {
	c := museum(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ch, err := c.Enter("booking-hetu", "invoiced", "BOOKING#K", map[string]time.Time{"invoicedAt": now})
	if err != nil {
		t.Fatal(err)
	}
	expr := ch.Expression("invoicedAt = :now", "")
	if want := "SET invoicedAt = :now, expiresAt = :recordExpiresAt, expiryBucket = :recordExpiryBucket, purgeAt = :recordPurgeAt, expiryRule = :recordExpiryRule"; expr != want {
		t.Errorf("expression\n got %s\nwant %s", expr, want)
	}
	vals := ch.Values(map[string]types.AttributeValue{":now": s("x")})
	if got := num(t, vals, ":recordExpiresAt"); got != now.AddDate(0, 3, 0).Unix() {
		t.Errorf("3 months after invoicing: %v", time.Unix(got, 0).UTC())
	}
	if vals[":now"] == nil || vals[":recordExpiryRule"].(*types.AttributeValueMemberS).Value != "hetu-invoiced" {
		t.Errorf("values: %v", vals)
	}

	// Confirming a subscription keeps it until an event: off the index.
	ch, err = c.Enter("subscription", "active", "SUB#1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ch.Expression("#status = :active", "email"), "SET #status = :active REMOVE email, expiresAt, expiryBucket, purgeAt, expiryRule"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got := ch.Values(nil); len(got) != 0 {
		t.Errorf("values of a removal: %v", got)
	}

	if _, err := c.Enter("booking-hetu", "invoiced", "BOOKING#K", map[string]time.Time{"createdAt": now}); err == nil || !strings.Contains(err.Error(), "invoicedAt") {
		t.Errorf("a transition without the rule's attribute: %v", err)
	}
}

func TestTimeOf(t *testing.T) {
	cases := []struct {
		in   types.AttributeValue
		want time.Time
		ok   bool
	}{
		{s("2026-03-04T10:30:00Z"), time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC), true},
		{s("2026-03-04T12:30:00.123+02:00"), time.Date(2026, 3, 4, 10, 30, 0, 123e6, time.UTC), true},
		{s("2026-03-04"), time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), true},
		{s("2026-03"), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{&types.AttributeValueMemberN{Value: "1772620200"}, time.Unix(1772620200, 0), true},
		{s("CAP#room#2026-03-04T10:00"), time.Time{}, false},
		{&types.AttributeValueMemberN{Value: "1.5"}, time.Time{}, false},
		{&types.AttributeValueMemberBOOL{Value: true}, time.Time{}, false},
		{nil, time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := TimeOf(tc.in)
		if (err == nil) != tc.ok || tc.ok && !got.Equal(tc.want) {
			t.Errorf("TimeOf(%#v) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "CAP#") {
			t.Errorf("an error quotes the stored value: %v", err)
		}
	}
}

func TestCatalogue(t *testing.T) {
	reg := register.MustLoad("museum")
	env := map[string]string{"SUBSCRIBERS_TABLE": "s", "MAIL_TABLE": "m"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := FromEnv(reg, lookup, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Table("subscribers") != "s" || c.Table("mail") != "m" || c.Table("bookings") != "" {
		t.Errorf("catalogue: %v", c.Deployed())
	}
	if _, err := FromEnv(reg, lookup, true); err == nil || !strings.Contains(err.Error(), "BOOKINGS_TABLE") {
		t.Errorf("a sweep needs every table: %v", err)
	}
	if _, err := NewCatalogue(reg, map[string]string{"patrons": "p"}); err == nil {
		t.Error("a table the museum does not declare")
	}
	if got := Tables(reg); strings.Join(got, ",") != "audit,bookings,campaigns,events,feedback,mail,requests,subscribers" {
		t.Errorf("declared tables: %v", got)
	}
}

// A rule that deletes once a year (the libraries' "deletions are made once a
// year") stamps the first 1 January after the period as the expiry.
func TestStampHonoursTheRulesCadence(t *testing.T) {
	reg := &register.Register{ID: "test", Records: []register.RecordKind{{
		Kind: "patron", Table: "patrons",
		Retention: []register.Rule{{ID: "patron-inactive", When: "any", Keep: register.Period{Years: 3}, After: "lastUsedAt", Action: "delete", Cadence: register.Yearly}},
	}}}
	c := MustCatalogue(reg, map[string]string{"patrons": "p"})
	tw, err := c.Put("patron", "any", map[string]types.AttributeValue{"pk": s("PATRON#1"), "sk": s("PATRON"), "lastUsedAt": s("2026-05-20T12:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := num(t, tw.Put.Item, AttrExpiresAt), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix(); got != want {
		t.Errorf("expires %v, want the 1 January after three years", time.Unix(got, 0).UTC())
	}
	ch, err := c.Enter("patron", "any", "PATRON#1", map[string]time.Time{"lastUsedAt": time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if got := num(t, ch.Values(nil), ":recordExpiresAt"); got != time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("a transition: expires %v", time.Unix(got, 0).UTC())
	}
}
