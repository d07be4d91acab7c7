// Package mailer sends the outbox: it claims a job, renders it in the
// recipient's language, sends it through SES once, and marks it sent. A lease
// on the claim makes duplicate deliveries and concurrent consumers harmless.
// A job under restriction (GDPR Art. 18) that is not the person's own
// business is withheld instead of sent (see withholds).
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/sesmail"
	"rekisteri/internal/sqsqueue"
)

// OpSend is the mail-queue operation: "send the outbox job with this id".
const OpSend = "send"

const (
	// lease is how long a claim keeps others off a job; longer than the
	// function's timeout, so only a crashed sender's claim ever lapses.
	lease = 2 * time.Minute
	// relayAfter is how old an unsent, never-received job must be before the
	// relay assumes its stream record was lost and queues it.
	relayAfter = 2 * time.Minute
)

type dynamoAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	// The campaigns table: a campaign's content, its counters.
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

type rawSender interface {
	SendRaw(ctx context.Context, from, to, configurationSet string, raw []byte, tags ...sesmail.Tag) (string, error)
}

type queue interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

// Withheld is the status of a job the mailer did not send because its
// subject is under restriction: final, off the byPending index, never retried
// (lifting the restriction does not send stale mail).
const Withheld = "withheld"

// withheldTemplates are transactional templates withheld under restriction
// too: a reminder is a courtesy, not an answer the person is owed.
var withheldTemplates = []string{"booking-reminder"}

// withholds reports whether a claimed job must not be sent: it carries the
// restriction flag and is marketing (Art. 18: no use but storage) or a
// courtesy like a booking reminder. Transactional mail the person is owed —
// the replies to their own requests, confirmations they asked for — is sent.
//
// The flag on the job alone decides. The requests function flags every record
// of the subject, the outbox included, so a job queued before the
// restriction carries it. A job written after it carries it only if its
// producer copied the flag from the record that caused it; checking the
// subject's records here instead would be a new read per mail (a Query on
// bySubject in tables this function has no access to) where the claim's
// ALL_NEW answer gives the flag for nothing, so producers keep the flag with
// their cause instead (the newsletter's welcome mail must not be written
// for a restricted subscription).
func withholds(job *claimedJob) bool {
	if !job.restricted {
		return false
	}
	return job.Class == rmail.Marketing || slices.Contains(withheldTemplates, job.Template)
}

// ConfigurationSets maps a mail class to its SES configuration set.
type ConfigurationSets map[string]string

// Mailer sends outbox jobs.
type Mailer struct {
	db    dynamoAPI
	ses   rawSender
	queue queue
	table string
	from  string
	sets  ConfigurationSets
	now   func() time.Time
	// campaigns is the campaigns table; cache its campaigns' content.
	campaigns string
	cache     campaignCache
	// pace spaces SES sends (nil: unpaced); sleep waits between the
	// stream path's tries of a throttled job.
	pace  *bucket
	sleep func(context.Context, time.Duration) error
}

// New returns a Mailer for the outbox table, sending as from.
func New(db dynamoAPI, ses rawSender, mailQueue queue, table, from string, sets ConfigurationSets) (*Mailer, error) {
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mailer: from address %q: %w", from, err)
	}
	return &Mailer{db: db, ses: ses, queue: mailQueue, table: table, from: from, sets: sets, now: time.Now,
		pace: newBucket(DefaultSendRate, time.Now, sleep), sleep: sleep}, nil
}

// Handle sends the job a mail-queue message names. Delivered twice, it sends once.
func (m *Mailer) Handle(ctx context.Context, msg sqsqueue.Message) error {
	if msg.Op != OpSend {
		return fmt.Errorf("mail queue: op %q: %w", msg.Op, sqsqueue.ErrPermanent)
	}
	job, err := m.claim(ctx, msg.ID)
	if err != nil || job == nil {
		return err
	}
	leaseUntil := job.leaseUntil
	if withholds(job) {
		return m.withhold(ctx, job, "subject restricted", counterWithheld)
	}
	r, err := m.render(ctx, job)
	switch {
	case errors.Is(err, errCampaignGone):
		// Deleted: nothing is left to count on.
		return m.withhold(ctx, job, "campaign deleted", "")
	case errors.Is(err, errNoContent):
		return m.withhold(ctx, job, "campaign has no content in the job's language", counterWithheld)
	case err != nil:
		m.release(ctx, msg.ID, leaseUntil)
		return fmt.Errorf("render mail %s: %w", msg.ID, err)
	}
	raw, err := sesmail.Build(sesmail.Envelope{From: m.from, To: job.To, MessageID: msg.ID + "@" + m.domain(), Date: m.now()}, r)
	if err != nil {
		m.release(ctx, msg.ID, leaseUntil)
		return fmt.Errorf("build mail %s: %w", msg.ID, err)
	}
	if err := m.pace.wait(ctx); err != nil {
		m.release(ctx, msg.ID, leaseUntil)
		return fmt.Errorf("send mail %s: %w", msg.ID, err)
	}
	sesID, err := m.ses.SendRaw(ctx, m.from, job.To, m.sets[job.Class], raw, tags(job)...)
	if err != nil {
		m.release(ctx, msg.ID, leaseUntil)
		if throttled(err) {
			return fmt.Errorf("send mail %s: %w: %w", msg.ID, errThrottled, err)
		}
		return fmt.Errorf("send mail %s: %w", msg.ID, err)
	}
	sent := m.sentUpdate(job, sesID) // once: every try writes the same
	err = m.settle(ctx, job, sent, rmail.Sent, counterSent)
	for i := 0; err != nil && i < 3 && ctx.Err() == nil; i++ {
		_ = m.sleep(ctx, time.Duration(100<<i)*time.Millisecond)
		err = m.settle(ctx, job, sent, rmail.Sent, counterSent) // a repeat finds it sent: harmless, counted once
	}
	if err != nil {
		// The mail is out. Failing the message would let a redelivery find
		// the lease lapsed and send it again; the job stays "sending" with
		// attempts > 0, which the relay skips, so it is done.
		slog.ErrorContext(ctx, "mail sent but not marked sent", "mail", msg.ID, "sesMessageId", sesID, errlog.Attr(err))
		return nil
	}
	slog.InfoContext(ctx, "mail sent", "mail", msg.ID, "template", job.Template, "class", job.Class, "attempt", job.Attempts)
	return nil
}

func (m *Mailer) domain() string {
	a, _ := mail.ParseAddress(m.from)
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}

var errLeased = errors.New("mail is being sent by another delivery")

// claimedJob is a job this delivery holds the lease on.
type claimedJob struct {
	rmail.Job
	leaseUntil int64
	// restricted: the job carries the envelope's restriction flag.
	restricted bool
}

// claim takes the job for sending. It returns nil without error when there
// is nothing to send: already sent or withheld, or erased.
func (m *Mailer) claim(ctx context.Context, id string) (*claimedJob, error) {
	pk, sk := rmail.JobKey(id)
	now := m.now()
	until := now.Add(lease).Unix()
	out, err := m.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.table),
		Key:                      dynamo.Key(pk, sk),
		UpdateExpression:         aws.String("SET #status = :sending, leaseUntil = :until, attempts = attempts + :one"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND (#status = :queued OR (#status = :sending AND leaseUntil < :now))"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: rmail.Sending},
			":queued":  &types.AttributeValueMemberS{Value: rmail.Queued},
			":until":   &types.AttributeValueMemberN{Value: strconv.FormatInt(until, 10)},
			":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":one":     &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, fmt.Errorf("claim mail %s: %w", id, err)
		}
		if ccf.Item == nil {
			slog.InfoContext(ctx, "mail gone before sending", "mail", id)
			return nil, nil
		}
		var old rmail.Job
		_ = attributevalue.UnmarshalMap(ccf.Item, &old)
		if old.Status == rmail.Sent || old.Status == Withheld {
			slog.InfoContext(ctx, "mail already "+old.Status, "mail", id)
			return nil, nil
		}
		return nil, fmt.Errorf("claim mail %s: %w", id, errLeased)
	}
	var job rmail.Job
	if err := attributevalue.UnmarshalMap(out.Attributes, &job); err != nil {
		return nil, fmt.Errorf("claim mail %s: %w", id, err)
	}
	_, restricted := out.Attributes[record.AttrRestricted]
	return &claimedJob{Job: job, leaseUntil: until, restricted: restricted}, nil
}

// release hands a job back after a failed send so the next delivery can
// claim it at once instead of waiting for the lease.
func (m *Mailer) release(ctx context.Context, id string, leaseUntil int64) {
	pk, sk := rmail.JobKey(id)
	_, err := m.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.table),
		Key:                      dynamo.Key(pk, sk),
		UpdateExpression:         aws.String("SET #status = :queued REMOVE leaseUntil"),
		ConditionExpression:      aws.String("#status = :sending AND leaseUntil = :until"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":queued":  &types.AttributeValueMemberS{Value: rmail.Queued},
			":sending": &types.AttributeValueMemberS{Value: rmail.Sending},
			":until":   &types.AttributeValueMemberN{Value: strconv.FormatInt(leaseUntil, 10)},
		},
	})
	if err != nil {
		slog.WarnContext(ctx, "mail lease kept until it lapses", "mail", id, errlog.Attr(err))
	}
}

// withhold ends a claimed job unsent: status withheld, off the byPending
// index, so neither a redelivery nor the relay sends it; a campaign job
// adds to its campaign's counter (counter, when not ""). The log line
// names the job only (a metric filter counts the lines).
func (m *Mailer) withhold(ctx context.Context, job *claimedJob, why, counter string) error {
	id := job.ID()
	pk, sk := rmail.JobKey(id)
	upd := types.Update{
		TableName:                aws.String(m.table),
		Key:                      dynamo.Key(pk, sk),
		UpdateExpression:         aws.String("SET #status = :withheld REMOVE leaseUntil, pending"),
		ConditionExpression:      aws.String("#status = :sending AND leaseUntil = :until"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":withheld": &types.AttributeValueMemberS{Value: Withheld},
			":sending":  &types.AttributeValueMemberS{Value: rmail.Sending},
			":until":    &types.AttributeValueMemberN{Value: strconv.FormatInt(job.leaseUntil, 10)},
		},
	}
	if err := m.settle(ctx, job, upd, Withheld, counter); err != nil {
		// Still "sending" under this lease: a redelivery after the lease
		// finds it again and withholds it then.
		return fmt.Errorf("withhold mail %s: %w", id, err)
	}
	slog.InfoContext(ctx, "mail withheld: "+why, "mail", id)
	return nil
}

// sentUpdate marks a job sent. Unconditional, so repeating it is harmless,
// except for a campaign job, whose mark counts: it holds only under this
// delivery's lease, so a repeat cannot count twice (see settle).
func (m *Mailer) sentUpdate(job *claimedJob, sesID string) types.Update {
	pk, sk := rmail.JobKey(job.ID())
	upd := types.Update{
		TableName:                aws.String(m.table),
		Key:                      dynamo.Key(pk, sk),
		UpdateExpression:         aws.String("SET #status = :sent, sentAt = :now, sesMessageId = :ses REMOVE leaseUntil, pending"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": &types.AttributeValueMemberS{Value: rmail.Sent},
			":now":  &types.AttributeValueMemberS{Value: m.now().UTC().Format(time.RFC3339)},
			":ses":  &types.AttributeValueMemberS{Value: sesID},
		},
	}
	if counts(job) {
		upd.ConditionExpression = aws.String("#status = :sending AND leaseUntil = :until")
		upd.ExpressionAttributeValues[":sending"] = &types.AttributeValueMemberS{Value: rmail.Sending}
		upd.ExpressionAttributeValues[":until"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(job.leaseUntil, 10)}
	}
	return upd
}

// Relay re-queues jobs that are durable in the outbox but that the outbox
// stream never brought to the mailer (a mapping disabled or failing to
// start, a stream record lost). Jobs the mailer has received and failed are
// the mail queue's and its DLQ's business, not the relay's.
func (m *Mailer) Relay(ctx context.Context) (int, error) {
	cutoff := m.now().Add(-relayAfter).UTC().Format(time.RFC3339)
	pks, err := dynamo.PendingBefore(ctx, m.db, m.table, cutoff, "attempts = :zero",
		map[string]types.AttributeValue{":zero": &types.AttributeValueMemberN{Value: "0"}})
	for i, pk := range pks {
		if err := m.queue.Send(ctx, sqsqueue.Message{Op: OpSend, ID: strings.TrimPrefix(pk, "MAIL#")}); err != nil {
			return i, err
		}
	}
	if len(pks) > 0 {
		slog.WarnContext(ctx, "relayed mail whose queue message was lost", "count", len(pks))
	}
	return len(pks), err
}
