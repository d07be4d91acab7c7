package ddbstream

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func record(name, seq string, keys map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventID: "e" + seq, EventName: name, EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{Keys: keys, SequenceNumber: seq, StreamViewType: "KEYS_ONLY"}}
}

func pk(v string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(v), "sk": events.NewStringAttribute("MAIL")}
}

func TestBatch(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		records []events.DynamoDBEventRecord
		failOn  string
		handled []string
		failed  string
	}{
		{name: "every insert in order", records: []events.DynamoDBEventRecord{record(Insert, "1", pk("MAIL#a")), record(Insert, "2", pk("MAIL#b"))}, handled: []string{"MAIL#a", "MAIL#b"}},
		{name: "modify and remove skipped", records: []events.DynamoDBEventRecord{record("MODIFY", "1", pk("MAIL#a")), record("REMOVE", "2", pk("MAIL#b")), record(Insert, "3", pk("MAIL#c"))}, handled: []string{"MAIL#c"}},
		{name: "stops at the first failure and reports it", records: []events.DynamoDBEventRecord{record(Insert, "1", pk("MAIL#a")), record(Insert, "2", pk("MAIL#b")), record(Insert, "3", pk("MAIL#c"))}, failOn: "MAIL#b", handled: []string{"MAIL#a", "MAIL#b"}, failed: "2"},
		{name: "a record without pk is skipped, not retried forever", records: []events.DynamoDBEventRecord{record(Insert, "1", map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("x")}), record(Insert, "2", map[string]events.DynamoDBAttributeValue{"pk": events.NewNumberAttribute("1")}), record(Insert, "3", pk("MAIL#c"))}, handled: []string{"MAIL#c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var handled []string
			resp := Batch(context.Background(), events.DynamoDBEvent{Records: c.records}, func(_ context.Context, pk string) error {
				handled = append(handled, pk)
				if pk == c.failOn {
					return boom
				}
				return nil
			})
			if !slices.Equal(handled, c.handled) {
				t.Errorf("handled %v, want %v", handled, c.handled)
			}
			var failed string
			if len(resp.BatchItemFailures) > 1 {
				t.Fatalf("%d failures reported, want at most one", len(resp.BatchItemFailures))
			}
			if len(resp.BatchItemFailures) == 1 {
				failed = resp.BatchItemFailures[0].ItemIdentifier
			}
			if failed != c.failed {
				t.Errorf("failed %q, want %q", failed, c.failed)
			}
		})
	}
}

// The fixture is the event Lambda sends for the outbox stream (KEYS_ONLY).
func TestFixture(t *testing.T) {
	raw, err := os.ReadFile("../../events/dynamodb-outbox-insert.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var handled []string
	Batch(context.Background(), ev, func(_ context.Context, pk string) error { handled = append(handled, pk); return nil })
	if !slices.Equal(handled, []string{"MAIL#confirm.4f1c2a9be0d3a7c6e1f20b94"}) {
		t.Errorf("handled %v", handled)
	}
}
