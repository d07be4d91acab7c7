package newsletter

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"rekisteri/internal/dynamo"
)

// The records a signup writes marshal by dynamo's fast path exactly as
// attributevalue marshals them.
func TestRecordsMarshalAsAttributevalue(t *testing.T) {
	for _, v := range []any{
		subscription{}, consent{}, SignupRequest{},
		subscription{PK: "SUB#k", SK: "LIST#newsletter", Email: "a@example.com", Status: Pending},
		consent{PK: "SUB#k", ConfirmedAt: "2026-01-01T00:00:00Z", WithdrawnAt: "x"},
		SignupRequest{Lists: []string{"newsletter", "openings"}, Pending: "P#1"},
	} {
		got, err := dynamo.MarshalMap(v)
		want, werr := attributevalue.MarshalMap(v)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%T: got %v (%v), want %v (%v)", v, got, err, want, werr)
		}
	}
}
