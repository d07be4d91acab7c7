package booking_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/recordstore"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// TestRestrictedBookingIsNotReminded stores accepted bookings for tomorrow
// in the deployed bookings table, restricts one through the record seam as
// the requests function does, and runs the bookings function's reminder
// schedule and the mail queue: the restricted booking gets no reminder and
// leaves the reminder index; the other is reminded.
func TestRestrictedBookingIsNotReminded(t *testing.T) {
	ctx := context.Background()
	stack := localtest.Stack(t, "bkr")
	cat := localtest.Catalogue(t, stack, "museum")
	db := stack.Clients().DynamoDB
	store := recordstore.NewStore(db, cat)
	bookings := cat.Table("bookings")
	today := helsinki.Today(stack.Clock.Now())
	run := time.Now().UnixNano() % 1e8
	cases := []struct {
		name       string
		restricted bool
	}{
		{"restricted: no reminder", true},
		{"unrestricted: reminded", false},
	}
	ref := func(i int) string { return fmt.Sprintf("KAMU-%04d-%04d", run%1e4, i) }
	email := func(i int) string { return fmt.Sprintf("remind-%d-%d@example.com", run, i) }
	for i, c := range cases {
		put, err := cat.Put("booking", "any", map[string]types.AttributeValue{
			"pk": s("BOOKING#" + ref(i)), "sk": s("BOOKING"), "kind": s("booking"), "subjectKey": s(fmt.Sprintf("subject-%d-%d", run, i)),
			"reference": s(ref(i)), "resource": s("meeting-room"), "date": s(today.AddDate(0, 0, 1).Format("2006-01-02")),
			"start": s("10:00"), "end": s("11:00"), "participants": &types.AttributeValueMemberN{Value: "3"},
			"firstName": s("Testi"), "lastName": s("Varaaja"), "email": s(email(i)), "payment": s("card"), "hetuGiven": &types.AttributeValueMemberBOOL{Value: false},
			"lang": s("fi"), "status": s("accepted"), "createdAt": s(today.Format(time.RFC3339)), "remindOn": s(today.Format("2006-01-02")),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
			t.Fatal(err)
		}
		if c.restricted {
			if err := store.Restrict(ctx, "bookings", recordstore.Key{PK: "BOOKING#" + ref(i), SK: "BOOKING"}, time.Now(), "r-test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Twice, as a retried schedule may run: still one reminder, none withheld ones.
	for range 2 {
		if err := stack.RunSchedules(ctx, "BookingsFunction"); err != nil {
			t.Fatal(err)
		}
	}
	if err := stack.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	mails, err := stack.SentMail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sent := 0
			for _, m := range mails {
				if strings.Contains(m.Parsed.To, email(i)) {
					sent++
				}
			}
			if want := map[bool]int{true: 0, false: 1}[c.restricted]; sent != want {
				t.Errorf("%d reminders sent, want %d", sent, want)
			}
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(bookings), Key: dynamo.Key("BOOKING#"+ref(i), "BOOKING"), ConsistentRead: aws.Bool(true)})
			if err != nil || out.Item == nil {
				t.Fatalf("booking: %v", err)
			}
			if out.Item["remindOn"] != nil {
				t.Errorf("still on the reminder index, to be tried again: %v", out.Item["remindOn"])
			}
			if (out.Item["remindedAt"] != nil) == c.restricted {
				t.Errorf("remindedAt %v, restricted %v", out.Item["remindedAt"], c.restricted)
			}
			mailTable, _ := cat.TableOf(rmail.Kind)
			pk, sk := rmail.JobKey("reminder." + ref(i))
			job, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(mailTable), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if (job.Item != nil) == c.restricted {
				t.Errorf("reminder job in the outbox: %v, restricted %v", job.Item != nil, c.restricted)
			}
		})
	}
}
