package newsletter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"rekisteri/infra/local"
	"rekisteri/infra/local/localtest"
	"rekisteri/internal/awslambda"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// harness drives the newsletter function of a local stack as the world
// does: HTTP requests and queue batches, and reads the items back.
type harness struct {
	t                    *testing.T
	s                    *local.Stack
	cat                  *record.Catalogue
	db                   *dynamodb.Client
	fn                   awslambda.Function
	tokenKey, subjectKey []byte
	n                    int
}

func newHarness(t *testing.T, prefix string) *harness {
	t.Helper()
	s := localtest.Stack(t, prefix)
	h := &harness{t: t, s: s, cat: localtest.Catalogue(t, s, "museum"), db: s.Clients().DynamoDB, fn: s.Functions["NewsletterFunction"]}
	h.tokenKey = h.secret("TokenKeySecret")
	h.subjectKey = h.secret("SubjectKeySecret")
	return h
}

func (h *harness) secret(logical string) []byte {
	h.t.Helper()
	out, err := h.s.Clients().Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(h.s.Resolve(logical))})
	if err != nil {
		h.t.Fatal(err)
	}
	return []byte(aws.ToString(out.SecretString))
}

// email is a new address for each call, so cases do not meet.
func (h *harness) email(name string) string {
	h.n++
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
	return fmt.Sprintf("%.40s-%d@example.com", slug, h.n)
}

func (h *harness) sk(email string) string { return subject.EmailKey(h.subjectKey, email) }
func (h *harness) pk(email string) string { return "SUB#" + h.sk(email) }

func (h *harness) do(method, target, contentType, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.fn.HTTP.ServeHTTP(rec, r)
	return rec
}

// subscribe signs email up to lists and confirms them unless pendingOnly.
func (h *harness) subscribe(email string, confirm bool, lists ...string) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"email": email, "lists": lists, "consent": true, "lang": "fi"})
	if rec := h.do("POST", "/newsletter/subscribe", "application/json", string(body)); rec.Code != http.StatusAccepted {
		h.t.Fatalf("subscribe: %d %s", rec.Code, rec.Body)
	}
	if confirm {
		h.confirm(email, lists...)
	}
}

func (h *harness) confirm(email string, lists ...string) {
	h.t.Helper()
	id := h.str(h.sub(email, lists[0]), "signupId")
	tok := token.Sign(h.tokenKey, token.Claims{Purpose: token.Confirm, Subject: h.sk(email), ID: id, Lists: lists, Expires: h.s.Clock.Now().Add(time.Hour).Unix()})
	if rec := h.do("POST", "/newsletter/confirm", "application/x-www-form-urlencoded", "token="+url.QueryEscape(tok)); rec.Code != http.StatusOK {
		h.t.Fatalf("confirm: %d %s", rec.Code, rec.Body)
	}
}

func (h *harness) unsubscribe(email string, lists ...string) {
	h.t.Helper()
	tok := token.Sign(h.tokenKey, token.Claims{Purpose: token.Unsubscribe, Subject: h.sk(email), Lists: lists})
	if rec := h.do("POST", "/newsletter/unsubscribe?token="+url.QueryEscape(tok), "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"); rec.Code != http.StatusOK {
		h.t.Fatalf("unsubscribe: %d %s", rec.Code, rec.Body)
	}
}

func (h *harness) get(pk, sk string) map[string]types.AttributeValue {
	h.t.Helper()
	out, err := h.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(h.cat.Table("subscribers")), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		h.t.Fatal(err)
	}
	return out.Item
}

// sub is email's subscription to list.
func (h *harness) sub(email, list string) map[string]types.AttributeValue {
	h.t.Helper()
	it := h.get(h.pk(email), "LIST#"+list)
	if it == nil {
		h.t.Fatalf("no subscription to %s", list)
	}
	return it
}

// receipt is the consent receipt of email's subscription to list.
func (h *harness) receipt(email, list string) map[string]types.AttributeValue {
	h.t.Helper()
	return h.get(h.pk(email), "CONSENT#"+list+"#"+h.str(h.sub(email, list), "signupId"))
}

func (h *harness) str(it map[string]types.AttributeValue, k string) string {
	switch v := it[k].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

// sesRecord is an SQS record of fixture (events/sqs-ses-events-*.json)
// whose event names email and feedback id instead, with tags added.
func (h *harness) sesRecord(fixture, email, feedbackID string, tags map[string][]string) events.SQSMessage {
	h.t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(readFixture(h.t, fixture), &ev); err != nil {
		h.t.Fatal(err)
	}
	rec := ev.Records[0]
	var env map[string]any
	if err := json.Unmarshal([]byte(rec.Body), &env); err != nil {
		h.t.Fatal(err)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(env["Message"].(string)), &msg); err != nil {
		h.t.Fatal(err)
	}
	part := msg["bounce"]
	key := "bouncedRecipients"
	if part == nil {
		part, key = msg["complaint"], "complainedRecipients"
	}
	p := part.(map[string]any)
	p["feedbackId"] = feedbackID
	p[key] = []any{map[string]any{"emailAddress": email}}
	m := msg["mail"].(map[string]any)
	m["destination"] = []any{email}
	t := m["tags"].(map[string]any)
	for k, v := range tags {
		t[k] = v
	}
	raw, _ := json.Marshal(msg)
	env["Message"] = string(raw)
	body, _ := json.Marshal(env)
	rec.Body = string(body)
	rec.MessageId = feedbackID
	return rec
}

// queue runs one batch through the function's queue handler and returns
// the ids of the messages reported failed.
func (h *harness) queue(recs ...events.SQSMessage) []string {
	h.t.Helper()
	res, err := h.fn.Queue(context.Background(), events.SQSEvent{Records: recs})
	if err != nil {
		h.t.Fatalf("Queue: %v", err)
	}
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
