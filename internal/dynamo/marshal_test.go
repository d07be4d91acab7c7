package dynamo_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/mail"
)

type status string

type plain struct {
	S       string            `dynamodbav:"s"`
	O       string            `dynamodbav:"o,omitempty"`
	Named   status            `dynamodbav:"named"`
	N       int64             `dynamodbav:"n"`
	NO      int               `dynamodbav:"no,omitempty"`
	I32     int32             `dynamodbav:"i32"`
	B       bool              `dynamodbav:"b"`
	BO      bool              `dynamodbav:"bo,omitempty"`
	L       []string          `dynamodbav:"l"`
	LO      []string          `dynamodbav:"lo,omitempty"`
	M       map[string]string `dynamodbav:"m"`
	MO      map[string]string `dynamodbav:"mo,omitempty"`
	Untaged string
	Skip    string `dynamodbav:"-"`
	hidden  string
	dynamo.Retention
}

// Types the fast path declines: they must still marshal as attributevalue does.
type other struct {
	T  time.Time `dynamodbav:"t"`
	F  float64   `dynamodbav:"f"`
	SS []string  `dynamodbav:"ss,stringset"`
	P  *string   `dynamodbav:"p"`
}

// MarshalMap gives what attributevalue.MarshalMap gives, for every kind of
// value in every state (zero, empty, nil, set).
func TestMarshalMapAsAttributevalue(t *testing.T) {
	x := "x"
	values := []any{
		plain{}, &plain{},
		plain{S: "a", O: "b", Named: "c", N: -7, NO: 3, I32: 5, B: true, BO: true, L: []string{}, LO: []string{}, M: map[string]string{}, MO: map[string]string{}, Untaged: "u", Skip: "s", hidden: "h"},
		plain{L: []string{"a", ""}, LO: []string{"b"}, M: map[string]string{"k": "v", "e": ""}, MO: map[string]string{"k": ""}, Retention: dynamo.Expires(time.Unix(1e9, 0), "pk")},
		mail.Job{}, mail.Job{PK: "MAIL#confirm.x", Params: map[string]string{"a": "b"}, Attempts: 2, LeaseUntil: 9},
		other{}, other{T: time.Unix(1, 0), F: 1.5, SS: []string{"a"}, P: &x},
		map[string]string{"a": "b"},
	}
	for _, v := range values {
		got, err := dynamo.MarshalMap(v)
		want, werr := attributevalue.MarshalMap(v)
		if (err != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%T %+v:\n got %#v (%v)\nwant %#v (%v)", v, v, got, err, want, werr)
		}
	}
}

// The string members share one array: each is its own element of it.
func TestMarshalMapMembersAreDistinct(t *testing.T) {
	v := plain{S: "a", Named: "c", L: []string{"l1", "l2"}, M: map[string]string{"k": "v"}, Untaged: "u"}
	got, err := dynamo.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := attributevalue.MarshalMap(v)
	got["s"].(*types.AttributeValueMemberS).Value = "changed"
	want["s"].(*types.AttributeValueMemberS).Value = "changed"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after changing one member:\n got %#v\nwant %#v", got, want)
	}
}

func BenchmarkMarshalMapJob(b *testing.B) {
	j := mail.Job{PK: "MAIL#confirm.0123456789abcdef01234567", SK: "MAIL", Kind: "mail", SubjectKey: "SUBJ#abc", To: "visitor@example.com",
		Template: "newsletter-confirm", Lang: "fi", Params: map[string]string{"lists": "Uutiskirje", "confirmURL": "https://x/c", "unsubscribeURL": "https://x/u", "privacyURL": "https://x/p"},
		Class: "transactional", Status: "queued", CreatedAt: "2026-12-01T20:00:00Z", Pending: "3"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dynamo.MarshalMap(j); err != nil {
			b.Fatal(err)
		}
	}
}
