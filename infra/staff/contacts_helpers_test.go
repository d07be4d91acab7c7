package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// items are the stored items of kind in the local stack's table (a
// test-only Scan: the tool itself never scans).
func (s *campaignSite) items(logical, kind string) []map[string]types.AttributeValue {
	s.t.Helper()
	in := &dynamodb.ScanInput{
		TableName: aws.String(s.stack.Resolve(logical)), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("kind = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: kind}},
	}
	var out []map[string]types.AttributeValue
	for {
		page, err := s.stack.Clients().DynamoDB.Scan(context.Background(), in)
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, page.Items...)
		if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return out
		}
	}
}

// one is the item of kind whose attribute attr is value.
func (s *campaignSite) one(logical, kind, attr, value string) map[string]types.AttributeValue {
	s.t.Helper()
	var found []map[string]types.AttributeValue
	for _, it := range s.items(logical, kind) {
		if attrS(it, attr) == value {
			found = append(found, it)
		}
	}
	if len(found) != 1 {
		s.t.Fatalf("%d %s items with %s = %q, want 1", len(found), kind, attr, value)
	}
	return found[0]
}

// bySubject are the items of kind under subject key sk.
func (s *campaignSite) bySubject(logical, kind, sk string) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for _, it := range s.items(logical, kind) {
		if attrS(it, "subjectKey") == sk {
			out = append(out, it)
		}
	}
	return out
}

func attrS(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// audits are the audit entries of event about sk.
func (s *campaignSite) audits(event, sk string) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for _, it := range s.bySubject("AuditTable", "audit", sk) {
		if attrS(it, "event") == event {
			out = append(out, it)
		}
	}
	return out
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// assertDeclared fails on any stored item of kinds holding an attribute
// its kind does not declare (as the e2e suite's ZZ check does for its own
// stack), or of a kind stored in another table than its declared one.
func (s *campaignSite) assertDeclared(kinds ...string) {
	s.t.Helper()
	reg := register.MustLoad("museum")
	for _, kind := range kinds {
		rk, ok := reg.Record(kind)
		if !ok {
			s.t.Fatalf("kind %s is not declared", kind)
		}
		logical := map[string]string{"subscribers": "SubscribersTable", "audit": "AuditTable", "mail": "MailTable"}[rk.Table]
		items := s.items(logical, kind)
		if len(items) == 0 {
			s.t.Errorf("no %s item stored: the check proves nothing", kind)
		}
		for _, it := range items {
			for attr := range it {
				if !slices.Contains(rk.Attributes, attr) && !slices.Contains(record.Envelope, attr) {
					s.t.Errorf("kind %s stores undeclared attribute %q", kind, attr)
				}
			}
		}
	}
}
