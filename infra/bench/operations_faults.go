package main

// Signups under injected faults (operations.go): 10 % of the functions' AWS
// calls failing, then the heal (outbox aged, relay run, DLQ redriven), and
// every accepted signup's mail accounted for.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/internal/mail"
)

// moveDLQ moves every message of the mail DLQ back to the mail queue.
func (b *bench) moveDLQ(ctx context.Context) (int, error) {
	api := b.stack.Clients().SQS
	dlq, q := b.stack.Resolve("MailDLQ"), b.stack.Resolve("MailQueue")
	moved := 0
	for empty := 0; empty < 2; {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			return moved, fmt.Errorf("receive DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: m.Body}); err != nil {
				return moved, fmt.Errorf("redrive: %w", err)
			}
			if _, err := api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return moved, fmt.Errorf("redrive: %w", err)
			}
			moved++
		}
	}
	return moved, nil
}

func (b *bench) queueDepth(ctx context.Context, logical string) (int, error) {
	out, err := b.stack.Clients().SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(b.stack.Resolve(logical)), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range out.Attributes {
		var k int
		_, _ = fmt.Sscan(v, &k)
		n += k
	}
	return n, nil
}

// outboxJobs reads every confirmation job of the outbox. A Scan: this is the
// bench looking, not the system working.
func (b *bench) outboxJobs(ctx context.Context) (map[string]mail.Job, error) {
	jobs := map[string]mail.Job{}
	p := dynamodb.NewScanPaginator(b.stack.Clients().DynamoDB, &dynamodb.ScanInput{
		TableName:                 aws.String(b.stack.Resolve("MailTable")),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: "MAIL#confirm."}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan outbox: %w", err)
		}
		var page []mail.Job
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, err
		}
		for _, j := range page {
			jobs[strings.ToLower(j.To)] = j
		}
	}
	return jobs, nil
}

// ageOutbox makes every unsent job look older than the relay's and the
// lease's two minutes, as if that time had passed: createdAt and any lease
// are moved ten minutes back. It returns how many jobs it aged.
func (b *bench) ageOutbox(ctx context.Context) (int, error) {
	jobs, err := b.outboxJobs(ctx)
	if err != nil {
		return 0, err
	}
	past := time.Now().Add(-10 * time.Minute)
	n := 0
	for _, j := range jobs {
		if j.Status == mail.Sent {
			continue
		}
		expr := "SET createdAt = :created"
		vals := map[string]ddbtypes.AttributeValue{":created": &ddbtypes.AttributeValueMemberS{Value: past.UTC().Format(time.RFC3339)}}
		if j.Status == mail.Sending {
			expr += ", leaseUntil = :lease"
			vals[":lease"] = &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(past.Unix())}
		}
		if _, err := b.stack.Clients().DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(b.stack.Resolve("MailTable")), Key: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: j.PK}, "sk": &ddbtypes.AttributeValueMemberS{Value: j.SK},
			},
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals,
		}); err != nil {
			return n, fmt.Errorf("age outbox job: %w", err)
		}
		n++
	}
	return n, nil
}

// withFaults signs n people up while 10 % of the functions' AWS calls fail,
// lets the mailer work under the same faults, then heals: faults stop, two
// minutes pass (simulated by ageing the outbox), the relay runs, the DLQ is
// redriven and the queues drained. Every 202 must end as exactly
// one mail or a durable unsent job; none may be mailed twice.
func (b *bench) withFaults(ctx context.Context, rep *opsReport, n int) error {
	progress("faults: %d signups with 10 %% of AWS calls failing", n)
	if d, err := b.queueDepth(ctx, "MailDLQ"); err != nil || d != 0 {
		return fmt.Errorf("mail DLQ holds %d messages before the faults run (%v)", d, err)
	}
	_, before, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r := &faultResult{N: n}
	rep.Faults = r
	accepted := map[string]bool{}
	addrs := make([]string, n)
	fired0 := b.faults.Fired()
	b.faults.FailRate(0.10)
	defer b.faults.FailRate(0)
	for i := range addrs {
		addrs[i] = b.address()
		code, _ := b.signup(ctx, addrs[i])
		if code == http.StatusAccepted {
			accepted[addrs[i]] = true
			r.Accepted++
		}
	}
	progress("faults: draining the mail queue with faults still on")
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	b.faults.FailRate(0)
	r.Fired = b.faults.Fired() - fired0

	// Before healing, count what a deployed system would be left with.
	pre, err := b.outboxJobs(ctx)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if j, ok := pre[strings.ToLower(a)]; ok && accepted[a] && j.Status != mail.Sent {
			r.UnsentBeforeHeal++
		}
	}
	if r.InDLQBeforeHeal, err = b.queueDepth(ctx, "MailDLQ"); err != nil {
		return err
	}

	progress("faults: healed; 2 minutes simulated, relay, DLQ redrive, drain")
	if r.Aged, err = b.ageOutbox(ctx); err != nil {
		return err
	}
	b.rec.Reset()
	if err := b.stack.RunSchedules(ctx, "MailerFunction"); err != nil {
		return err
	}
	r.Requeued = b.rec.Snapshot().Calls["SQS.SendMessage"]
	if r.RedrivenFromDLQ, err = b.moveDLQ(ctx); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	if r.LeftInDLQ, err = b.queueDepth(ctx, "MailDLQ"); err != nil {
		return err
	}

	counts, all, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r.Sent = len(all) - len(before)
	jobs, err := b.outboxJobs(ctx)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		got := counts[strings.ToLower(a)]
		if !accepted[a] {
			if got > 0 {
				r.Refused++
			}
			continue
		}
		switch {
		case got > 1:
			r.Duplicates++
		case got == 1:
			r.OK++
		default:
			j, ok := jobs[strings.ToLower(a)]
			switch {
			case !ok || j.Status == mail.Sent:
				r.Lost++
			case j.Status == mail.Sending:
				r.UnsentLeased++
			case j.Attempts == 0:
				r.UnsentLostMsg++
			default:
				r.UnsentRe++
			}
		}
	}
	return nil
}
