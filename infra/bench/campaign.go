package main

// A campaign to a list (operations.go): N active subscribers loaded into the
// audience index as the newsletter leaves them, the campaigns function run
// through its entry point with its page writer killed half-way and the
// message delivered again, the calls and capacity per recipient counted;
// and a smaller campaign, killed the same way, sent through the mailer with
// every recipient's mails counted.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/audience"
	"rekisteri/internal/campaign"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// sesRate is the SES send rate the time to send is computed at (the
// mailer's MAIL_SEND_RATE default: a new account's rate out of the sandbox).
const sesRate = 14

type campaignResult struct {
	N, MailN          int
	Before            int             // on the audience before the load: the other rows' subscribers
	Pages             awsprobe.Counts // the page writer over N, both deliveries
	Wall              time.Duration
	Deliveries        int // invocations of the campaigns function for N
	Jobs, Recipients  int // jobs in the outbox; the campaign's count
	Killed            bool
	Mailer            awsprobe.Counts // the mailer over MailN
	Sent, Extra, Miss int             // the MailN campaign's mails
}

// campaignBench runs both campaigns; n and mailN are their audiences.
func (b *bench) campaignBench(ctx context.Context, rep *opsReport, n, mailN int) error {
	reg := register.MustLoad("museum")
	recs := record.MustCatalogue(reg, map[string]string{"subscribers": b.stack.Resolve("SubscribersTable"),
		"campaigns": b.stack.Resolve("CampaignsTable"), "audit": b.stack.Resolve("AuditTable")})
	res := &campaignResult{N: n, MailN: mailN}
	rep.Campaign = res

	// The smaller one first, through the mailer: it drains the outbox.
	progress("campaign: %d subscribers on openings, the page writer killed half-way, then sent through the mailer", mailN)
	if err := b.loadAudience(ctx, recs, "openings", mailN); err != nil {
		return err
	}
	id, err := b.newCampaign(ctx, recs, "openings")
	if err != nil {
		return err
	}
	b.faults.FailAfter("DynamoDB.PutItem", mailN/2, 1)
	if _, err := b.runCampaign(ctx, id); err != nil {
		return err
	}
	b.rec.Reset()
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	res.Mailer = b.rec.Snapshot()
	counts, err := b.mailsPerAddress(ctx, "openings")
	if err != nil {
		return err
	}
	for i := range mailN {
		switch c := counts[b.readerAddress("openings", i)]; {
		case c == 0:
			res.Miss++
		default:
			res.Sent += c
			res.Extra += c - 1
		}
	}

	// The large one: the page writer alone (its jobs stay in the outbox).
	progress("campaign: loading %d subscribers on newsletter", n)
	if res.Before, err = b.audienceSize(ctx, "newsletter"); err != nil {
		return err
	}
	if err := b.loadAudience(ctx, recs, "newsletter", n); err != nil {
		return err
	}
	if id, err = b.newCampaign(ctx, recs, "newsletter"); err != nil {
		return err
	}
	progress("campaign: writing %d recipients' jobs, the page writer killed half-way", n)
	b.faults.FailAfter("DynamoDB.PutItem", n/2, 1)
	b.rec.Reset()
	t0 := time.Now()
	if res.Deliveries, err = b.runCampaign(ctx, id); err != nil {
		return err
	}
	res.Wall, res.Pages, res.Killed = time.Since(t0), b.rec.Snapshot(), b.faults.Fired() > 0
	c, err := campaign.Load(ctx, b.stack.Clients().DynamoDB, b.stack.Resolve("CampaignsTable"), id)
	if err != nil {
		return err
	}
	res.Recipients = c.Recipients
	res.Jobs, err = b.countJobs(ctx, id)
	return err
}

func (b *bench) readerAddress(list string, i int) string {
	return fmt.Sprintf("reader%d.%s.%s@example.com", i, list, b.runID)
}

// loadAudience writes n active subscriptions to list as a confirm leaves
// them (on the audience index, stamped by the record seam).
func (b *bench) loadAudience(ctx context.Context, recs *record.Catalogue, list string, n int) error {
	return b.loadSubscribers(ctx, recs, list, n, func(i int) string { return b.readerAddress(list, i) })
}

func (b *bench) loadSubscribers(ctx context.Context, recs *record.Catalogue, list string, n int, addr func(int) string) error {
	now := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	langs := []string{"fi", "sv", "en"}
	gen := func(i int) (map[string]types.AttributeValue, error) {
		h := sha256.Sum256([]byte(b.runID + list + addr(i)))
		sk := hex.EncodeToString(h[:])
		pk := audience.SubjectPK(sk)
		s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
		item := map[string]types.AttributeValue{
			"pk": s(pk), "sk": s(audience.ListSK(list)), "subjectKey": s(sk), "list": s(list), "email": s(addr(i)),
			"name": s(fmt.Sprintf("Reader %d", i)), "lang": s(langs[i%3]), "status": s("active"), "signupId": s(fmt.Sprintf("bench%08d", i)),
			"signupAt": s(now), "confirmedAt": s(now), "lastActiveAt": s(now), "channel": s("web-form"), audience.Attr: s(audience.Key(list, pk)),
		}
		return item, recs.Stamp("subscription", "active", item)
	}
	got, err := sweepWrite(ctx, b.stack.Clients().DynamoDB, b.stack.Resolve("SubscribersTable"), 0, n, gen, false)
	if err == nil && got < n {
		err = fmt.Errorf("loaded %d of %d subscribers", got, n)
	}
	return err
}

func (b *bench) newCampaign(ctx context.Context, recs *record.Catalogue, list string) (string, error) {
	return b.newCampaignID(ctx, recs, list, "kbench-"+list+"-"+b.runID)
}

func (b *bench) newCampaignID(ctx context.Context, recs *record.Catalogue, list, id string) (string, error) {
	c, err := campaign.New(time.Now(), id, list, "bench", map[string]campaign.Source{
		"fi": {Subject: "Syksyn näyttely", Body: "# Syksyn näyttely\n\nTervetuloa [avajaisiin](https://kamu.example.fi/avajaiset)!\n"},
		"sv": {Subject: "Höstens utställning", Body: "# Höstens utställning\n\nVälkommen till [vernissagen](https://kamu.example.fi/avajaiset)!\n"},
		"en": {Subject: "The autumn exhibition", Body: "# The autumn exhibition\n\nWelcome to the [opening](https://kamu.example.fi/avajaiset)!\n"},
	})
	if err != nil {
		return "", err
	}
	return id, campaign.Create(ctx, b.stack.Clients().DynamoDB, recs, c, time.Now())
}

// runCampaign delivers the campaign's message to the function's entry
// point as Lambda would, again after a failure (the killed page writer) and
// for each message the function queues to go on, until it is written.
func (b *bench) runCampaign(ctx context.Context, id string) (int, error) {
	body := fmt.Sprintf(`{"op":%q,"id":%q}`, campaign.OpSend, id)
	q := b.stack.Resolve("CampaignsQueue")
	for n := 1; n <= 1000; n++ {
		ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: fmt.Sprintf("m%d", n), Body: body,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}, EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:eu-north-1:123456789012:CampaignsQueue", AWSRegion: "eu-north-1"}}})
		out, err := b.stack.Functions["CampaignsFunction"].Invoke(ctx, ev)
		if err != nil {
			return n, err
		}
		failed := len(out.(events.SQSEventResponse).BatchItemFailures) > 0
		c, err := campaign.Load(ctx, b.stack.Clients().DynamoDB, b.stack.Resolve("CampaignsTable"), id)
		if err != nil {
			return n, err
		}
		if c.Status == campaign.Written {
			return n, nil
		}
		if failed {
			continue // the message comes back: deliver it again
		}
		// It went on in a new message: take it off the queue and deliver it.
		rcv, err := b.stack.Clients().SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
		if err != nil {
			return n, err
		}
		for _, m := range rcv.Messages {
			_, _ = b.stack.Clients().SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return 0, errors.New("campaign not written after 1000 deliveries")
}

// audienceSize counts list's audience (the bench looking).
func (b *bench) audienceSize(ctx context.Context, list string) (int, error) {
	n := 0
	for shard := range audience.Shards {
		p := dynamodb.NewQueryPaginator(b.stack.Clients().DynamoDB, &dynamodb.QueryInput{
			TableName: aws.String(b.stack.Resolve("SubscribersTable")), IndexName: aws.String(audience.Index), Select: types.SelectCount,
			KeyConditionExpression:    aws.String(audience.Attr + " = :k"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: audience.ShardKey(list, shard)}},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return n, err
			}
			n += int(out.Count)
		}
	}
	return n, nil
}

// countJobs counts the campaign's jobs in the outbox. A Scan: the bench
// looking, not the system working.
func (b *bench) countJobs(ctx context.Context, id string) (int, error) {
	p := dynamodb.NewScanPaginator(b.stack.Clients().DynamoDB, &dynamodb.ScanInput{
		TableName: aws.String(b.stack.Resolve("MailTable")), Select: types.SelectCount,
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "MAIL#c." + id + "."}},
	})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += int(out.Count)
	}
	return n, nil
}

// mailsPerAddress counts the mails moto's SES accepted per recipient whose
// address names list.
func (b *bench) mailsPerAddress(ctx context.Context, list string) (map[string]int, error) {
	mails, err := b.stack.SentMail(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, m := range mails {
		if strings.Contains(m.Parsed.To, "."+list+".") {
			counts[strings.ToLower(m.Parsed.To)]++
		}
	}
	return counts, nil
}
