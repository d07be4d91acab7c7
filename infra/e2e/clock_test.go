package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local"
	"rekisteri/internal/helsinki"
)

// now is the time the suite's functions see: test data follows the stack's
// clock, which tests move forward through /_local/clock.
func now() time.Time { return stack.Clock.Now() }

// advance moves the suite's clock forward through the HTTP endpoint, as a
// person does against `make run`, and returns the new time.
func advance(t *testing.T, by string) time.Time {
	t.Helper()
	return moveClock(t, server.URL, url.Values{"advance": {by}})
}

func moveClock(t *testing.T, base string, move url.Values) time.Time {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+local.ClockPath, strings.NewReader(move.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := do(t, req)
	var out struct{ Now string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusOK {
		t.Fatalf("move the clock %v: %d %s", move, r.Status, r.Body)
	}
	at, err := time.Parse(time.RFC3339, out.Now)
	if err != nil {
		t.Fatalf("the clock answers %q: %v", out.Now, err)
	}
	return at
}

func TestClockEndpoint(t *testing.T) {
	r := get(t, local.ClockPath)
	var shown struct{ Now string }
	if err := json.Unmarshal([]byte(r.Body), &shown); err != nil || r.Status != http.StatusOK {
		t.Fatalf("GET the clock: %d %s", r.Status, r.Body)
	}
	if at, err := time.Parse(time.RFC3339, shown.Now); err != nil || at.Sub(now()).Abs() > 2*time.Second {
		t.Fatalf("the clock shows %q, the functions see %s", shown.Now, now())
	}
	before := now()
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"back in time", url.Values{"set": {before.Add(-time.Hour).Format(time.RFC3339)}}, "only moves forward"},
		{"negative", `{"advance":"-1d"}`, "only moves forward"},
		{"weeks are no unit", url.Values{"advance": {"2w"}}, "h (hours), d (days), m (months) or y (years)"},
		{"nothing to do", url.Values{}, "give advance"},
	} {
		r := post(t, local.ClockPath, tc.body)
		var out map[string]string
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusBadRequest || !strings.Contains(out["error"], tc.want) {
			t.Errorf("%s: want 400 with %q, got %d %s", tc.name, tc.want, r.Status, r.Body)
		}
	}
	if d := now().Sub(before); d < 0 || d > 5*time.Second {
		t.Fatalf("refused moves must leave the clock as it was: moved %s", d)
	}
}

// clockSite is a second local stack on the suite's emulators, with its own
// tables, queues, HTTP server and clock, for tests that move time by days:
// the suite's own stack stays within hours of the real time other tests
// (and the suite's other engineers' tests) may still compute dates from.
type clockSite struct {
	stack *local.Stack
	url   string
}

var (
	clockSiteOnce sync.Once
	clockSiteV    *clockSite
	clockSiteErr  error
)

func siteWithItsOwnClock(t *testing.T) *clockSite {
	t.Helper()
	clockSiteOnce.Do(func() {
		// Ends with the test process, as the suite's own server does.
		clockSiteV, _, clockSiteErr = startOwnStack("clk", nil)
	})
	if clockSiteErr != nil {
		t.Fatalf("second local stack: %v", clockSiteErr)
	}
	return clockSiteV
}

func (c *clockSite) post(t *testing.T, path string, body url.Values, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url+path, strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func (c *clockSite) postJSON(t *testing.T, path string, body any) response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.url+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func (c *clockSite) drain(t *testing.T) {
	t.Helper()
	if err := c.stack.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (c *clockSite) runSchedules(t *testing.T, function string) {
	t.Helper()
	if err := c.stack.RunSchedules(context.Background(), function); err != nil {
		t.Fatal(err)
	}
	c.drain(t)
}

// TestClockExpiresAConfirmationLink: nobody waits seven days to see a
// confirmation link expire; the clock moves eight days on.
func TestClockExpiresAConfirmationLink(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr := newAddress(t)
	if r := site.post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "lists": {"newsletter"}, "consent": {"true"}, "lang": {"en"}}); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	link := linkIn(t, at(t, mailsTo(t, addr), 0), "/newsletter/confirm")
	if !strings.HasPrefix(link, site.url) {
		t.Fatalf("the link %s should lead to the stack that sent it (%s)", link, site.url)
	}
	if page := get(t, link); page.Status != http.StatusOK || strings.Contains(page.Body, "expired") {
		t.Fatalf("a fresh link shows its Confirm button: %d %s", page.Status, page.Body)
	}
	before := site.stack.Clock.Now()
	moved := moveClock(t, site.url, url.Values{"advance": {"8d"}})
	if d := moved.Sub(before); d < 8*24*time.Hour-time.Second || d > 8*24*time.Hour+time.Minute {
		t.Fatalf("advance 8d moved the clock by %s", d)
	}
	if page := get(t, link); page.Status != http.StatusBadRequest || !strings.Contains(page.Body, "The link has expired") {
		t.Fatalf("eight days on, the link answers its expired page; got %d %s", page.Status, page.Body)
	}
	r := site.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, link)}, "lang": {"en"}}, "Accept", "application/json")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "expired") {
		t.Fatalf("an expired link confirms nothing: %d %s", r.Status, r.Body)
	}
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Fatalf("no welcome mail after an expired confirmation: %d mails", n)
	}
}

// TestClockRemindsTheDayBefore: the reminder schedule mails an accepted
// booking's customer once, when the clock reaches the day before.
func TestClockRemindsTheDayBefore(t *testing.T) {
	site := siteWithItsOwnClock(t)
	addr := newAddress(t)
	remember("Maija", "Meikäläinen", "Projektori tarvitaan")
	day := helsinki.Today(site.stack.Clock.Now()).AddDate(0, 0, 3)
	f := baseBooking(addr)
	f["date"] = day.Format("2006-01-02")
	r := site.postJSON(t, "/bookings", f)
	var out struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	decision := staffDecisionLink(t, out.Reference)
	if d := site.post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, decision)}, "action": {"accept"}}, "Accept", "application/json"); d.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", d.Status, d.Body)
	}
	site.drain(t)
	if n := len(mailsTo(t, addr)); n != 2 {
		t.Fatalf("want the receipt and the acceptance, got %d mails", n)
	}
	site.runSchedules(t, "BookingsFunction")
	if n := len(mailsTo(t, addr)); n != 2 {
		t.Fatalf("three days before, no reminder yet: %d mails", n)
	}

	// 09:00 in Helsinki on the day before, when the deployed schedule runs.
	nine := day.AddDate(0, 0, -1).Add(9 * time.Hour)
	nine = nine.Add(-helsinki.Local(nine).Sub(nine)) // wall clock to instant (EET or EEST)
	if moved := moveClock(t, site.url, url.Values{"set": {nine.Format(time.RFC3339)}}); !moved.Equal(nine) {
		t.Fatalf("set: the clock says %s, want %s", moved, nine)
	}
	for range 2 { // run twice, mail once
		site.runSchedules(t, "BookingsFunction")
	}
	mails := mailsTo(t, addr)
	if len(mails) != 3 || !strings.Contains(mails[2].Parsed.Subject, "Reminder") {
		t.Fatalf("want exactly one reminder on the day before, got %d mails", len(mails))
	}
}

// TestClockIsTheSurveysToday: the survey's "today" (no visits in the
// future) and the answer's arrival day are the clock's, a year on.
func TestClockIsTheSurveysToday(t *testing.T) {
	site := siteWithItsOwnClock(t)
	moved := moveClock(t, site.url, url.Values{"advance": {"1y"}})
	visit := helsinki.Today(moved).Format("2006-01-02")
	text := "Vuoden päästä " + randomHex(4)
	if r := site.post(t, "/feedback", url.Values{"visit_date": {visit}, "feedback": {text}, "lang": {"en"}}); r.Status != http.StatusAccepted {
		t.Fatalf("a visit on the clock's today is no visit in the future: %d %s", r.Status, r.Body)
	}
	tomorrow := helsinki.Today(moved).AddDate(0, 0, 1).Format("2006-01-02")
	if r := site.post(t, "/feedback", url.Values{"visit_date": {tomorrow}, "lang": {"en"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("the clock's tomorrow is in the future: %d %s", r.Status, r.Body)
	}
	var items []map[string]any
	var start map[string]types.AttributeValue
	for {
		out, err := site.stack.Clients().DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(site.stack.Resolve("FeedbackTable")), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		var page []map[string]any
		_ = attributevalue.UnmarshalListOfMaps(out.Items, &page)
		items = append(items, page...)
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	found := false
	for _, it := range items {
		if it["feedback"] == text {
			found = true
			if it["receivedOn"] != moved.UTC().Format("2006-01-02") {
				t.Errorf("the answer arrived on the clock's day %s, stored %v", moved.UTC().Format("2006-01-02"), it["receivedOn"])
			}
		}
	}
	if !found {
		t.Fatalf("the answer's free text is not in %s", site.stack.Resolve("FeedbackTable"))
	}
}
