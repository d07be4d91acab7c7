package mailer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sqsqueue"
)

// recordingQueue records what is handed to the mail queue, or fails.
type recordingQueue struct {
	sent []sqsqueue.Message
	err  error
}

func (q *recordingQueue) Send(_ context.Context, m sqsqueue.Message) error {
	if q.err != nil {
		return q.err
	}
	q.sent = append(q.sent, m)
	return nil
}

func streamEvent(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile("../../events/dynamodb-outbox-insert.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestStream: a job the outbox stream brings is sent; one that cannot be
// sent now is handed to the mail queue (its retries and DLQ), and only when
// the queue is out of reach too does the record fail, for the stream to retry.
func TestStream(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	const id = "confirm.4f1c2a9be0d3a7c6e1f20b94"
	cases := []struct {
		name       string
		script     func(t *testing.T) []answer
		sesErr     error
		queueErr   error
		wantSent   int
		wantQueued []sqsqueue.Message
		wantFailed bool
	}{
		{name: "sent at once, nothing queued", script: func(t *testing.T) []answer { return []answer{claimed(t), ok} }, wantSent: 1},
		{name: "already sent: nothing", script: func(t *testing.T) []answer { return []answer{refused(job(t, rmail.Sent))} }},
		{name: "SES fails: handed to the queue", script: func(t *testing.T) []answer { return []answer{claimed(t), ok} }, sesErr: errors.New("throttled"),
			wantQueued: []sqsqueue.Message{{Op: OpSend, ID: id}}},
		{name: "leased elsewhere: handed to the queue", script: func(t *testing.T) []answer { return []answer{refused(job(t, rmail.Sending))} },
			wantQueued: []sqsqueue.Message{{Op: OpSend, ID: id}}},
		{name: "SES and the queue fail: the record fails", script: func(t *testing.T) []answer { return []answer{claimed(t), ok} }, sesErr: errors.New("throttled"),
			queueErr: errors.New("sqs unavailable"), wantFailed: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := &scriptedDB{t: t, answers: c.script(t)}
			ses := &fakeSES{err: c.sesErr}
			q := &recordingQueue{err: c.queueErr}
			m, err := New(db, ses, q, "mail", "KAMU <noreply@museo.example.fi>", ConfigurationSets{rmail.Transactional: "tx"})
			if err != nil {
				t.Fatal(err)
			}
			resp := m.Stream(context.Background(), streamEvent(t))
			if len(ses.sent) != c.wantSent {
				t.Errorf("sent %d, want %d", len(ses.sent), c.wantSent)
			}
			if !slices.Equal(q.sent, c.wantQueued) {
				t.Errorf("queued %v, want %v", q.sent, c.wantQueued)
			}
			if failed := len(resp.BatchItemFailures) > 0; failed != c.wantFailed {
				t.Errorf("failures %v, want failed %v", resp.BatchItemFailures, c.wantFailed)
			}
			if c.wantFailed && resp.BatchItemFailures[0].ItemIdentifier != "111100000000012345678901" {
				t.Errorf("failed %q, want the record's sequence number", resp.BatchItemFailures[0].ItemIdentifier)
			}
		})
	}
}

// pendingDB answers the byPending query with jobs and claims by script.
type pendingDB struct {
	scriptedDB
	pending []string
	queried *dynamodb.QueryInput
}

func (d *pendingDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out := &dynamodb.QueryOutput{}
	if d.queried == nil {
		d.queried = in
		for _, pk := range d.pending {
			out.Items = append(out.Items, map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}})
		}
	}
	return out, nil
}

// TestRedrivenStreamFailure: the description of a failed stream batch that
// Lambda put in the DLQ, redriven to the mail queue, sends the unsent jobs
// of its time; a plain send message beside it is handled as always.
func TestRedrivenStreamFailure(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	db := &pendingDB{scriptedDB: scriptedDB{t: t}, pending: []string{"MAIL#confirm.abc", "MAIL#welcome.abc"}}
	db.answers = []answer{claimed(t), ok, refused(job(t, rmail.Sending)), claimed(t), ok}
	ses := &fakeSES{}
	m, err := New(db, ses, &recordingQueue{}, "mail", "noreply@museo.example.fi", ConfigurationSets{rmail.Transactional: "tx"})
	if err != nil {
		t.Fatal(err)
	}
	m.pace = nil // two sends: not this test's business
	failure := `{"requestContext":{"requestId":"r1","functionArn":"arn:aws:lambda:eu-north-1:123456789012:function:mailer","condition":"RetryAttemptsExhausted","approximateInvokeCount":3},` +
		`"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":""},"version":"1.0","timestamp":"2026-12-02T01:00:00.000Z",` +
		`"DDBStreamBatchInfo":{"shardId":"shardId-1","startSequenceNumber":"1","endSequenceNumber":"9","approximateArrivalOfFirstRecord":"2026-12-01T19:00:00Z",` +
		`"approximateArrivalOfLastRecord":"2026-12-01T19:00:05Z","batchSize":2,"streamArn":"arn:aws:dynamodb:eu-north-1:123456789012:table/mail/stream/x"}}`
	resp := m.Queue(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: failure},
		{MessageId: "m2", Body: `{"op":"send","id":"confirm.xyz"}`},
	}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", resp.BatchItemFailures)
	}
	if len(ses.sent) != 2 {
		t.Errorf("sent %d: want the unsent job of the batch's time and the plain message's (the leased one is another delivery's)", len(ses.sent))
	}
	cutoff := db.queried.ExpressionAttributeValues[":cutoff"].(*types.AttributeValueMemberS).Value
	if want := time.Date(2026, 12, 1, 19, 1, 5, 0, time.UTC).Format(time.RFC3339); cutoff != want {
		t.Errorf("pending before %s, want %s (a minute after the batch's last record)", cutoff, want)
	}
	if aws.ToString(db.queried.IndexName) != "byPending" {
		t.Errorf("queried %s", aws.ToString(db.queried.IndexName))
	}
}
