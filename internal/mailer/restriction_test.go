package mailer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local"
	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/mailer"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/sqsqueue"
)

// TestRestrictedSubjectGetsNoListMail writes outbox jobs into the deployed
// mail table, restricts some through the record seam as the requests
// function does, and hands their ids to the mailer function as its queue
// would: a restricted subject's marketing mail and reminders are withheld
// (marked, off byPending, not retried), the rest is sent.
func TestRestrictedSubjectGetsNoListMail(t *testing.T) {
	ctx := context.Background()
	stack := localtest.Stack(t, "mlr")
	cat := localtest.Catalogue(t, stack, "museum")
	db := stack.Clients().DynamoDB
	store := recordstore.NewStore(db, cat)
	run := time.Now().UnixNano()
	welcome := map[string]string{"lists": "Uutiskirje", "unsubscribeURL": "https://x.example/u", "privacyURL": "https://x.example/p"}
	confirm := map[string]string{"lists": "Uutiskirje", "confirmURL": "https://x.example/c", "unsubscribeURL": "https://x.example/u", "privacyURL": "https://x.example/p"}
	reminder := map[string]string{"reference": "KAMU-TEST-0001", "resource": "Kokoushuone", "date": "2026-12-02", "start": "10:00", "end": "11:00", "cancelURL": "https://x.example/c"}
	cases := []struct {
		name       string
		template   string
		params     map[string]string
		restricted bool
		wantSent   bool
	}{
		{"restricted marketing: withheld", "newsletter-welcome", welcome, true, false},
		{"unrestricted marketing: sent", "newsletter-welcome", welcome, false, true},
		{"restricted, the person's own confirmation: sent", "newsletter-confirm", confirm, true, true},
		{"restricted booking reminder: withheld", "booking-reminder", reminder, true, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("restr%d.%d", run, i)
			to := fmt.Sprintf("restr-%d-%d@example.com", run, i)
			job, err := rmail.NewJob(time.Now(), id, "subject-"+id, to, c.template, "fi", c.params)
			if err != nil {
				t.Fatal(err)
			}
			put, err := rmail.Put(cat, job)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
				t.Fatal(err)
			}
			if c.restricted {
				if err := store.Restrict(ctx, "mail", recordstore.Key{PK: job.PK, SK: job.SK}, time.Now(), "r-test"); err != nil {
					t.Fatal(err)
				}
			}
			// Delivered twice, as SQS may: the second finds the job done.
			for range 2 {
				deliver(t, stack, id)
			}
			sent := sentTo(t, stack, to)
			if (sent == 1) != c.wantSent || sent > 1 {
				t.Fatalf("%d mails sent to the job's address, want sent %v", sent, c.wantSent)
			}
			item := getJob(t, db, cat, job)
			status := item["status"].(*types.AttributeValueMemberS).Value
			wantStatus := rmail.Sent
			if !c.wantSent {
				wantStatus = mailer.Withheld
			}
			if status != wantStatus {
				t.Errorf("status %q, want %q", status, wantStatus)
			}
			if item["pending"] != nil || item["leaseUntil"] != nil {
				t.Errorf("a done job stays on byPending or leased: %v", item)
			}
		})
	}
}

// deliver hands the mailer function one queue message naming job id and
// fails the test if it reports the message failed (it would be retried).
func deliver(t *testing.T, stack *local.Stack, id string) {
	t.Helper()
	body, _ := json.Marshal(sqsqueue.Message{Op: mailer.OpSend, ID: id})
	resp, err := stack.Functions["MailerFunction"].Queue(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + id, Body: string(body)}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("mailer: %v %+v", err, resp.BatchItemFailures)
	}
}

func sentTo(t *testing.T, stack *local.Stack, to string) int {
	t.Helper()
	mails, err := stack.SentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if strings.Contains(m.Parsed.To, to) {
			n++
		}
	}
	return n
}

func getJob(t *testing.T, db *dynamodb.Client, cat *record.Catalogue, job rmail.Job) map[string]types.AttributeValue {
	t.Helper()
	table, _ := cat.TableOf(rmail.Kind)
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: dynamo.Key(job.PK, job.SK), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("job %s: %v", job.ID(), err)
	}
	return out.Item
}
