package mailbudget

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

func budget(t *testing.T) *Budget {
	t.Helper()
	b, err := New(catalogue(), "bookings")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func s(av types.AttributeValue) string {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return fmt.Sprint(av)
}

func catalogue() *record.Catalogue {
	return record.MustCatalogue(register.MustLoad("museum"), map[string]string{"bookings": "bookings-table"})
}

func TestDeclared(t *testing.T) {
	for _, id := range []string{"bookings", "newsletter-subscribe"} {
		if _, err := New(catalogue(), id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := New(record.MustCatalogue(register.MustLoad("museum"), nil), "bookings"); err == nil {
		t.Error("a budget without its table must be refused")
	}
	if _, err := New(catalogue(), "nowhere"); err == nil {
		t.Error("an undeclared budget must be refused")
	}
	if b := budget(t); b.Count() != 5 || b.Window() != time.Hour {
		t.Errorf("POST /bookings: %d per %s, want the declared 5 per 1h", b.Count(), b.Window())
	}
}

func TestWindows(t *testing.T) {
	b := budget(t)
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	cases := []struct {
		name    string
		a, b    time.Time
		subject [2]string
		same    bool
	}{
		{"same hour, same address", at("2026-12-01T10:00:00Z"), at("2026-12-01T10:59:59Z"), [2]string{"k1", "k1"}, true},
		{"next hour", at("2026-12-01T10:59:59Z"), at("2026-12-01T11:00:00Z"), [2]string{"k1", "k1"}, false},
		{"other address", at("2026-12-01T10:00:00Z"), at("2026-12-01T10:00:00Z"), [2]string{"k1", "k2"}, false},
		{"Helsinki offset does not matter", at("2026-12-01T12:30:00+02:00"), at("2026-12-01T10:10:00Z"), [2]string{"k1", "k1"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ka, kb := b.Key(c.subject[0], c.a), b.Key(c.subject[1], c.b)
			same := s(ka["pk"]) == s(kb["pk"]) && s(ka["sk"]) == s(kb["sk"])
			if same != c.same {
				t.Fatalf("%v and %v: same counter %v, want %v", ka, kb, same, c.same)
			}
		})
	}
}

func TestItems(t *testing.T) {
	b := budget(t)
	now := time.Date(2026, 12, 1, 10, 42, 7, 0, time.UTC)
	cases := []struct {
		name string
		item types.TransactWriteItem
		cond string
	}{
		{"spend", b.Spend("sk1", now), "attribute_not_exists(mails) OR mails < :max"},
		{"first past the budget", b.Overspend("sk1", now, true), "mails = :max"},
		{"later past the budget", b.Overspend("sk1", now, false), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := c.item.Update
			if u == nil || aws.ToString(u.TableName) != "bookings-table" {
				t.Fatalf("want an update of the table: %+v", c.item)
			}
			if got := aws.ToString(u.ConditionExpression); got != c.cond {
				t.Errorf("condition %q, want %q", got, c.cond)
			}
			if c.cond != "" && s(u.ExpressionAttributeValues[":max"]) != "5" {
				t.Errorf(":max = %v", u.ExpressionAttributeValues[":max"])
			}
			if u.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
				t.Error("a refusal must return the count")
			}
			v := u.ExpressionAttributeValues
			// The envelope every record carries: kind, subject key, retention from the declaration (1d after the window's start).
			if s(v[":kind"]) != Kind || s(v[":sk"]) != "sk1" {
				t.Errorf("kind %v, subject key %v", v[":kind"], v[":sk"])
			}
			if want := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).Unix(); s(v[":recordExpiresAt"]) != fmt.Sprint(want) {
				t.Errorf("expiresAt %v, want %d", v[":recordExpiresAt"], want)
			}
			if s(v[":recordExpiryBucket"])[:10] != "2026-12-02" || s(v[":recordPurgeAt"]) == "" {
				t.Errorf("expiry bucket %v, purgeAt %v", v[":recordExpiryBucket"], v[":recordPurgeAt"])
			}
			if s(u.Key["sk"]) != "2026-12-01T10:00:00Z" {
				t.Errorf("window key %v", u.Key["sk"])
			}
		})
	}
}

func cancelled(counted string, codes ...string) error {
	tce := &types.TransactionCanceledException{}
	for _, c := range codes {
		r := types.CancellationReason{Code: aws.String(c)}
		if c == "ConditionalCheckFailed" && counted != "" {
			r.Item = map[string]types.AttributeValue{"mails": &types.AttributeValueMemberN{Value: counted}}
		}
		tce.CancellationReasons = append(tce.CancellationReasons, r)
	}
	return fmt.Errorf("store booking: %w", tce)
}

func TestRefused(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		at      int
		refused bool
		counted int
	}{
		{"budget spent", cancelled("5", "None", "None", "ConditionalCheckFailed", "None", "None"), 2, true, 5},
		{"budget spent, no hetu", cancelled("7", "None", "ConditionalCheckFailed", "None", "None"), 1, true, 7},
		{"the budget is elsewhere", cancelled("7", "None", "ConditionalCheckFailed", "None", "None"), 2, false, 0},
		{"another item refused", cancelled("", "ConditionalCheckFailed", "None", "None", "None", "None"), 2, false, 0},
		{"conflict on the counter", cancelled("", "None", "None", "TransactionConflict", "None", "None"), 2, false, 0},
		{"no transaction error", errors.New("network"), 2, false, 0},
		{"success", nil, 2, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused, counted := Refused(c.err, c.at)
			if refused != c.refused || counted != c.counted {
				t.Fatalf("Refused = %v, %d; want %v, %d", refused, counted, c.refused, c.counted)
			}
		})
	}
}
