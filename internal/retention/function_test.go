package retention

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"rekisteri/internal/config"
	"rekisteri/internal/sqsqueue"
)

func testEnv() config.Lookup {
	return config.Map(map[string]string{
		"REGISTER": "museum", "RETENTION_QUEUE_URL": "http://127.0.0.1:1/queue",
		"SUBSCRIBERS_TABLE": "s", "FEEDBACK_TABLE": "f", "BOOKINGS_TABLE": "b", "MAIL_TABLE": "m", "AUDIT_TABLE": "a", "REQUESTS_TABLE": "r", "CAMPAIGNS_TABLE": "c", "EVENTS_TABLE": "e",
	})
}

// The events/ fixtures are what the schedule and the queue deliver.
func TestFixturesAreTheTriggers(t *testing.T) {
	raw, err := os.ReadFile("../../events/schedule-retention.json")
	if err != nil {
		t.Fatal(err)
	}
	var in struct{ Run string }
	if err := json.Unmarshal(raw, &in); err != nil || in.Run != "sweep" {
		t.Fatalf("schedule fixture: %s", raw)
	}
	tmpl, _ := os.ReadFile("../../template.yaml")
	if !strings.Contains(string(tmpl), `Input: '{"run":"sweep"}'`) {
		t.Error("the template's RetentionFunction schedule sends the fixture's input")
	}
	raw, err = os.ReadFile("../../events/sqs-retention.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("queue fixture: %v", err)
	}
	var m sqsqueue.Message
	if err := json.Unmarshal([]byte(ev.Records[0].Body), &m); err != nil || m.Validate() != nil || m.Op != OpContinue {
		t.Fatalf("the queue carries ids only, op continue: %q", ev.Records[0].Body)
	}
}

// The function refuses what is not its own trigger, before any AWS call.
func TestFunctionRefusesOtherInput(t *testing.T) {
	fn, err := Function(context.Background(), testEnv(), aws.Config{Region: "eu-north-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fn.Schedule(context.Background(), json.RawMessage(`{"run":"relay"}`)); err == nil {
		t.Error("a relay input is not a sweep")
	}
	resp, _ := fn.Queue(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "1", Body: `{"op":"send","id":"x"}`}}})
	if len(resp.BatchItemFailures) != 1 {
		t.Errorf("an op other than continue fails its message: %+v", resp)
	}
	for _, bad := range []string{"", "0s", "soon"} {
		env := testEnv()
		_, err := Function(context.Background(), func(k string) (string, bool) {
			if k == "RETENTION_BUDGET" {
				return bad, bad != ""
			}
			return env(k)
		}, aws.Config{Region: "eu-north-1"})
		if (bad == "") != (err == nil) {
			t.Errorf("RETENTION_BUDGET %q: %v", bad, err)
		}
	}
	if _, err := Function(context.Background(), config.Map(map[string]string{"REGISTER": "museum", "RETENTION_QUEUE_URL": "q"}), aws.Config{}); err == nil {
		t.Error("every declared table is needed")
	}
}

// TestFunctionForTheLibraries: REGISTER=library sweeps the libraries'
// tables and keeps its ledger in the platform's audit table
// (PLATFORM_REGISTER, AUDIT_TABLE), under keys of its own.
func TestFunctionForTheLibraries(t *testing.T) {
	env := map[string]string{"REGISTER": "library", "PLATFORM_REGISTER": "museum", "RETENTION_QUEUE_URL": "http://127.0.0.1:1/queue",
		"PATRONS_TABLE": "p", "LOANS_TABLE": "l", "TRANSFERS_TABLE": "t", "STATISTICS_TABLE": "s", "AUDIT_TABLE": "a"}
	if _, err := Function(context.Background(), config.Map(env), aws.Config{Region: "eu-north-1"}); err != nil {
		t.Fatal(err)
	}
	for _, drop := range []string{"AUDIT_TABLE", "PATRONS_TABLE"} {
		e := map[string]string{}
		for k, v := range env {
			if k != drop {
				e[k] = v
			}
		}
		if _, err := Function(context.Background(), config.Map(e), aws.Config{Region: "eu-north-1"}); err == nil {
			t.Errorf("without %s the libraries' sweep was built", drop)
		}
	}
	if s, r := LedgerKeys("library"); s != "RETENTION#library" || r != "RETENTION#RECEIPT#library" {
		t.Errorf("the libraries' ledger keys: %s %s", s, r)
	}
	if s, r := LedgerKeys("museum"); s != StatePK || r != ReceiptPK {
		t.Errorf("the museum's ledger keys moved: %s %s", s, r)
	}
	tmpl, _ := os.ReadFile("../../template.yaml")
	if !strings.Contains(string(tmpl), `dynamodb:LeadingKeys: ["RETENTION#library", "RETENTION#RECEIPT#library"]`) {
		t.Error("LibraryRetentionFunction's policy grants the ledger under other keys than LedgerKeys(library)")
	}
}
