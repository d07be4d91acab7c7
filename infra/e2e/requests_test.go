package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/booking"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
	"rekisteri/internal/subject"
)

// confirmedSubscriber subscribes addr to the newsletter and confirms it.
func confirmedSubscriber(t *testing.T, addr string) {
	t.Helper()
	if r := subscribe(t, addr, "newsletter"); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	drain(t)
	confirm := linkIn(t, at(t, mailsTo(t, addr), -1), "/newsletter/confirm")
	if r := post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, confirm)}}, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	drain(t)
}

// mailWith is the last mail to addr whose text holds a link to path.
func mailWith(t *testing.T, addr, path string) (string, bool) {
	t.Helper()
	ms := mailsTo(t, addr)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, l := range ms[i].Links() {
			if u, err := url.Parse(l); err == nil && u.Path == path {
				return l, true
			}
		}
	}
	return "", false
}

// makeRequest sends a request through the public form and verifies it
// through the link in its mail; it returns the verified answer's due date.
func makeRequest(t *testing.T, typ, addr, details string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"type": typ, "email": addr, "details": details, "lang": "en"})
	r := post(t, "/requests", string(body))
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"pending_verification"`) {
		t.Fatalf("POST /requests: %d %s", r.Status, r.Body)
	}
	drain(t)
	link, ok := mailWith(t, addr, "/requests/verify")
	if !ok {
		t.Fatalf("no verification mail to the requester")
	}
	page := get(t, link)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `method="post"`) {
		t.Fatalf("verify page: %d %s", page.Status, page.Body)
	}
	var due string
	for i := range 2 { // verifying twice is one request, the same due date
		v := post(t, "/requests/verify", url.Values{"token": {tokenOf(t, link)}}, "Accept", "application/json")
		var out struct{ Status, Due string }
		if err := json.Unmarshal([]byte(v.Body), &out); err != nil || v.Status != http.StatusOK || out.Status != "verified" {
			t.Fatalf("verify #%d: %d %s", i+1, v.Status, v.Body)
		}
		if i == 1 && out.Due != due {
			t.Fatalf("verifying again moved the due date: %s, then %s", due, out.Due)
		}
		due = out.Due
	}
	if want := requests.DueOn(now()).Format("2006-01-02"); due != want {
		t.Fatalf("due %s, want one calendar month on: %s", due, want)
	}
	drain(t)
	return due
}

// subjectItems is every item of the subject in every declared table, found
// as the requests function finds them (bySubject), read whole.
func subjectItems(t *testing.T, addr string) map[string][]map[string]any {
	t.Helper()
	sk := subject.EmailKey(subjectSecret(t), addr)
	out := map[string][]map[string]any{}
	for _, table := range record.Tables(register.MustLoad("museum")) {
		logical := strings.ToUpper(table[:1]) + table[1:] + "Table"
		q, err := stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
			TableName: aws.String(stack.Resolve(logical)), IndexName: aws.String(record.IndexBySubject),
			KeyConditionExpression:    aws.String("subjectKey = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sk}},
		})
		if err != nil {
			t.Fatalf("%s by subject: %v", table, err)
		}
		for _, k := range q.Items {
			if it := item(t, logical, attrS(k, "pk"), attrS(k, "sk")); it != nil {
				out[it["kind"].(string)] = append(out[it["kind"].(string)], it)
			}
		}
	}
	return out
}

func attrS(item map[string]types.AttributeValue, name string) string { return str(item[name]) }

// fetchCopy opens the copy's download link as a person would: the page's
// button, then the bucket's short-lived link.
func fetchCopy(t *testing.T, addr, format string) string {
	t.Helper()
	link, ok := mailWith(t, addr, "/requests/download")
	if !ok {
		t.Fatal("no mail with the copy's link")
	}
	if page := get(t, link); page.Status != http.StatusOK || !strings.Contains(page.Body, `value="`+format+`"`) {
		t.Fatalf("download page: %d %s", page.Status, page.Body)
	}
	r := post(t, "/requests/download", url.Values{"token": {tokenOf(t, link)}, "format": {format}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("download: %d %s", r.Status, r.Body)
	}
	resp, err := http.Get(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the bucket's link: %d", resp.StatusCode)
	}
	return string(b)
}

func TestRequestAccessCopy(t *testing.T) {
	addr := newAddress(t)
	confirmedSubscriber(t, addr)
	makeRequest(t, requests.Access, addr, "")
	js := fetchCopy(t, addr, "json")
	var copyJSON map[string]any
	if err := json.Unmarshal([]byte(js), &copyJSON); err != nil {
		t.Fatalf("the copy's JSON: %v", err)
	}
	for _, want := range []string{`"subscription"`, `"consent"`, `"newsletter"`} {
		if !strings.Contains(js, want) {
			t.Errorf("the JSON copy lacks %s", want)
		}
	}
	page := fetchCopy(t, addr, "html")
	// At rest the copy is encrypted with the stack's own key (SSE-KMS).
	reqs0 := subjectItems(t, addr)["request"]
	id0 := strings.TrimPrefix(at(t, reqs0, 0)["pk"].(string), "REQUEST#")
	head, err := stack.Clients().S3.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String(stack.Resolve("ExportsBucket")), Key: aws.String(requests.ExportKey(id0, "json")),
	})
	if err != nil || head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || !strings.HasSuffix(aws.ToString(head.SSEKMSKeyId), stack.Resolve("DataKey")) {
		t.Errorf("the copy at rest: %v, encryption %q with key %q; want aws:kms with DataKey %s", err, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), stack.Resolve("DataKey"))
	}
	reg := register.MustLoad("museum")
	newsletterPurpose, _ := reg.Purpose("newsletter")
	for _, want := range []string{newsletterPurpose.Name.In("en"), reg.Authority.Name.In("en"), reg.Authority.URL, reg.Retention("subscription", "active").Text.In("en")} {
		if !strings.Contains(page, want) {
			t.Errorf("the readable copy lacks the Art. 15 information %q", want)
		}
	}
	// One request, however often it was verified: one copy mailed, answered.
	n := 0
	for _, m := range mailsTo(t, addr) {
		if strings.Contains(m.Parsed.Text, "/requests/download") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("want one copy mailed, got %d", n)
	}
	reqs := subjectItems(t, addr)["request"]
	if len(reqs) != 1 || reqs[0]["status"] != requests.Resolved {
		t.Fatalf("want the request answered: %v", reqs)
	}
}

// TestRequestAccessShowsDisclosures: the copy lists what was done with the
// person's data — here the invoicing export's decryption of their identity
// code, a disclosure to the city's finance — from the audit log, which
// carries their subject key; never the code itself.
func TestRequestAccessShowsDisclosures(t *testing.T) {
	addr := newAddress(t)
	f := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", testCodes[0])
	ref, _ := requestBooking(t, f)
	drain(t)
	if d := decide(t, staffDecisionLink(t, ref), "accept", ""); d.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", d.Status, d.Body)
	}
	drain(t)
	inv := booking.NewInvoicing(register.MustLoad("museum"), stack.Clients().DynamoDB, fieldcrypt.New(stack.Clients().KMS, ""),
		booking.Tables{Bookings: stack.Resolve("BookingsTable"), Mail: stack.Resolve("MailTable"), Audit: stack.Resolve("AuditTable")}, "test-staff").At(stack.Clock.Now)
	month := f["date"].(string)[:7]
	if _, err := inv.Export(context.Background(), month, month, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	makeRequest(t, requests.Access, addr, "")
	js := fetchCopy(t, addr, "json")
	if !strings.Contains(js, `"hetu.decrypted"`) || !strings.Contains(js, ref) {
		t.Fatalf("the copy should list the identity code's decryption for invoicing:\n%.2000s", js)
	}
	if strings.Contains(js, testCodes[0]) || strings.Contains(fetchCopy(t, addr, "html"), testCodes[0]) {
		t.Fatal("the copy shows the identity code")
	}
}

// TestRequestRestrictionWithholdsTheInvoice: a restriction asked for stops
// the transfer to finance (DESIGN §2: no transfer) until it is lifted.
func TestRequestRestrictionWithholdsTheInvoice(t *testing.T) {
	addr := newAddress(t)
	f := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", testCodes[1])
	ref, _ := requestBooking(t, f)
	drain(t)
	if d := decide(t, staffDecisionLink(t, ref), "accept", ""); d.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", d.Status, d.Body)
	}
	drain(t)
	makeRequest(t, requests.Restriction, addr, "the address is wrong")
	inv := booking.NewInvoicing(register.MustLoad("museum"), stack.Clients().DynamoDB, fieldcrypt.New(stack.Clients().KMS, ""),
		booking.Tables{Bookings: stack.Resolve("BookingsTable"), Mail: stack.Resolve("MailTable"), Audit: stack.Resolve("AuditTable")}, "test-staff").At(stack.Clock.Now)
	month := f["date"].(string)[:7]
	var out bytes.Buffer
	if _, err := inv.Export(context.Background(), month, month, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), ref) || !slices.Contains(inv.Withheld(), ref) {
		t.Fatalf("a restricted booking must not go to finance, and staff are told: withheld %v", inv.Withheld())
	}
	var id string
	for _, r := range subjectItems(t, addr)["request"] {
		id = strings.TrimPrefix(r["pk"].(string), "REQUEST#")
	}
	body, _ := json.Marshal(map[string]string{"op": requests.OpLift, "id": id})
	if _, err := stack.Clients().SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(stack.Resolve("RequestsQueue")), MessageBody: aws.String(string(body)),
	}); err != nil {
		t.Fatal(err)
	}
	drain(t)
	out.Reset()
	if _, err := inv.Export(context.Background(), month, month, &out); err != nil || !strings.Contains(out.String(), ref) {
		t.Fatalf("once lifted, the booking is invoiced: %v", err)
	}
}

func TestRequestAccessWithNoDataHeld(t *testing.T) {
	addr := newAddress(t)
	makeRequest(t, requests.Access, addr, "")
	page := fetchCopy(t, addr, "html")
	if !strings.Contains(page, "No data about you is held") {
		t.Fatalf("the copy should say no data is held:\n%.600s", page)
	}
}

func TestRequestErasureKeepsOnlyWhatTheLawRequires(t *testing.T) {
	addr := newAddress(t)
	confirmedSubscriber(t, addr)
	makeRequest(t, requests.Access, addr, "") // an earlier copy, to be erased too
	makeRequest(t, requests.Erasure, addr, "")
	left := subjectItems(t, addr)
	for kind, items := range left {
		for _, it := range items {
			if kind == "request" && it["type"] == requests.Erasure {
				continue // the request being answered
			}
			if kind == "mail" && strings.HasPrefix(it["pk"].(string), "MAIL#request-erasure.") {
				continue // its reply
			}
			if kind == "audit" && strings.HasPrefix(fmt.Sprint(it["event"]), "request-") && it[record.AttrRestricted] == nil {
				continue // the log of handling the erasure itself, written after it
			}
			if it[record.AttrRestricted] == nil {
				t.Errorf("after erasure a %s is left unrestricted: %v", kind, it)
			}
		}
	}
	if len(left["subscription"]) != 0 || len(left["mail"]) != 1 {
		t.Fatalf("the subscription and the mail log must be gone: %v", left)
	}
	consent := at(t, left["consent"], 0)
	if consent["withdrawnAt"] == nil || consent["withdrawalChannel"] != "erasure-request" || consent[record.AttrExpiryRule] != "consent-evidence" || consent[record.AttrRestrictedFor] != "consent-evidence" {
		t.Fatalf("the consent receipt is kept as evidence, withdrawn and restricted: %v", consent)
	}
	var erasure map[string]any
	for _, r := range left["request"] {
		if r["type"] == requests.Erasure {
			erasure = r
		}
	}
	if erasure == nil || erasure["status"] != requests.Resolved {
		t.Fatalf("the erasure request should be answered: %v", left["request"])
	}
	id := strings.TrimPrefix(erasure["pk"].(string), "REQUEST#")
	receipt := item(t, "AuditTable", "REQUEST#RECEIPT", id)
	if receipt == nil || receipt["type"] != requests.Erasure || !strings.Contains(receipt["exceptions"].(string), "consent-evidence") {
		t.Fatalf("an erasure receipt in the audit table: %v", receipt)
	}
	counts := receipt["counts"].(map[string]any)
	if counts["deleted.subscription"] != "1" || counts["kept.consent"] != "1" {
		t.Fatalf("receipt counts: %v", counts)
	}
	reply, ok := lastMail(t, addr, id)
	if !ok || !strings.Contains(reply, "17(3)(e)") {
		t.Fatalf("the reply names the exception:\n%s", reply)
	}
	// A test-only Scan of every table: the address is left only on the
	// erasure request and its reply; the subject key only on what is kept,
	// restricted, and on the record of handling this request (checked above
	// through bySubject).
	for _, table := range record.Tables(register.MustLoad("museum")) {
		logical := strings.ToUpper(table[:1]) + table[1:] + "Table"
		for name, values := range scanValues(t, logical) {
			for _, v := range values {
				if strings.EqualFold(v, addr) && !strings.Contains(name, id) {
					t.Errorf("after erasure the address is still in %s", name)
				}
			}
		}
	}
	// The earlier copy is erased too: its link now says so.
	link, _ := mailWith(t, addr, "/requests/download")
	if r := post(t, "/requests/download", url.Values{"token": {tokenOf(t, link)}, "format": {"html"}}); r.Status == http.StatusSeeOther {
		if resp, err := http.Get(r.Header.Get("Location")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("an erased subject's earlier copy can still be fetched")
			}
		}
	}
}

// lastMail is the text of the last mail to addr that mentions s.
func lastMail(t *testing.T, addr, s string) (string, bool) {
	ms := mailsTo(t, addr)
	for i := len(ms) - 1; i >= 0; i-- {
		if strings.Contains(ms[i].Parsed.Text, s) {
			return ms[i].Parsed.Text, true
		}
	}
	return "", false
}

func TestRequestObjectionEndsEveryList(t *testing.T) {
	addr := newAddress(t)
	confirmedSubscriber(t, addr)
	makeRequest(t, requests.Objection, addr, "")
	sub := subscriptionOf(t, addr, "newsletter")
	if sub["status"] != "unsubscribed" || sub["email"] != nil || sub["unsubscribedAt"] == nil {
		t.Fatalf("objection must unsubscribe at once: %v", sub)
	}
	for _, c := range subjectItems(t, addr)["consent"] {
		if c["withdrawalChannel"] != "objection-request" || c["withdrawnAt"] == nil {
			t.Fatalf("the consent is withdrawn by the objection: %v", c)
		}
	}
}

func TestRequestFormRefusesBadInput(t *testing.T) {
	long := strings.Repeat("x", 4001)
	for _, c := range []struct {
		name  string
		body  map[string]string
		field string
	}{
		{"unknown type", map[string]string{"type": "delete-everything", "email": "a@example.com"}, "type"},
		{"bad e-mail", map[string]string{"type": "access", "email": "not-an-address"}, "email"},
		{"over-long details", map[string]string{"type": "access", "email": "a@example.com", "details": long}, "details"},
	} {
		b, _ := json.Marshal(c.body)
		r := post(t, "/requests", string(b))
		var out struct{ Errors map[string]string }
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusBadRequest || out.Errors[c.field] == "" {
			t.Errorf("%s: want 400 naming %s, got %d %s", c.name, c.field, r.Status, r.Body)
		}
	}
	if r := post(t, "/requests", "type=access&email="+strings.Repeat("a", 30<<10)); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("past the body limit: want 413, got %d", r.Status)
	}
	if r := post(t, "/requests", "<xml/>", "Content-Type", "application/xml"); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("other media types: want 415, got %d", r.Status)
	}
	for _, tok := range []string{"tampered", ""} {
		if r := post(t, "/requests/verify", url.Values{"token": {tok}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "<form") && !strings.Contains(r.Body, "/requests") {
			t.Errorf("a bad verification link: want a clear 400 page, got %d", r.Status)
		}
	}
}

func TestRequestUnverifiedExpires(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr := newAddress(t)
	if r := site.post(t, "/requests", url.Values{"type": {"access"}, "email": {addr}, "lang": {"en"}}); r.Status != http.StatusAccepted {
		t.Fatalf("POST /requests: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	link := linkIn(t, at(t, mailsTo(t, addr), -1), "/requests/verify")
	moveClock(t, site.url, url.Values{"advance": {"8d"}})
	if r := site.post(t, "/requests/verify", url.Values{"token": {tokenOf(t, link)}}); r.Status != http.StatusGone {
		t.Fatalf("an expired verification link: want 410, got %d", r.Status)
	}
	site.runSchedules(t, "RetentionFunction")
	sk := subject.EmailKey(subjectSecret(t), addr)
	q, err := site.stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(site.stack.Resolve("RequestsTable")), IndexName: aws.String(record.IndexBySubject),
		KeyConditionExpression:    aws.String("subjectKey = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || len(q.Items) != 0 {
		t.Fatalf("the sweep deletes a request nobody verified in 7 days: %v, %d left", err, len(q.Items))
	}
}
