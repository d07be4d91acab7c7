package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/hetu"
	"rekisteri/internal/library"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// circulationSite is a stack of its own on the suite's emulators: its own
// clock (moved by a year here) and its own statistics table, so the
// counts it reads are this test's alone.
func startCirculationSite(t *testing.T) (*clockSite, *library.Service) {
	t.Helper()
	return librarySite(t, "circ")
}

// libraryHetu is a valid identity code of someone born on day (a fresh
// individual number, so the suite's patrons never collide).
func libraryHetu(day time.Time) string { return hetu.Make(day, 2+rand.IntN(897)) }

// newCirculationPatron pre-registers an adult through the form and
// collects the card as staff do (library.Service.Collect, what `staff
// library collect` calls); it returns the customer number.
func newCirculationPatron(t *testing.T, site *clockSite, svc *library.Service, born time.Time) string {
	t.Helper()
	first, last, code := "Kaarina"+randomHex(2), "Lainaaja"+randomHex(2), libraryHetu(born)
	addr := newAddress(t)
	remember(first, last, code)
	r := site.postJSON(t, "/library/register", map[string]string{"first_name": first, "last_name": last, "hetu": code,
		"street": "Lainaajantie 5", "postcode": "02100", "city": "Espoo", "email": addr, "lang": "fi", "channel": "email", "group": "adult"})
	var out struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || out.Reference == "" {
		t.Fatalf("pre-register: %d %s", r.Status, r.Body)
	}
	number, err := svc.Collect(context.Background(), out.Reference, "e2e staff")
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	remember(number)
	return number
}

func libraryItem(t *testing.T, site *clockSite, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := site.stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(site.stack.Env["LibraryFunction"][table]), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func postCirculation(t *testing.T, site *clockSite, events []map[string]any) library.BatchResult {
	t.Helper()
	r := site.postJSON(t, "/library/circulation", map[string]any{"events": events})
	var res library.BatchResult
	if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != http.StatusOK {
		t.Fatalf("circulation: %d %s", r.Status, r.Body)
	}
	return res
}

// TestLibraryCirculationFeed: a batch with a loan, a renewal, a second
// loan and its return, a fee and its payment and one bad event applies
// all but the bad one, which is named by its index; the same batch again
// is all duplicates; the loans and fees moved; the patron's last use and
// its expiry follow the rule (kept while a loan is open; 3 years from the
// last use to the next 1 January once nothing is); the statistics count
// the loans without the patron and suppress small cells.
func TestLibraryCirculationFeed(t *testing.T) {
	site, svc := startCirculationSite(t)
	now := site.stack.Clock.Now().UTC().Truncate(time.Second)
	number := newCirculationPatron(t, site, svc, time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC))
	pk := library.PatronPK(number)
	collected := libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron)
	if av(collected["status"]) != library.StateActive || av(collected["expiresAt"]) == "" {
		t.Fatalf("a new patron is active with its 3-year expiry: %v %v", av(collected["status"]), collected["expiresAt"])
	}
	// A day after the card was collected (and its lastUsedAt stamped), the
	// patron borrows: each event's time is later than that use.
	now = moveClock(t, site.url, url.Values{"advance": {"1d"}}).UTC().Truncate(time.Second)
	run := randomHex(3)
	id := func(s string) string { return "e2e-" + run + "-" + s }
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	due := now.AddDate(0, 0, 28).Format(time.DateOnly)
	renewed := now.AddDate(0, 0, 56).Format(time.DateOnly)
	book := map[string]any{"id": "i1-" + run, "title": "Seitsemän veljestä", "price": "23.50"}
	other := map[string]any{"id": "i2-" + run, "title": "Tuntematon sotilas", "price": "19.90"}
	batch := []map[string]any{
		{"id": id("loan1"), "type": "loan", "customer": number, "at": at(-3 * time.Hour), "library": "espoo", "item": book, "due": due},
		{"id": id("loan2"), "type": "loan", "customer": number, "at": at(-3 * time.Hour), "library": "espoo", "item": other, "due": due},
		{"id": id("renew1"), "type": "renewal", "customer": number, "at": at(-2 * time.Hour), "library": "espoo", "item": map[string]any{"id": book["id"]}, "due": renewed},
		{"id": id("bad"), "type": "borrow", "customer": number, "at": at(-2 * time.Hour), "library": "espoo", "item": book, "due": due},
		{"id": id("return2"), "type": "return", "customer": number, "at": at(-90 * time.Minute), "library": "espoo", "item": map[string]any{"id": other["id"]}},
		{"id": id("fee1"), "type": "fee", "customer": number, "at": at(-80 * time.Minute), "library": "espoo", "item": map[string]any{"id": other["id"]}, "amount": "2.00"},
		{"id": id("pay1"), "type": "payment", "customer": number, "at": at(-time.Hour), "library": "espoo", "amount": "2.00"},
		{"id": id("stranger"), "type": "loan", "customer": "9" + number, "at": at(-time.Hour), "library": "espoo", "item": book, "due": due},
	}
	res := postCirculation(t, site, batch)
	wantRejected := []library.Rejection{{Index: 3, Error: "unknown type"}, {Index: 7, Error: "unknown customer"}}
	if res.Accepted != 6 || res.Duplicates != 0 || !slices.Equal(res.Rejected, wantRejected) {
		t.Fatalf("first delivery: %+v", res)
	}
	again := postCirculation(t, site, batch)
	if again.Accepted != 0 || again.Duplicates != 6 || !slices.Equal(again.Rejected, wantRejected) {
		t.Fatalf("the same batch again is all duplicates: %+v", again)
	}

	// The loans: the first open, renewed, on the byDue index; the returned one gone.
	loan := libraryItem(t, site, "LOANS_TABLE", pk, library.LoanSK(book["id"].(string)))
	for attr, want := range map[string]string{"kind": "loan", "type": "loan", "status": "open", "owner": "espoo", "title": "Seitsemän veljestä",
		"price": "23.50", "dueDate": renewed, "renewals": "1", "dueShard": library.DueShard(book["id"].(string)), "loanedAt": at(-3 * time.Hour),
		"subjectKey": av(collected["subjectKey"])} {
		if got := av(loan[attr]); got != want {
			t.Errorf("loan %s = %q, want %q", attr, got, want)
		}
	}
	if _, ok := loan["expiresAt"]; ok {
		t.Error("an open loan is kept until returned: no expiry")
	}
	if gone := libraryItem(t, site, "LOANS_TABLE", pk, library.LoanSK(other["id"].(string))); len(gone) != 0 {
		t.Errorf("a returned loan is deleted at once: %v", keys(gone))
	}
	fee := libraryItem(t, site, "LOANS_TABLE", pk, library.FeeSK(id("fee1")))
	if av(fee["status"]) != library.FeeResolved || av(fee["amount"]) != "2.00" || av(fee["resolvedAt"]) != at(-time.Hour) ||
		av(fee["expiryRule"]) != "fee-resolved" || av(fee["loanRef"]) != other["id"] {
		t.Errorf("the paid fee: %v %v %v %v", av(fee["status"]), av(fee["amount"]), av(fee["resolvedAt"]), av(fee["expiryRule"]))
	}
	if ev := libraryItem(t, site, "LOANS_TABLE", "circ#"+id("loan1"), "event"); av(ev["kind"]) != "circulation-event" || av(ev["expiryRule"]) != "circulation-event" {
		t.Errorf("the applied event's id is kept for 30 days: %v", ev)
	}

	// The patron: used at the last event, kept while the loan is open.
	p := libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron)
	if av(p["lastUsedAt"]) != at(-time.Hour) || av(p["openLoans"]) != "1" || av(p["unpaidFees"]) != "0" ||
		av(p["status"]) != library.StateUnresolved || av(p["expiryRule"]) != "patron-unresolved" {
		t.Fatalf("after the batch: lastUsedAt %s openLoans %s unpaidFees %s status %s rule %s",
			av(p["lastUsedAt"]), av(p["openLoans"]), av(p["unpaidFees"]), av(p["status"]), av(p["expiryRule"]))
	}

	// A year and a bit on, the item comes back: nothing open, active again,
	// 3 years from this use to the next 1 January.
	later := moveClock(t, site.url, url.Values{"advance": {"400d"}}).UTC()
	res = postCirculation(t, site, []map[string]any{
		{"id": id("return1"), "type": "return", "customer": number, "at": later.Format(time.RFC3339), "library": "vantaa", "item": map[string]any{"id": book["id"]}},
		{"id": id("fee2"), "type": "fee", "customer": number, "at": later.Format(time.RFC3339), "library": "vantaa", "amount": "1.50"},
		{"id": id("pay2"), "type": "payment", "customer": number, "at": later.Format(time.RFC3339), "library": "vantaa", "amount": "1.00"},
	})
	if res.Accepted != 3 || len(res.Rejected) != 0 {
		t.Fatalf("the return: %+v", res)
	}
	p = libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron)
	if av(p["unpaidFees"]) != "1" || av(p["status"]) != library.StateUnresolved || av(p["expiryRule"]) != "patron-unresolved" {
		t.Fatalf("a part-paid fee keeps the patron: unpaidFees %s status %s", av(p["unpaidFees"]), av(p["status"]))
	}
	if f := libraryItem(t, site, "LOANS_TABLE", pk, library.FeeSK(id("fee2"))); av(f["paid"]) != "1.00" || av(f["status"]) != library.FeeUnpaid {
		t.Errorf("the part payment: paid %s status %s", av(f["paid"]), av(f["status"]))
	}
	postCirculation(t, site, []map[string]any{{"id": id("pay3"), "type": "payment", "customer": number, "at": later.Format(time.RFC3339), "library": "vantaa", "amount": "0.50"}})
	p = libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron)
	wantExpiry := time.Date(later.Year()+3+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if av(p["status"]) != library.StateActive || av(p["openLoans"]) != "0" || av(p["unpaidFees"]) != "0" ||
		av(p["lastUsedAt"]) != later.Format(time.RFC3339) || av(p["expiresAt"]) != strconv.FormatInt(wantExpiry.Unix(), 10) ||
		av(p["expiryRule"]) != "patron-inactive" {
		t.Fatalf("nothing open: status %s lastUsedAt %s expiresAt %s (want %s, %s)", av(p["status"]), av(p["lastUsedAt"]), av(p["expiresAt"]),
			later.Format(time.RFC3339), wantExpiry)
	}
	if av(p["expiresAt"]) == av(collected["expiresAt"]) {
		t.Error("the expiry did not move with the last use")
	}
	if gone := libraryItem(t, site, "LOANS_TABLE", pk, library.LoanSK(book["id"].(string))); len(gone) != 0 {
		t.Error("the returned loan stays")
	}

	// Five loans more in Helsinki: that cell is shown, Espoo's two are not.
	var five []map[string]any
	for i := range 5 {
		five = append(five, map[string]any{"id": id("h" + strconv.Itoa(i)), "type": "loan", "customer": number, "at": later.Format(time.RFC3339),
			"library": "helsinki", "item": map[string]any{"id": fmt.Sprintf("h%d-%s", i, run), "title": "Kalevala", "price": "30"}, "due": due})
	}
	if res := postCirculation(t, site, five); res.Accepted != 5 {
		t.Fatalf("five loans: %+v", res)
	}
	espoo, helsinki := now.Add(-3*time.Hour), later
	report, err := library.LoanStatistics(context.Background(), site.stack.Clients().DynamoDB, site.stack.Env["LibraryFunction"]["STATISTICS_TABLE"],
		espoo.Format("2006-01"), helsinki.Format("2006-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := report.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	age := func(day time.Time) string { return library.AgeBand("1980-05-17", day) }
	want := "month,library,customer_group,age_band,lang,gender,loans\n" +
		fmt.Sprintf("%s,espoo,adult,%s,fi,unknown,<5\n", localMonth(espoo), age(espoo)) +
		fmt.Sprintf("%s,helsinki,adult,%s,fi,unknown,5\n", localMonth(helsinki), age(helsinki))
	if csv.String() != want {
		t.Errorf("statistics\n%s\nwant\n%s", csv.String(), want)
	}
	for _, personal := range []string{number, "1980-05-17", "170580"} {
		if strings.Contains(csv.String(), personal) {
			t.Errorf("the statistics carry %q", personal)
		}
	}
	checkDeclared(t, site, pk)
}

// localMonth is the month in Finland, as the counters are kept.
func localMonth(t time.Time) string { return helsinki.Local(t).Format("2006-01") }

// av is a stored string or number as text ("" when missing).
func av(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return x.Value
	}
	return ""
}

// checkDeclared: every item the feed left in the loans and statistics
// tables (and the patron) is of a declared kind with declared attributes.
func checkDeclared(t *testing.T, site *clockSite, pk string) {
	t.Helper()
	reg := register.MustLoad("library")
	db := site.stack.Clients().DynamoDB
	for table, declared := range map[string]string{"LOANS_TABLE": "loans", "STATISTICS_TABLE": "statistics", "PATRONS_TABLE": "patrons"} {
		var start map[string]types.AttributeValue
		for {
			// A Scan of this test's own stack's table: an inspection, not the code's path.
			out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(site.stack.Env["LibraryFunction"][table]), ExclusiveStartKey: start})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.Items {
				rk, ok := reg.Record(av(it["kind"]))
				if !ok || rk.Table != declared {
					t.Errorf("%s: kind %q is not declared for it", declared, av(it["kind"]))
					continue
				}
				for attr := range it {
					if !slices.Contains(rk.Attributes, attr) && !slices.Contains(record.Envelope, attr) {
						t.Errorf("%s: kind %s stores undeclared attribute %q", declared, rk.Kind, attr)
					}
				}
				if declared == "statistics" {
					for _, v := range it {
						if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, strings.TrimPrefix(pk, "patron#")) {
							t.Errorf("a usage statistic carries the customer number: %v", keys(it))
						}
					}
				}
			}
			if start = out.LastEvaluatedKey; start == nil {
				break
			}
		}
	}
}
