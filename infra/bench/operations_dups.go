package main

// Duplicate deliveries (operations.go): every outbox stream batch and every
// mail-queue message delivered twice (the two at once), every confirm
// pressed twice, and the mails counted per recipient.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// duplicateOutbox delivers every outbox stream batch now waiting to the
// mailer twice at once, as a stream retry racing the first delivery would,
// then every message on the mail queue twice. It returns how many stream
// records and messages it duplicated.
func (b *bench) duplicateOutbox(ctx context.Context) (int, error) {
	n := 0
	for {
		raw, err := b.stack.TakeStreamEvent(ctx, "MailerFunction")
		if err != nil {
			break // no records left
		}
		var ev events.DynamoDBEvent
		_ = json.Unmarshal(raw, &ev)
		n += len(ev.Records)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, errs[i] = b.stack.Functions["MailerFunction"].Invoke(ctx, raw) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return n, fmt.Errorf("duplicate stream batch: %w", err)
		}
	}
	q, err := b.duplicateMailQueue(ctx)
	return n + q, err
}

// duplicateMailQueue delivers every message now on the mail queue twice:
// it takes each off the queue for a moment, sends its body again, and makes
// the original visible at once. It returns how many it duplicated.
func (b *bench) duplicateMailQueue(ctx context.Context) (int, error) {
	api, q := b.stack.Clients().SQS, b.stack.Resolve("MailQueue")
	var held []string
	var bodies []string
	for empty := 0; empty < 2; {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			return 0, fmt.Errorf("receive mail queue: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			held = append(held, aws.ToString(m.ReceiptHandle))
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
	for _, body := range bodies {
		if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(body)}); err != nil {
			return 0, fmt.Errorf("send duplicate: %w", err)
		}
	}
	for _, h := range held {
		if _, err := api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String(h), VisibilityTimeout: 0}); err != nil {
			return 0, fmt.Errorf("release original: %w", err)
		}
	}
	return len(bodies), nil
}

func countFor(counts map[string]int, addrs []string) (sent, extra, missing int) {
	for _, a := range addrs {
		n := counts[strings.ToLower(a)]
		sent += n
		if n == 0 {
			missing++
		} else {
			extra += n - 1
		}
	}
	return sent, extra, missing
}

// duplicates signs n people up and confirms them, with every mail-queue
// message delivered twice and every confirm button pressed twice.
func (b *bench) duplicates(ctx context.Context, rep *opsReport, n int) error {
	progress("duplicate delivery: %d signups, every stream batch and queue message twice", n)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = b.address()
		if err := b.mustSignup(ctx, addrs[i]); err != nil {
			return err
		}
	}
	dup, err := b.duplicateOutbox(ctx)
	if err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	counts, _, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return err
	}
	r := dupResult{Name: "confirmation mail", Subjects: n, Duplicated: dup}
	r.Sent, r.Extra, r.Missing = countFor(counts, addrs)
	rep.Dups = append(rep.Dups, r)

	for _, a := range addrs {
		if counts[strings.ToLower(a)] == 0 {
			continue
		}
		for range 2 {
			if err := b.confirm(ctx, a); err != nil {
				return err
			}
		}
	}
	if dup, err = b.duplicateOutbox(ctx); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	if counts, _, err = b.mailsTo(ctx, "welcome"); err != nil {
		return err
	}
	r = dupResult{Name: "welcome mail (confirm pressed twice)", Subjects: n, Duplicated: dup}
	r.Sent, r.Extra, r.Missing = countFor(counts, addrs)
	rep.Dups = append(rep.Dups, r)
	return nil
}
