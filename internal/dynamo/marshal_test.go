package dynamo_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

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
