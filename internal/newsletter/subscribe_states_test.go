package newsletter

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
)

// stateDB is a small DynamoDB for the subscribe path: it keeps items and
// evaluates the conditions Subscribe writes with, cancelling a transaction
// the way DynamoDB does. Every call is logged by kind, like awsprobe.
type stateDB struct {
	forbiddenDB
	items map[string]map[string]types.AttributeValue
	calls *[]string
}

func itemKey(table string, item map[string]types.AttributeValue) string {
	s := func(k string) string {
		v, _ := item[k].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	return table + "|" + s("pk") + "|" + s("sk")
}

func str(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (d *stateDB) holds(put *types.Put) bool {
	old, exists := d.items[itemKey(aws.ToString(put.TableName), put.Item)]
	switch cond := aws.ToString(put.ConditionExpression); cond {
	case "":
		return true
	case "attribute_not_exists(pk)":
		return !exists
	case "attribute_not_exists(pk) OR (#status <> :active AND (#status <> :pending OR signupAt < :resend))":
		if !exists {
			return true
		}
		v := func(k string) string { return put.ExpressionAttributeValues[k].(*types.AttributeValueMemberS).Value }
		st := str(old, "status")
		return st != v(":active") && (st != v(":pending") || str(old, "signupAt") < v(":resend"))
	default:
		d.t.Fatalf("stateDB cannot evaluate condition %q", cond)
		return false
	}
}

func (d *stateDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	*d.calls = append(*d.calls, "DynamoDB.TransactWriteItems")
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	cancelled := false
	for i, it := range in.TransactItems {
		if it.Put == nil {
			d.t.Fatalf("stateDB: only puts, got %+v", it)
		}
		reasons[i].Code = aws.String("None")
		if !d.holds(it.Put) {
			reasons[i].Code, cancelled = aws.String("ConditionalCheckFailed"), true
		}
	}
	if cancelled {
		return nil, &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
	}
	for _, it := range in.TransactItems {
		d.items[itemKey(aws.ToString(it.Put.TableName), it.Put.Item)] = it.Put.Item
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// TestSubscribeCallsIndependentOfState: whatever the address's state, a
// subscribe makes the same AWS calls, of the same kind and number, so its
// response time cannot tell whether the address is known (issue 7, item 6).
// It still mails only new, expired-pending and unsubscribed addresses, and
// never twice within ten minutes.
func TestSubscribeCallsIndependentOfState(t *testing.T) {
	const addr = "known.person@example.com"
	sk := subject.EmailKey(fakeSubjectKey, addr)
	seed := func(status string, signupAt time.Time) func(d *stateDB) {
		return func(d *stateDB) {
			for _, l := range []string{"newsletter", "openings"} {
				item, err := attributevalue.MarshalMap(subscription{PK: audience.SubjectPK(sk), SK: audience.ListSK(l), Kind: "subscription", SubjectKey: sk, List: l,
					Status: status, SignupID: "earlier0signup0id", SignupAt: stamp(signupAt), LastActiveAt: stamp(signupAt)})
				if err != nil {
					t.Fatal(err)
				}
				d.items[itemKey("subscribers", item)] = item
			}
		}
	}
	tests := []struct {
		state  string
		seed   func(d *stateDB)
		id     string // a handed-over signup's id; "" for the form
		mailed bool
	}{
		{"new", func(*stateDB) {}, "", true},
		{"pending, mailed over 10 min ago", seed(Pending, testNow.Add(-time.Hour)), "", true},
		{"pending, recently mailed", seed(Pending, testNow.Add(-2*time.Minute)), "", false},
		{"active", seed(Active, testNow.Add(-30*24*time.Hour)), "", false},
		{"unsubscribed", seed(Unsubscribed, testNow.Add(-30*24*time.Hour)), "", true},
		{"handover delivered again", func(d *stateDB) {
			s := newStateService(t, d)
			if err := s.Subscribe(context.Background(), Signup{Email: addr, Lang: "fi", Lists: []string{"newsletter"}, ID: "handover0signup0id"}); err != nil {
				t.Fatal(err)
			}
		}, "handover0signup0id", false},
	}
	for _, lists := range [][]string{{"newsletter"}, {"newsletter", "openings"}} {
		var want []string
		for _, tc := range tests {
			t.Run(strings.Join(lists, "+")+"/"+tc.state, func(t *testing.T) {
				calls := []string{}
				db := &stateDB{forbiddenDB: forbiddenDB{t}, items: map[string]map[string]types.AttributeValue{}, calls: new([]string)}
				tc.seed(db)
				db.calls = &calls
				s := newStateService(t, db)
				jobsBefore := countJobs(db)
				if err := s.Subscribe(context.Background(), Signup{Email: addr, Lang: "fi", Lists: lists, Channel: "web-form", Form: "test", ID: tc.id}); err != nil {
					t.Fatalf("Subscribe: %v (the answer must be the same 202 in every state)", err)
				}
				if want == nil {
					want = calls
				}
				if !reflect.DeepEqual(calls, want) {
					t.Errorf("calls %v, want %v as for a new address: the time taken tells the state", calls, want)
				}
				// Mailed means a new outbox job (its stream record reaches the mailer).
				newJob := countJobs(db) > jobsBefore
				if newJob != tc.mailed {
					t.Errorf("new outbox job: %v, want %v", newJob, tc.mailed)
				}
			})
		}
	}
}

func countJobs(d *stateDB) int {
	n := 0
	for k := range d.items {
		if strings.HasPrefix(k, "mail|") {
			n++
		}
	}
	return n
}

func newStateService(t *testing.T, db dynamoAPI) *Service {
	t.Helper()
	u, _ := url.Parse("https://museo.example.fi/")
	s := NewService(register.MustLoad("museum"), db, &fakeQueue{t: t, forbid: true}, &fakeKeys{t: t}, Tables{Subscribers: "subscribers", Mail: "mail", Audit: "audit"}, u)
	s.now = func() time.Time { return testNow }
	return s
}
