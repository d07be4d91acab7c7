// An external test package: infra/local builds every function, this one too.
package requests_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/requests"
)

// collectStore is the record seam over the tables template.yaml creates, in
// DynamoDB Local (the suite's emulators, or its own when run alone).
func collectStore(t *testing.T) (*recordstore.Store, *dynamodb.Client) {
	t.Helper()
	stack := localtest.Stack(t, "col")
	db := stack.Clients().DynamoDB
	return recordstore.NewStore(db, localtest.Catalogue(t, stack, "museum")), db
}

func colS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

type colStored struct {
	table string
	item  map[string]types.AttributeValue
}

func colItem(kind, pk, sk, subject string, attrs ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": colS(pk), "sk": colS(sk), "kind": colS(kind)}
	if subject != "" {
		it["subjectKey"] = colS(subject)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i]] = colS(attrs[i+1])
	}
	return it
}

func TestCollectEveryTableOfASubject(t *testing.T) {
	ctx := context.Background()
	store, db := collectStore(t)
	data := []colStored{
		{"subscribers", colItem("subscription", "SUB#a", "LIST#newsletter", "subj-a", "email", "a@example.fi")},
		{"subscribers", colItem("consent", "SUB#a", "CONSENT#newsletter#1", "subj-a", "list", "newsletter")},
		// The contact links its answer and free text, which carry no subject key.
		{"feedback", colItem("feedback-contact", "CONTACT#f1", "CONTACT", "subj-a", "answerRef", "ANSWER#2026-02/f1", "email", "a@example.fi")},
		{"feedback", colItem("feedback-answer", "ANSWER#2026-02", "f1", "", "contactId", "f1", "visit_reason", "exhibition")},
		{"feedback", colItem("feedback-text", "ANSWER#2026-02", "f1#TEXT", "", "feedback", "Hieno näyttely")},
		{"feedback", colItem("feedback-answer", "ANSWER#2026-02", "other", "", "visit_reason", "other")}, // someone's, unlinked
		{"bookings", colItem("booking", "BOOKING#b1", "BOOKING", "subj-a", "firstName", "Aino")},
		{"bookings", colItem("booking-hetu", "BOOKING#b1", "HETU", "subj-a", "sealed", "sealed-value")},
		{"mail", colItem("mail", "MAIL#m1", "MAIL", "subj-a", "to", "a@example.fi")},
		{"requests", colItem("request", "REQUEST#r1", "REQUEST", "subj-a", "type", "access")},
		// Audit entries carry only a prefix of the subject key: not found by subject.
		{"audit", colItem("audit", "AUDIT#x", "1", "", "subjectPrefix", "subj-a"[:4], "event", "request-verified")},
		{"bookings", colItem("booking", "BOOKING#b2", "BOOKING", "subj-b", "firstName", "Other")},
		// A contact whose answer has no free text.
		{"feedback", colItem("feedback-contact", "CONTACT#f2", "CONTACT", "subj-c", "answerRef", "ANSWER#2026-03/f2")},
		{"feedback", colItem("feedback-answer", "ANSWER#2026-03", "f2", "", "contactId", "f2")},
		// A contact whose answer is gone (deleted by its own rule).
		{"feedback", colItem("feedback-contact", "CONTACT#f3", "CONTACT", "subj-d", "answerRef", "ANSWER#2025-01/f3")},
		{"bookings", colItem("patron", "PATRON#1", "PATRON", "subj-bad", "firstName", "Secret Name")},
	}
	for _, d := range data {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(store.Catalogue().Table(d.table)), Item: d.item}); err != nil {
			t.Fatal(err)
		}
	}
	notRequests := func(table string, _ map[string]types.AttributeValue) bool { return table == "requests" }
	notContacts := func(_ string, it map[string]types.AttributeValue) bool {
		k, _ := it["kind"].(*types.AttributeValueMemberS)
		return k != nil && k.Value == "feedback-contact"
	}
	cases := []struct {
		name    string
		subject string
		skip    func(string, map[string]types.AttributeValue) bool
		want    []string // kind:count, in the declaration's order
		wantErr string
	}{
		{name: "every table, the linked answer and text", subject: "subj-a",
			want: []string{"subscription:1", "consent:1", "feedback-answer:1", "feedback-text:1", "feedback-contact:1", "booking:1", "booking-hetu:1", "mail:1", "request:1"}},
		{name: "skip leaves out a table", subject: "subj-a", skip: notRequests,
			want: []string{"subscription:1", "consent:1", "feedback-answer:1", "feedback-text:1", "feedback-contact:1", "booking:1", "booking-hetu:1", "mail:1"}},
		{name: "a skipped contact brings no answer", subject: "subj-a", skip: notContacts,
			want: []string{"subscription:1", "consent:1", "booking:1", "booking-hetu:1", "mail:1", "request:1"}},
		{name: "an answer without free text", subject: "subj-c", want: []string{"feedback-answer:1", "feedback-contact:1"}},
		{name: "a contact whose answer is gone", subject: "subj-d", want: []string{"feedback-contact:1"}},
		{name: "nothing held", subject: "subj-none", want: nil},
		{name: "an undeclared kind is refused", subject: "subj-bad", wantErr: `table bookings holds an item of undeclared kind "patron"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := requests.Collect(ctx, store, tc.subject, tc.skip)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "Secret") {
					t.Fatalf("want an error naming the table and kind only, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, h := range got {
				kinds = append(kinds, fmt.Sprintf("%s:%d", h.Kind, len(h.Items)))
				for _, it := range h.Items {
					if sk := it["subjectKey"]; sk != nil && sk.(*types.AttributeValueMemberS).Value != tc.subject {
						t.Errorf("%s: another subject's item", h.Kind)
					}
					if pk := it["pk"].(*types.AttributeValueMemberS).Value; h.Kind == "feedback-answer" && strings.Contains(pk+it["sk"].(*types.AttributeValueMemberS).Value, "other") {
						t.Error("an unlinked answer")
					}
				}
			}
			if strings.Join(kinds, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", kinds, tc.want)
			}
		})
	}

	t.Run("the copy of what was collected", func(t *testing.T) {
		got, err := requests.Collect(ctx, store, "subj-a", notRequests)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := requests.BuildCopy(store.Catalogue().Register(), requests.Request{PK: "REQUEST#r0123456789ab", Lang: "fi"}, got, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cp.JSON), "Hieno näyttely") || strings.Contains(string(cp.JSON), "sealed-value") || strings.Contains(string(cp.HTML), "sealed-value") {
			t.Error("the copy has the linked free text and never the sealed value")
		}
	})

	if _, err := requests.Collect(ctx, store, "", nil); err == nil {
		t.Error("collect without a subject key")
	}
}
