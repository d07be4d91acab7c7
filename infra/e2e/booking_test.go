package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/booking"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/register"
)

// Synthetic identity codes published by the population register agency
// for testing; one per booking test so the final scan can look for each.
var testCodes = []string{"010594Y9032", "131052-308T", "020594X903P", "010516B903X", "020516C902J"}

func init() { remember(testCodes...) }

// bookingDay is a date d days ahead in Finland.
func bookingDay(d int) string {
	return helsinki.Today(now()).AddDate(0, 0, d).Format("2006-01-02")
}

// freeDay picks a day far enough ahead that tests do not share slots.
func freeDay() string { return bookingDay(30 + rand.IntN(300)) }

type bookingForm map[string]any

func (f bookingForm) with(kv ...any) bookingForm {
	out := bookingForm{}
	for k, v := range f {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func baseBooking(addr string) bookingForm {
	return bookingForm{
		"resource": "meeting-room", "date": freeDay(), "start": "10:00", "end": "12:00", "participants": 8,
		"first_name": "Maija", "last_name": "Meikäläinen", "email": addr, "phone": "040 123 4567",
		"payment": "card", "notes": "Projektori tarvitaan", "lang": "en",
	}
}

func requestBooking(t *testing.T, f bookingForm) (string, response) {
	t.Helper()
	body, _ := json.Marshal(f)
	r := post(t, "/bookings", string(body))
	var out struct{ Status, Reference string }
	_ = json.Unmarshal([]byte(r.Body), &out)
	return out.Reference, r
}

func bookingItem(t *testing.T, ref, sk string) map[string]any {
	return item(t, "BookingsTable", "BOOKING#"+ref, sk)
}

func decide(t *testing.T, link, action, reason string) response {
	t.Helper()
	return post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, link)}, "action": {action}, "reason": {reason}}, "Accept", "application/json")
}

func TestBookingRequestDecisionReminderAndInvoice(t *testing.T) {
	addr := newAddress(t)
	remember("Maija", "Meikäläinen", "Projektori tarvitaan")
	code := testCodes[0]
	f := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", code)
	f["date"] = bookingDay(3)
	ref, r := requestBooking(t, f)
	if r.Status != http.StatusAccepted || !strings.HasPrefix(ref, "KAMU-") || !strings.Contains(r.Body, `"status":"received"`) {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	b := bookingItem(t, ref, "BOOKING")
	if b["status"] != "pending" || b["hetuGiven"] != true || b["phone"] != "+358401234567" {
		t.Fatalf("stored booking: %v", b)
	}
	sealed := bookingItem(t, ref, "HETU")
	if sealed == nil || sealed["sealed"] == nil {
		t.Fatal("the identity code should be stored sealed, apart from the booking")
	}
	drain(t)

	customer := mailsTo(t, addr)
	staff := mailsTo(t, register.MustLoad("museum").BookingContact)
	var staffMail *string
	for i := range staff {
		if strings.Contains(staff[i].Parsed.Subject, ref) {
			staffMail = &staff[i].Parsed.Text
			decision := linkIn(t, staff[i], "/bookings/decision")
			if !strings.Contains(*staffMail, "annettu") || strings.Contains(*staffMail, code) {
				t.Fatalf("staff mail must say the code was given, never show it:\n%s", *staffMail)
			}
			page := get(t, decision)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "Hyväksy") || !strings.Contains(page.Body, "Meikäläinen") {
				t.Fatalf("decision page: %d", page.Status)
			}
			if bookingItem(t, ref, "BOOKING")["status"] != "pending" {
				t.Fatal("opening the decision page must change nothing")
			}
			for i, want := range []int{http.StatusOK, http.StatusConflict} { // double click
				if got := decide(t, decision, "accept", ""); got.Status != want {
					t.Fatalf("accept #%d: want %d, got %d %s", i+1, want, got.Status, got.Body)
				}
			}
		}
	}
	if staffMail == nil || len(customer) != 1 || !strings.Contains(customer[0].Parsed.Subject, ref) {
		t.Fatalf("want a receipt to the customer and a notification to staff; got %d and %v", len(customer), staffMail != nil)
	}
	if linkIn(t, customer[0], "/bookings/cancel") == "" {
		t.Fatal("the receipt must carry a cancel link")
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 2 {
		t.Fatalf("double-clicking Accept must confirm once: %d mails", n)
	}
	b = bookingItem(t, ref, "BOOKING")
	if b["status"] != "accepted" || b["remindOn"] != bookingDay(2) || b["toInvoice"] != f["date"].(string)[:7] {
		t.Fatalf("accepted booking: %v", b)
	}
	// The reminder on the day before: TestClockRemindsTheDayBefore, where
	// the clock reaches that day.

	// Invoicing: the only decryption, audited, once.
	inv := booking.NewInvoicing(register.MustLoad("museum"), stack.Clients().DynamoDB, fieldcrypt.New(stack.Clients().KMS, ""),
		booking.Tables{Bookings: stack.Resolve("BookingsTable"), Audit: stack.Resolve("AuditTable")}, "test-staff").At(now)
	var out bytes.Buffer
	month := f["date"].(string)[:7]
	if _, err := inv.Export(context.Background(), month, month, &out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("the invoicing CSV does not parse: %v", err)
	}
	var row []string
	for _, r := range rows {
		if r[0] == ref {
			row = r
		}
	}
	if row == nil || row[9] != code || row[10] != "Kuusitie 5" {
		t.Fatalf("invoice CSV should carry the decrypted code for %s: %v", ref, rows)
	}
	if b = bookingItem(t, ref, "BOOKING"); b["invoicedAt"] == nil || b["toInvoice"] != nil {
		t.Fatalf("exported bookings are marked invoiced: %v", b)
	}
	h := bookingItem(t, ref, "HETU")
	if exp := time.Unix(int64(h["expiresAt"].(float64)), 0); exp.Before(now().AddDate(0, 2, 25)) || exp.After(now().AddDate(0, 3, 2)) {
		t.Errorf("the identity code should now expire 3 months after invoicing: %v", exp)
	}
	entries := auditEntries(t, "hetu.decrypted", ref)
	if len(entries) != 1 || entries[0]["actor"] != "test-staff" {
		t.Fatalf("each decryption is audited with who did it: %v", entries)
	}
	out.Reset()
	if n, err := inv.Export(context.Background(), month, month, &out); err != nil || strings.Contains(out.String(), ref) || n != 0 {
		t.Fatalf("a second export must not repeat invoiced bookings: %d %v", n, err)
	}

	// Sealed with another booking's context, the code cannot be opened.
	var hr struct {
		Sealed fieldcrypt.Sealed `dynamodbav:"sealed"`
	}
	raw, _ := stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(stack.Resolve("BookingsTable")), Key: dynamo.Key("BOOKING#"+ref, "HETU")})
	_ = attributevalue.UnmarshalMap(raw.Item, &hr)
	if _, err := fieldcrypt.New(stack.Clients().KMS, "").Open(context.Background(), hr.Sealed, booking.HetuContext("KAMU-OTHER")); err == nil {
		t.Fatal("opening with another booking's encryption context must fail")
	}
}

func auditEntries(t *testing.T, event, ref string) []map[string]any {
	t.Helper()
	out, err := stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(stack.Resolve("AuditTable")), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "AUDIT#" + now().UTC().Format("2006-01-02")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var all, match []map[string]any
	_ = attributevalue.UnmarshalListOfMaps(out.Items, &all)
	for _, e := range all {
		if e["event"] == event && e["ref"] == ref {
			match = append(match, e)
		}
	}
	return match
}

// accept finds the staff mail of ref and accepts through its link.
func staffDecisionLink(t *testing.T, ref string) string {
	t.Helper()
	drain(t)
	for _, m := range mailsTo(t, register.MustLoad("museum").BookingContact) {
		if strings.Contains(m.Parsed.Subject, ref) && strings.Contains(m.Parsed.Subject, "Uusi") {
			return linkIn(t, m, "/bookings/decision")
		}
	}
	t.Fatalf("no staff mail for %s", ref)
	return ""
}

func TestBookingCapacityIsKeptByConditionalWrites(t *testing.T) {
	day := freeDay()
	a, b := newAddress(t), newAddress(t)
	refA, _ := requestBooking(t, baseBooking(a).with("date", day, "start", "10:00", "end", "11:00"))
	refB, _ := requestBooking(t, baseBooking(b).with("date", day, "start", "10:30", "end", "12:00"))
	linkA, linkB := staffDecisionLink(t, refA), staffDecisionLink(t, refB)
	if r := decide(t, linkA, "accept", ""); r.Status != http.StatusOK {
		t.Fatalf("accept A: %d %s", r.Status, r.Body)
	}
	r := decide(t, linkB, "accept", "")
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "täyteen") {
		t.Fatalf("B overlaps A in a room for one: want 409 saying it is full, got %d %s", r.Status, r.Body)
	}
	if bookingItem(t, refB, "BOOKING")["status"] != "pending" {
		t.Fatal("a refused accept must leave the booking pending")
	}
	// A cancels: the slots are free again and B fits.
	drain(t)
	cancel := linkIn(t, at(t, mailsTo(t, a), -1), "/bookings/cancel")
	if r := post(t, "/bookings/cancel", url.Values{"token": {tokenOf(t, cancel)}}, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("cancel A: %d %s", r.Status, r.Body)
	}
	if r := decide(t, linkB, "accept", ""); r.Status != http.StatusOK {
		t.Fatalf("after A cancelled, B fits: %d %s", r.Status, r.Body)
	}
	// A workstation takes four at once, not five.
	wsDay := freeDay()
	var refs []string
	for range 5 {
		ref, _ := requestBooking(t, baseBooking(newAddress(t)).with("resource", "workstation", "participants", 1, "date", wsDay))
		refs = append(refs, ref)
	}
	accepted := 0
	for _, ref := range refs {
		if decide(t, staffDecisionLink(t, ref), "accept", "").Status == http.StatusOK {
			accepted++
		}
	}
	if accepted != 4 {
		t.Fatalf("workstation capacity 4: accepted %d", accepted)
	}
}

func TestBookingDeclineAndCancel(t *testing.T) {
	addr := newAddress(t)
	f := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", testCodes[1])
	ref, _ := requestBooking(t, f)
	link := staffDecisionLink(t, ref)
	if r := decide(t, link, "decline", ""); r.Status != http.StatusBadRequest {
		t.Fatalf("decline needs a reason: %d", r.Status)
	}
	if r := decide(t, link, "decline", "Tila on remontissa"); r.Status != http.StatusOK {
		t.Fatalf("decline: %d %s", r.Status, r.Body)
	}
	remember("Tila on remontissa")
	drain(t)
	mails := mailsTo(t, addr)
	if last := at(t, mails, -1); !strings.Contains(last.Parsed.Text, "Tila on remontissa") {
		t.Fatalf("the customer gets the reason: %s", last.Parsed.Text)
	}
	if bookingItem(t, ref, "HETU") != nil {
		t.Fatal("a declined booking's identity code must be deleted at once")
	}
	if r := decide(t, link, "accept", ""); r.Status != http.StatusConflict {
		t.Fatalf("a reused decision link changes nothing: %d", r.Status)
	}
	tampered := tokenOf(t, link)
	tampered = tampered[:len(tampered)-3] + "abc"
	r := post(t, "/bookings/decision", url.Values{"token": {tampered}, "action": {"accept"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Linkki ei ole kelvollinen") {
		t.Fatalf("a tampered decision link: want a clear 400 page, got %d", r.Status)
	}
	if cancel := get(t, "/bookings/cancel?token="+tampered); cancel.Status != http.StatusBadRequest {
		t.Fatalf("a decision token is no cancel token: %d", cancel.Status)
	}
	if bookingItem(t, ref, "BOOKING")["status"] != "declined" {
		t.Fatal("bad links must change nothing")
	}

	// A pending booking cancelled by the customer: staff are told.
	addr2 := newAddress(t)
	ref2, _ := requestBooking(t, baseBooking(addr2))
	drain(t)
	cancel := linkIn(t, at(t, mailsTo(t, addr2), 0), "/bookings/cancel")
	if page := get(t, cancel); page.Status != http.StatusOK || !strings.Contains(page.Body, ref2) {
		t.Fatalf("cancel page: %d", page.Status)
	}
	for range 2 {
		if r := post(t, "/bookings/cancel", url.Values{"token": {tokenOf(t, cancel)}}, "Accept", "application/json"); r.Status != http.StatusOK {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
	}
	drain(t)
	told := 0
	for _, m := range mailsTo(t, register.MustLoad("museum").BookingContact) {
		if strings.Contains(m.Parsed.Subject, ref2) && strings.Contains(m.Parsed.Subject, "peruttu") {
			told++
		}
	}
	if told != 1 {
		t.Fatalf("staff should be told of the cancellation once, got %d", told)
	}
}

func TestBookingBadInput(t *testing.T) {
	addr := newAddress(t)
	base := baseBooking(addr)
	inv := base.with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo")
	cases := []struct {
		name  string
		form  bookingForm
		field string
	}{
		{"unknown resource", base.with("resource", "sauna"), "resource"},
		{"past date", base.with("date", bookingDay(-1)), "date"},
		{"too far ahead", base.with("date", bookingDay(366)), "date"},
		{"bad time", base.with("start", "25:00"), "start"},
		{"end before start", base.with("start", "12:00", "end", "11:00"), "end"},
		{"no participants", base.with("participants", 0), "participants"},
		{"too many for the room", base.with("participants", 21), "participants"},
		{"missing name", base.with("first_name", nil), "first_name"},
		{"bad e-mail", base.with("email", "nobody"), "email"},
		{"bad phone", base.with("phone", "call me"), "phone"},
		{"bad business id", base.with("business_id", "1234567-8"), "business_id"},
		{"bad payment", base.with("payment", "cash"), "payment"},
		{"invoice without address", base.with("payment", "invoice", "hetu", testCodes[2]), "street"},
		{"invoice without hetu or business id", inv, "hetu"},
		{"hetu with card payment", base.with("hetu", testCodes[2]), "hetu"},
		{"hetu with a business id", inv.with("business_id", "0112038-9", "hetu", testCodes[2]), "hetu"},
		{"hetu wrong check character", inv.with("hetu", "010594Y9033"), "hetu"},
		{"hetu impossible date", inv.with("hetu", "310294-1234"), "hetu"},
		{"over-long notes", base.with("notes", strings.Repeat("x", 2001)), "notes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(c.form)
			r := post(t, "/bookings", string(body))
			var got struct{ Errors map[string]string }
			_ = json.Unmarshal([]byte(r.Body), &got)
			if r.Status != http.StatusBadRequest || got.Errors[c.field] == "" {
				t.Fatalf("want 400 with a message for %s, got %d %s", c.field, r.Status, r.Body)
			}
			if strings.Contains(r.Body, testCodes[2]) || strings.Contains(r.Body, "010594Y9033") {
				t.Fatal("an identity code must never be shown back")
			}
		})
	}
	if _, r := requestBooking(t, inv.with("business_id", "0112038-9")); r.Status != http.StatusAccepted {
		t.Fatalf("an invoice to an organisation needs no identity code: %d %s", r.Status, r.Body)
	}
	if r := post(t, "/bookings", url.Values{"notes": {strings.Repeat("x", 33<<10)}}); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over 32 KiB: %d", r.Status)
	}
	// The HTML form comes back with messages, never with the code.
	r := post(t, "/bookings", url.Values{"resource": {"guide"}, "date": {bookingDay(-2)}, "payment": {"card"}, "hetu": {testCodes[2]}, "lang": {"fi"}})
	if r.Status != http.StatusBadRequest || strings.Contains(r.Body, testCodes[2]) || !strings.Contains(r.Body, "menneisyydessä") {
		t.Fatalf("form errors: %d", r.Status)
	}
}

func TestBookingHoneypotAndKMSUnavailable(t *testing.T) {
	addr := newAddress(t)
	ref, r := requestBooking(t, baseBooking(addr).with("website", "http://spam.example"))
	if r.Status != http.StatusAccepted || ref == "" {
		t.Fatalf("a bot gets the same 202: %d %s", r.Status, r.Body)
	}
	if bookingItem(t, ref, "BOOKING") != nil {
		t.Fatal("honeypot: nothing stored")
	}
	faults.FailNext("KMS.GenerateDataKey", 1)
	f := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo", "hetu", testCodes[3])
	ref, r = requestBooking(t, f)
	if r.Status != http.StatusServiceUnavailable || ref != "" || strings.Contains(r.Body, "InjectedFault") {
		t.Fatalf("KMS down: want a 503 that says to retry, got %d %s", r.Status, r.Body)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 0 {
		t.Fatalf("nothing may be stored or sent half-way: %d mails", n)
	}
}

func TestBookingFormAndDefinition(t *testing.T) {
	page := get(t, "/bookings?lang=sv")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="hetu"`) || !strings.Contains(page.Body, "Boka") {
		t.Fatalf("form: %d", page.Status)
	}
	r := get(t, "/bookings?lang=en", "Accept", "application/json")
	var def struct {
		Resources []struct {
			ID       string
			Capacity int
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &def); err != nil || len(def.Resources) != 5 {
		t.Fatalf("definition: %v %s", err, r.Body)
	}
}
