package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// OpSend is the campaigns-queue operation: "send the campaign with this id"
// (start it, or go on where its cursor is).
const OpSend = "campaign.send"

// DB is what the capability calls in DynamoDB.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Sender puts a message on the campaigns queue.
type Sender interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

// Keys gives the link-signing key.
type Keys interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Tables are the deployed tables the capability uses.
type Tables struct {
	Campaigns, Subscribers, Mail string
}

// Service renders campaigns and writes their recipients' jobs.
type Service struct {
	reg     *register.Register
	recs    *record.Catalogue
	db      DB
	queue   Sender
	keys    Keys
	tables  Tables
	baseURL *url.URL
	now     func() time.Time
	// pageSize is the audience page read at once; work is how long one
	// delivery writes pages before it queues the rest.
	pageSize int32
	work     time.Duration
}

// NewService returns the service.
func NewService(reg *register.Register, db DB, queue Sender, keys Keys, tables Tables, baseURL *url.URL, now func() time.Time) *Service {
	recs := record.MustCatalogue(reg, map[string]string{"campaigns": tables.Campaigns, "subscribers": tables.Subscribers, "mail": tables.Mail})
	return &Service{reg: reg, recs: recs, db: db, queue: queue, keys: keys, tables: tables, baseURL: baseURL, now: now, pageSize: 100, work: time.Minute}
}

// ErrNotFound is a campaign id that names no campaign.
var ErrNotFound = errors.New("campaign: no such campaign")

// Get reads a campaign.
func (s *Service) Get(ctx context.Context, id string) (Campaign, error) {
	return get(ctx, s.db, s.tables.Campaigns, id)
}

func get(ctx context.Context, db Getter, table, id string) (Campaign, error) {
	pk, sk := mail.CampaignKey(id)
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	if out.Item == nil {
		return Campaign{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var c Campaign
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	return c, nil
}

// Handle carries a campaign on: renders it once, then writes its
// recipients' jobs page by page for up to s.work, and queues itself to go
// on if the audience is not done. Delivered twice, it writes nothing twice.
func (s *Service) Handle(ctx context.Context, m sqsqueue.Message) error {
	if m.Op != OpSend {
		return fmt.Errorf("campaigns queue: op %q: %w", m.Op, sqsqueue.ErrPermanent)
	}
	c, err := s.Get(ctx, m.ID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", err, sqsqueue.ErrPermanent)
	}
	if err != nil {
		return err
	}
	if c.Status == Written {
		return nil
	}
	if c.Status == Queued {
		if c, err = s.render(ctx, c); err != nil {
			return err
		}
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return err
	}
	until := time.Now().Add(s.work)
	if d, ok := ctx.Deadline(); ok && d.Add(-15*time.Second).Before(until) {
		until = d.Add(-15 * time.Second)
	}
	for time.Now().Before(until) {
		done, err := s.writePage(ctx, keys, &c)
		if err != nil {
			return err
		}
		if done {
			return s.finish(ctx, c)
		}
	}
	slog.InfoContext(ctx, "campaign goes on in a new delivery", "campaign", c.ID(), "recipients", c.Recipients)
	return s.queue.Send(ctx, sqsqueue.Message{Op: OpSend, ID: c.ID()})
}

// render stores the rendered content and moves the campaign to writing.
func (s *Service) render(ctx context.Context, c Campaign) (Campaign, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return c, err
	}
	content, err := Render(c.Source, keys.Token, s.baseURL)
	if err != nil {
		// Staff checked the draft; a body that fails here cannot be mended by a retry.
		return c, fmt.Errorf("campaign %s: %w: %w", c.ID(), err, sqsqueue.ErrPermanent)
	}
	av, err := attributevalue.Marshal(content)
	if err != nil {
		return c, err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.tables.Campaigns), Key: dynamo.Key(c.PK, c.SK),
		UpdateExpression:          aws.String("SET #content = :content, #status = :writing"),
		ConditionExpression:       aws.String("#status = :queued"),
		ExpressionAttributeNames:  map[string]string{"#status": "status", "#content": "content"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":content": av, ":writing": sv(Writing), ":queued": sv(Queued)},
	})
	if dynamo.ConditionFailed(err) {
		return s.Get(ctx, c.ID()) // another delivery rendered it
	}
	if err != nil {
		return c, fmt.Errorf("campaign %s: store content: %w", c.ID(), err)
	}
	c.Content, c.Status = content, Writing
	slog.InfoContext(ctx, "campaign rendered", "campaign", c.ID(), "list", c.List, "languages", len(content))
	return c, nil
}

func (s *Service) finish(ctx context.Context, c Campaign) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.tables.Campaigns), Key: dynamo.Key(c.PK, c.SK),
		UpdateExpression:          aws.String("SET #status = :written, writtenAt = :now"),
		ConditionExpression:       aws.String("#status = :writing"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":written": sv(Written), ":writing": sv(Writing), ":now": sv(s.now().UTC().Format(time.RFC3339))},
	})
	if err != nil && !dynamo.ConditionFailed(err) {
		return fmt.Errorf("campaign %s: finish: %w", c.ID(), err)
	}
	slog.InfoContext(ctx, "campaign written", "campaign", c.ID(), "recipients", c.Recipients, "skipped", c.Skipped)
	return nil
}

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
