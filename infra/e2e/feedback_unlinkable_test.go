package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/register"
)

// categorical are the attributes of a survey answer that many answers share
// by design (declared options, the arrival day, the visit month, the shared
// expiry shard): they may recur elsewhere. Every other attribute — and any
// attribute added later — is treated as identifying and must appear nowhere
// outside the answer.
var categorical = []string{
	"kind", "lang", "receivedOn", "visitMonth", "expiryBucket",
	"visit_reason", "info_source", "services_used", "previous_use", "museum_card", "transport",
	"party", "age_group", "gender", "home_municipality", "home_postcode", "home_abroad",
}

// legacySignupID is how the signup id used to be derived from the answer id;
// an unkeyed hash anyone holding the answer can compute.
func legacySignupID(answerID string) string {
	sum := sha256.Sum256([]byte("feedback-nonce\x00" + answerID + "signup"))
	return hex.EncodeToString(sum[:12])
}

// linkable collects every identifying value stored with a feedback item and
// what the code could compute from it: ids and their old derivations, the
// nonce, and the arrival instant implied by the retention time stamps.
func linkable(t *testing.T, it map[string]any, nonce string) []string {
	t.Helper()
	reg := register.MustLoad("museum")
	var out []string
	add := func(vs ...string) {
		for _, v := range vs {
			if len(v) >= 6 && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			add(x)
		case float64:
			add(strconv.FormatFloat(x, 'f', -1, 64))
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for k, v := range it {
		if !slices.Contains(categorical, k) {
			walk(v)
		}
	}
	pk, _ := it["pk"].(string)
	sk, _ := it["sk"].(string)
	id := strings.TrimSuffix(sk, "#TEXT")
	add(id, pk+id, pk+"/"+id, "CONTACT#"+id, legacySignupID(id), "fb-"+legacySignupID(id))
	if nonce != "" {
		add(nonce)
	}
	// expiresAt = arrival + keep: the arrival time it implies must not match
	// any time stamp of the signup, to the second.
	if exp, ok := it["expiresAt"].(float64); ok {
		kind, _ := it["kind"].(string)
		keep := reg.Retention(kind, "any").Keep
		at := time.Unix(int64(exp), 0).UTC().AddDate(-keep.Years, -keep.Months, -keep.Days)
		if at.Truncate(24*time.Hour) != at {
			add(at.Format("2006-01-02T15:04:05"), strconv.FormatInt(at.Unix(), 10))
		}
	}
	return out
}

// scanValues returns every value stored in a logical table as text, with the
// item's key for the message.
func scanValues(t *testing.T, logical string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var start map[string]types.AttributeValue
	for {
		// A Scan is fine here: this inspects the test's own data.
		page, err := stack.Clients().DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(stack.Resolve(logical)), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Items {
			var it map[string]any
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s %v/%v", logical, it["pk"], it["sk"])
			var walk func(v any)
			walk = func(v any) {
				switch x := v.(type) {
				case string:
					out[name] = append(out[name], x)
				case float64:
					out[name] = append(out[name], strconv.FormatFloat(x, 'f', -1, 64))
				case []any:
					for _, e := range x {
						walk(e)
					}
				case map[string]any:
					for k, e := range x {
						out[name] = append(out[name], k)
						walk(e)
					}
				}
			}
			walk(it)
		}
		if start = page.LastEvaluatedKey; start == nil {
			return out
		}
	}
}

// TestFeedbackAnswerIsUnlinkableToTheNewsletterSignup submits survey answers
// with a newsletter consent and looks for anything stored with the answer,
// or computable from it, in every other table, audit entry, queue body and
// log line. A resubmitted form (same nonce) still stores once and mails once.
func TestFeedbackAnswerIsUnlinkableToTheNewsletterSignup(t *testing.T) {
	cases := []struct {
		name  string
		nonce string
		sends int
	}{
		{"nonce-sent-twice", "unlink-" + randomHex(12), 2},
		{"no-nonce", "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := newAddress(t)
			text := "Ei linkkiä " + randomHex(6)
			form := url.Values{
				"visit_date": {today()}, "visit_reason": {"exhibition"}, "age_group": {"30-44"}, "gender": {"female"},
				"home_postcode": {"02100"}, "feedback": {text}, "newsletter_consent": {"true"}, "email": {addr}, "lang": {"en"},
			}
			if c.nonce != "" {
				form.Set("nonce", c.nonce)
			}
			for range c.sends {
				if r := post(t, "/feedback", form); r.Status != http.StatusAccepted {
					t.Fatalf("survey: %d %s", r.Status, r.Body)
				}
			}
			drain(t)
			if n := len(mailsTo(t, addr)); n != 1 {
				t.Fatalf("want exactly one confirmation mail, got %d", n)
			}
			if sub := subscriptionOf(t, addr, "newsletter"); sub == nil || sub["channel"] != "feedback-survey" {
				t.Fatalf("the consent should have started a signup: %v", sub)
			}
			n := 0
			for _, it := range feedbackItems(t) {
				if it["feedback"] == text {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("want the answer stored once, got %d", n)
			}
			answer, free := answerWithText(t, text)
			var values []string
			for _, it := range []map[string]any{answer, free} {
				for _, v := range linkable(t, it, c.nonce) {
					if !slices.Contains(values, v) {
						values = append(values, v)
					}
				}
			}
			remember(values...) // and the suite's last test greps every log line and queue body for them
			for _, logical := range []string{"SubscribersTable", "MailTable", "AuditTable", "BookingsTable"} {
				for name, stored := range scanValues(t, logical) {
					for _, v := range values {
						if slices.ContainsFunc(stored, func(s string) bool { return strings.Contains(s, v) }) {
							t.Errorf("%s holds %q, which links it to the survey answer", name, v)
						}
					}
				}
			}
			captureMu.Lock()
			lines, queued := logs.String(), slices.Clone(bodies)
			captureMu.Unlock()
			for _, v := range values {
				if strings.Contains(lines, v) {
					t.Errorf("a log line holds %q, which links it to the survey answer", v)
				}
				if i := slices.IndexFunc(queued, func(b string) bool { return strings.Contains(b, v) }); i >= 0 {
					t.Errorf("a queue body holds %q: %s", v, queued[i])
				}
			}
		})
	}
}
