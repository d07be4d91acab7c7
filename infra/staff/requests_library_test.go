package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/library"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

// TestStaffLibraryRequests: `staff requests create -register library`
// finds the patron by the card's customer number or by the identity code
// read from stdin, and stores a request carrying the patron's subject key
// and e-mail, made to the libraries' register, queued by its id alone.
func TestStaffLibraryRequests(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("stlreq%d", time.Now().UnixNano()%1e6)
	stack, _ := localStack(t, prefix)
	db, sq := stack.Clients().DynamoDB, stack.Clients().SQS
	secret, err := stack.Clients().Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(stack.Resolve("SubjectKeySecret"))})
	if err != nil {
		t.Fatal(err)
	}
	lib := record.MustCatalogue(register.MustLoad("library"), map[string]string{"patrons": stack.Resolve("PatronsTable")})
	// Two patrons, stamped through the seam as the library writes them:
	// one with an e-mail, one without.
	code := staffHetu(stack.Clock.Now(), 40)
	key := subject.HetuKey([]byte(*secret.SecretString), code)
	withMail, noMail := library.NewCustomerNumber(), library.NewCustomerNumber()
	for _, p := range []library.Patron{
		{PK: library.PatronPK(withMail), SK: library.SKPatron, Kind: library.KindPatron, SubjectKey: key, CustomerNumber: withMail,
			FirstName: "Lauri", Email: "Lauri.Lukija@Example.com", Status: library.StateActive, LastUsedAt: stack.Clock.Now().UTC().Format(time.RFC3339)},
		{PK: library.PatronPK(noMail), SK: library.SKPatron, Kind: library.KindPatron, SubjectKey: "other-" + key, CustomerNumber: noMail,
			FirstName: "Liisa", Status: library.StateActive, LastUsedAt: stack.Clock.Now().UTC().Format(time.RFC3339)},
	} {
		put, err := lib.Put(library.KindPatron, p.Status, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
			t.Fatal(err)
		}
	}
	staff := func(stdin string, args ...string) (string, error) {
		requestsStdin = strings.NewReader(stdin)
		t.Cleanup(func() { requestsStdin = os.Stdin })
		var out bytes.Buffer
		err := run(ctx, append(append([]string{"requests", "create"}, args...), "-local", "-stack", prefix), &out)
		return out.String(), err
	}
	base := []string{"-actor", "desk-3", "-case", "HELMET/1"}
	for _, c := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"neither number nor code", "", []string{"-register", "library", "-type", "access"}, "-customer number, or -hetu-stdin"},
		{"both", code + "\n", []string{"-register", "library", "-type", "access", "-customer", withMail, "-hetu-stdin"}, "not both"},
		{"not a customer number", "", []string{"-register", "library", "-type", "access", "-customer", "12ab"}, "14 digits"},
		{"a number for the museum", "", []string{"-type", "access", "-email", "a@example.com", "-customer", withMail}, "-register library"},
		{"no such register", "", []string{"-register", "zoo", "-type", "access", "-customer", withMail}, `"zoo"`},
		{"nobody's number", "", []string{"-register", "library", "-type", "access", "-customer", "00000000000000"}, "no patron"},
		{"not an identity code", "123456-7890\n", []string{"-register", "library", "-type", "access", "-hetu-stdin"}, "no valid personal identity code"},
		{"no e-mail to answer to", "", []string{"-register", "library", "-type", "erasure", "-customer", noMail}, "no e-mail address"},
	} {
		if out, err := staff(c.stdin, append(c.args, base...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v %s", c.name, err, out)
		}
	}
	if got := staffQueued(t, sq, stack.Resolve("RequestsQueue")); len(got) != 0 {
		t.Fatalf("a refused create queues nothing: %v", got)
	}
	store, err := requests.NewStore(db, record.MustCatalogue(register.MustLoad("museum"), map[string]string{"requests": stack.Resolve("RequestsTable")}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, stdin       string
		args              []string
		wantKey, wantMail string
	}{
		{"by customer number", "", []string{"-type", "access", "-customer", withMail}, key, "lauri.lukija@example.com"},
		{"by identity code", strings.ToLower(code) + "\n", []string{"-type", "restriction", "-hetu-stdin"}, key, "lauri.lukija@example.com"},
		{"another address for the reply", "", []string{"-type", "erasure", "-customer", noMail, "-email", "liisa@example.com"}, "other-" + key, "liisa@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := staff(c.stdin, append(append([]string{"-register", "library"}, c.args...), base...)...)
			if err != nil || !strings.Contains(out, " received; due ") {
				t.Fatalf("%v %s", err, out)
			}
			if strings.Contains(out, code) || strings.Contains(out, withMail) {
				t.Errorf("the tool printed the identity code or the number: %s", out)
			}
			msgs := staffQueued(t, sq, stack.Resolve("RequestsQueue"))
			if len(msgs) != 1 || msgs[0].Op != requests.OpProcess {
				t.Fatalf("queued %v", msgs)
			}
			r, err := store.Get(ctx, msgs[0].ID)
			if err != nil || r.SubjectKey != c.wantKey || r.Email != c.wantMail || r.Register != "library" || r.Status != requests.Open || r.Channel != requests.Staff {
				t.Errorf("the request: %+v %v", r, err)
			}
		})
	}
}

// staffQueued receives (and deletes) every message on the queue.
func staffQueued(t *testing.T, sq *sqs.Client, queueURL string) []sqsqueue.Message {
	t.Helper()
	var got []sqsqueue.Message
	for {
		out, err := sq.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var msg sqsqueue.Message
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil {
				t.Fatal(err)
			}
			got = append(got, msg)
			if _, err := sq.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
