package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/feedback"
	"rekisteri/internal/subject"
)

func thisMonth() string { return now().UTC().Format("2006-01") }

// feedbackItems reads this month's partition of the feedback table.
func feedbackItems(t *testing.T) []map[string]any {
	t.Helper()
	out, err := stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(stack.Resolve("FeedbackTable")), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ANSWER#" + thisMonth()}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// answerWithText finds the answer whose free text is text, and the text item.
func answerWithText(t *testing.T, text string) (answer, free map[string]any) {
	t.Helper()
	items := feedbackItems(t)
	for _, it := range items {
		if it["feedback"] == text {
			free = it
		}
	}
	if free == nil {
		t.Fatalf("no stored free text %q", text)
	}
	id := strings.TrimSuffix(free["sk"].(string), "#TEXT")
	for _, it := range items {
		if it["sk"] == id {
			answer = it
		}
	}
	if answer == nil {
		t.Fatalf("free text %q has no answer", text)
	}
	return answer, free
}

func today() string { return now().UTC().Format("2006-01-02") }

func TestFeedbackIsStoredWithoutIdentifiers(t *testing.T) {
	addr := newAddress(t)
	remember("Ville Vierailija")
	text := "Hieno näyttely " + randomHex(4)
	remember(text)
	body, _ := json.Marshal(map[string]any{
		"visit_date": today(), "visit_reason": "exhibition", "info_source": []string{"website", "friends"},
		"services_used": []string{"exhibitions", "cafe"}, "feedback": text, "previous_use": map[string]string{"kamu": "several", "glims": "never"},
		"museum_card": "yes", "transport": "public-transport", "party": "family", "age_group": "30-44", "gender": "not-say",
		"home_postcode": "02100", "name": "Ville Vierailija", "email": addr, "lang": "en",
	})
	r := post(t, "/feedback", string(body), "User-Agent", "TestBrowser/1.0")
	if r.Status != http.StatusAccepted || strings.TrimSpace(r.Body) != `{"status":"received"}` {
		t.Fatalf("JSON submission: %d %s", r.Status, r.Body)
	}
	answer, free := answerWithText(t, text)
	if answer["receivedOn"] != today() || answer["visitMonth"] != thisMonth() {
		t.Errorf("time stamps must be coarse: receivedOn %v, visitMonth %v", answer["receivedOn"], answer["visitMonth"])
	}
	for k, v := range answer {
		s := fmt.Sprint(v)
		if strings.Contains(s, addr) || strings.Contains(s, "Ville") || strings.Contains(s, "TestBrowser") || strings.Contains(s, "127.0.0.1") {
			t.Errorf("the answer holds an identifier in %s: %v", k, v)
		}
	}
	for _, k := range []string{"email", "name", "subjectKey", "contactId", "ip", "userAgent", "createdAt"} {
		if _, ok := answer[k]; ok {
			t.Errorf("an anonymous answer must not have %s", k)
		}
	}
	if pu, _ := answer["previous_use"].(map[string]any); pu["kamu"] != "several" || pu["glims"] != "never" {
		t.Errorf("previous use per location: %v", answer["previous_use"])
	}
	// The free text lives apart, on a shorter timer than the answer.
	if free["expiresAt"].(float64) >= answer["expiresAt"].(float64) {
		t.Errorf("free text should expire before the answer: %v vs %v", free["expiresAt"], answer["expiresAt"])
	}
	if exp := time.Unix(int64(free["expiresAt"].(float64)), 0); exp.Before(now().AddDate(0, 5, 25)) || exp.After(now().AddDate(0, 6, 2)) {
		t.Errorf("free text should expire in 6 months, expires %v", exp)
	}

	// The same survey as an HTML form.
	text2 := "Lomakkeelta " + randomHex(4)
	remember(text2, "sateensuoja")
	r = post(t, "/feedback", url.Values{
		"visit_date": {today()}, "visit_reason": {"other"}, "visit_reason_other": {"sateensuoja"}, "info_source": {"poster", "passing-by"},
		"previous_use.kamu": {"once"}, "feedback": {text2}, "home_abroad": {"true"}, "lang": {"sv"},
	})
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "Tack") {
		t.Fatalf("form submission: %d", r.Status)
	}
	answer, free = answerWithText(t, text2)
	if answer["home_abroad"] != true || answer["lang"] != "sv" || free["visit_reason_other"] != "sateensuoja" {
		t.Errorf("form answer: %v / %v", answer, free)
	}
}

func TestFeedbackContactIsLinkedOnlyWhenAReplyIsWanted(t *testing.T) {
	addr := newAddress(t)
	remember("Kaija Kysyjä")
	text := "Vastatkaa " + randomHex(4)
	remember(text)
	r := post(t, "/feedback", url.Values{"visit_date": {today()}, "feedback": {text}, "contact_me": {"true"}, "name": {"Kaija Kysyjä"}, "email": {addr}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	answer, _ := answerWithText(t, text)
	id, _ := answer["contactId"].(string)
	if id == "" {
		t.Fatal("contact_me must link the answer to a contact record")
	}
	contact := item(t, "FeedbackTable", "CONTACT#"+id, "CONTACT")
	sk := subject.EmailKey(subjectSecret(t), addr)
	if contact["email"] != addr || contact["name"] != "Kaija Kysyjä" || contact["subjectKey"] != sk {
		t.Fatalf("contact record: %v", contact)
	}
	if exp := time.Unix(int64(contact["expiresAt"].(float64)), 0); exp.Before(now().AddDate(0, 11, 25)) || exp.After(now().AddDate(0, 12, 2)) {
		t.Errorf("contact should expire in 12 months, expires %v", exp)
	}
	q, err := stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(stack.Resolve("FeedbackTable")), IndexName: aws.String("bySubject"),
		KeyConditionExpression:    aws.String("subjectKey = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || len(q.Items) != 1 {
		t.Fatalf("a data-subject request must find the contact by subject key: %d %v", len(q.Items), err)
	}

	// Name and e-mail without contact_me or newsletter consent are dropped.
	text = "Nimettömänä " + randomHex(4)
	post(t, "/feedback", url.Values{"visit_date": {today()}, "feedback": {text}, "name": {"Kaija Kysyjä"}, "email": {addr}})
	answer, _ = answerWithText(t, text)
	if _, ok := answer["contactId"]; ok {
		t.Fatal("without contact_me nothing may be linked")
	}
}

func TestFeedbackNewsletterConsentStartsDoubleOptIn(t *testing.T) {
	addr := newAddress(t)
	text := "Uutiskirjettä " + randomHex(4)
	faults.FailNext("SQS.SendMessage", 1) // the handover's queue message is lost
	r := post(t, "/feedback", url.Values{"visit_date": {today()}, "feedback": {text}, "newsletter_consent": {"true"}, "email": {addr}, "lang": {"en"}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("a lost queue message must not lose the feedback: %d %s", r.Status, r.Body)
	}
	answer, _ := answerWithText(t, text)
	if _, ok := answer["contactId"]; ok {
		t.Fatal("a newsletter consent must not link the answer to anyone")
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 0 {
		t.Fatalf("nothing was queued yet %d mails", n)
	}
	// The relay finds the stored handover once it is old enough.
	if len(pendingSignups(t)) == 0 {
		t.Fatal("the handover should wait on the byPending index")
	}
	if err := stack.RunSchedules(context.Background(), "NewsletterFunction"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 0 || len(pendingSignups(t)) == 0 {
		t.Fatalf("the relay must leave a fresh handover to its queue message: %d mails", n)
	}
	advance(t, "1h")
	if err := stack.RunSchedules(context.Background(), "NewsletterFunction"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	mails := mailsTo(t, addr)
	if len(mails) != 1 || !strings.Contains(mails[0].Parsed.Subject, "confirm") {
		t.Fatalf("want the newsletter's own confirmation mail, got %d", len(mails))
	}
	sub := subscriptionOf(t, addr, "newsletter")
	if sub["status"] != "pending" || sub["channel"] != "feedback-survey" {
		t.Fatalf("subscription from the survey: %v", sub)
	}
	if len(pendingSignups(t)) != 0 {
		t.Fatal("handled handovers must leave the index and the table")
	}
}

func pendingSignups(t *testing.T) []string {
	t.Helper()
	pks, err := dynamo.PendingBefore(context.Background(), stack.Clients().DynamoDB, stack.Resolve("SubscribersTable"), "9999", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return pks
}

func TestFeedbackResubmittedFormIsStoredOnce(t *testing.T) {
	text := "Kahdesti " + randomHex(4)
	form := url.Values{"visit_date": {today()}, "feedback": {text}, "nonce": {"nonce-" + randomHex(12)}}
	for range 2 {
		if r := post(t, "/feedback", form); r.Status != http.StatusAccepted {
			t.Fatalf("%d", r.Status)
		}
	}
	n := 0
	for _, it := range feedbackItems(t) {
		if it["feedback"] == text {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("same nonce: want 1 stored answer, got %d", n)
	}
}

func TestFeedbackBadInput(t *testing.T) {
	future := now().AddDate(0, 0, 3).Format("2006-01-02")
	old := now().AddDate(0, 0, -400).Format("2006-01-02")
	cases := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"missing date", url.Values{}, "visit_date"},
		{"malformed date", url.Values{"visit_date": {"23.11.2026"}}, "visit_date"},
		{"future date", url.Values{"visit_date": {future}}, "visit_date"},
		{"too old", url.Values{"visit_date": {old}}, "visit_date"},
		{"unknown option", url.Values{"visit_date": {today()}, "transport": {"rocket"}}, "transport"},
		{"unknown multi option", url.Values{"visit_date": {today()}, "info_source": {"website", "tv"}}, "info_source"},
		{"unknown location", url.Values{"visit_date": {today()}, "previous_use.louvre": {"once"}}, "previous_use.louvre"},
		{"malformed postcode", url.Values{"visit_date": {today()}, "home_postcode": {"0210"}}, "home_postcode"},
		{"two home fields", url.Values{"visit_date": {today()}, "home_postcode": {"02100"}, "home_abroad": {"true"}}, "home"},
		{"over-long feedback", url.Values{"visit_date": {today()}, "feedback": {strings.Repeat("x", 4001)}}, "feedback"},
		{"over-long municipality", url.Values{"visit_date": {today()}, "home_municipality": {strings.Repeat("x", 61)}}, "home_municipality"},
		{"consent without e-mail", url.Values{"visit_date": {today()}, "newsletter_consent": {"true"}}, "email"},
		{"reply without e-mail", url.Values{"visit_date": {today()}, "contact_me": {"true"}}, "email"},
		{"bad e-mail", url.Values{"visit_date": {today()}, "contact_me": {"true"}, "email": {"x@y"}}, "email"},
	}
	before := len(feedbackItems(t))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, "/feedback", c.form, "Accept", "application/json")
			var got struct{ Errors map[string]string }
			_ = json.Unmarshal([]byte(r.Body), &got)
			if r.Status != http.StatusBadRequest || got.Errors[c.field] == "" {
				t.Fatalf("want 400 with a message for %s, got %d %s", c.field, r.Status, r.Body)
			}
		})
	}
	if r := post(t, "/feedback", url.Values{"visit_date": {today()}, "feedback": {strings.Repeat("x", 33<<10)}}); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("over 32 KiB: want 413, got %d", r.Status)
	}
	if r := post(t, "/feedback", url.Values{"visit_date": {today()}, "website": {"spam"}, "feedback": {"spam"}}, "Accept", "application/json"); r.Status != http.StatusAccepted {
		t.Errorf("honeypot: want the same 202, got %d", r.Status)
	}
	if after := len(feedbackItems(t)); after != before {
		t.Fatalf("refused input and the honeypot must store nothing: %d items before, %d after", before, after)
	}
	// An HTML form with errors comes back filled in, with the messages.
	r := post(t, "/feedback", url.Values{"visit_date": {future}, "feedback": {"säilyy"}, "lang": {"en"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "cannot be in the future") || !strings.Contains(r.Body, "säilyy") {
		t.Fatalf("form errors: %d", r.Status)
	}
}

func TestFeedbackFormDefinition(t *testing.T) {
	r := get(t, "/feedback?lang=sv", "Accept", "application/json")
	var def struct {
		Lang   string
		Fields []struct {
			Name     string
			Required bool
			Options  []struct{ ID, Label string }
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &def); err != nil || r.Status != http.StatusOK {
		t.Fatalf("definition: %d %v", r.Status, err)
	}
	found := map[string]bool{}
	for _, f := range def.Fields {
		found[f.Name] = true
		if f.Name == "transport" && (len(f.Options) != 6 || f.Options[0].Label != "Till fots") {
			t.Errorf("transport options in Swedish: %v", f.Options)
		}
		if f.Required != (f.Name == "visit_date") {
			t.Errorf("%s required=%v; only visit_date is required", f.Name, f.Required)
		}
	}
	for _, name := range []string{"visit_date", "visit_reason", "visit_reason_other", "info_source", "services_used", "feedback", "previous_use", "museum_card", "transport", "party", "age_group", "gender", "home_municipality", "home_postcode", "home_abroad", "newsletter_consent", "contact_me", "name", "email"} {
		if !found[name] {
			t.Errorf("definition lacks %s", name)
		}
	}
	page := get(t, "/feedback?lang=fi")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="nonce"`) || !strings.Contains(page.Body, `name="website"`) {
		t.Fatalf("survey page: %d", page.Status)
	}
}

func TestFeedbackStatisticsSuppressSmallCells(t *testing.T) {
	for i := range 6 {
		r := post(t, "/feedback", url.Values{"visit_date": {today()}, "age_group": {"65-plus"}, "gender": {"female"}, "transport": {[]string{"walk", "walk", "walk", "walk", "walk", "taxi"}[i]}})
		if r.Status != http.StatusAccepted {
			t.Fatal(r.Status)
		}
	}
	report, err := feedback.Statistics(context.Background(), stack.Clients().DynamoDB, stack.Resolve("FeedbackTable"), thisMonth(), thisMonth())
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := report.WriteCSV(&sb); err != nil {
		t.Fatal(err)
	}
	csv := sb.String()
	if !strings.HasPrefix(csv, "month,question,option,count\n") {
		t.Fatalf("CSV header: %q", csv[:40])
	}
	cells := map[string]feedback.Cell{}
	for _, c := range report.Cells {
		cells[c.Question+"/"+c.Option] = c
		if c.Count < feedback.MinCell && c.Shown() != "<5" {
			t.Errorf("cell %v shows %s", c, c.Shown())
		}
		if c.Count < feedback.MinCell && strings.Contains(csv, fmt.Sprintf(",%s,%s,%d\n", c.Question, c.Option, c.Count)) {
			t.Errorf("a small count leaked into the CSV: %v", c)
		}
	}
	if c := cells["age_group/65-plus"]; c.Count < 6 || c.Shown() == "<5" {
		t.Errorf("65-plus should be counted and shown: %v", c)
	}
	if c := cells["transport/taxi"]; c.Count == 0 || c.Shown() != "<5" {
		t.Errorf("taxi should be suppressed: %v", c)
	}
}
