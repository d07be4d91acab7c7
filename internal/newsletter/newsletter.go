// Package newsletter runs the museum's mailing lists: double opt-in signup,
// a consent receipt that proves what was agreed to, one-click unsubscribe,
// and the last-active time stamp the privacy notice declares.
package newsletter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// Subscription statuses.
const (
	Pending      = "pending"
	Active       = "active"
	Unsubscribed = "unsubscribed"
)

const (
	// confirmValidity is how long a confirmation link works; the unconfirmed
	// subscription expires with it (declared in the register).
	confirmValidity = 7 * 24 * time.Hour
	// resendAfter stops repeated signups of one address from flooding its
	// inbox; within it, a repeated signup answers the same but mails nothing.
	resendAfter = 10 * time.Minute
)

// Errors the HTTP layer turns into pages that say what to do.
var (
	ErrLinkInvalid = errors.New("link invalid")
	ErrLinkExpired = errors.New("link expired")
	ErrLinkUsedUp  = errors.New("nothing left to confirm")
)

type dynamoAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

type queue interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Tables are the physical names of the tables the service writes.
type Tables struct {
	Subscribers, Mail, Audit string
	// Campaigns is read only, for a campaign's web version.
	Campaigns string
}

// Service is the newsletter capability.
type Service struct {
	reg     *register.Register
	db      dynamoAPI
	signups queue
	keys    keySource
	tables  Tables
	baseURL *url.URL
	recs    *record.Catalogue
	now     func() time.Time
}

// NewService wires the capability to its stores.
func NewService(reg *register.Register, db dynamoAPI, signupsQueue queue, keys keySource, tables Tables, baseURL *url.URL) *Service {
	recs := record.MustCatalogue(reg, map[string]string{"subscribers": tables.Subscribers, "mail": tables.Mail, "audit": tables.Audit})
	return &Service{reg: reg, db: db, signups: signupsQueue, keys: keys, tables: tables, recs: recs, baseURL: baseURL, now: time.Now}
}

// Signup is one request to join lists.
type Signup struct {
	Email, Name, Lang string
	Lists             []string
	// Channel and Form say where consent was given, for the receipt.
	Channel, Form string
	// ID, when set, makes a handed-over signup idempotent: the same ID never
	// queues a second confirmation.
	ID string
}

type subscription struct {
	PK             string `dynamodbav:"pk"`
	SK             string `dynamodbav:"sk"`
	Kind           string `dynamodbav:"kind"`
	SubjectKey     string `dynamodbav:"subjectKey"`
	List           string `dynamodbav:"list"`
	Email          string `dynamodbav:"email,omitempty"`
	Name           string `dynamodbav:"name,omitempty"`
	Lang           string `dynamodbav:"lang"`
	Status         string `dynamodbav:"status"`
	SignupID       string `dynamodbav:"signupId"`
	SignupAt       string `dynamodbav:"signupAt"`
	ConfirmedAt    string `dynamodbav:"confirmedAt,omitempty"`
	UnsubscribedAt string `dynamodbav:"unsubscribedAt,omitempty"`
	LastActiveAt   string `dynamodbav:"lastActiveAt"`
	Channel        string `dynamodbav:"channel"`
	// The restriction (Art. 18) the requests function set, read so that
	// the mail a restricted subscription causes carries it too.
	RestrictedAt  string `dynamodbav:"restrictedAt,omitempty"`
	RestrictedFor string `dynamodbav:"restrictedFor,omitempty"`
	// Undeliverable is the list, when the address hard-bounced (written by
	// HandleSESEvent, never by a signup); SoftBounces counts soft bounces
	// in a row. audience.Attr (sendTo) is written by updates only.
	Undeliverable string `dynamodbav:"undeliverable,omitempty"`
	SoftBounces   int    `dynamodbav:"softBounces,omitempty"`
}

// consent is the receipt of one signup to one list (GDPR Art. 7(1)).
type consent struct {
	PK                 string `dynamodbav:"pk"`
	SK                 string `dynamodbav:"sk"`
	Kind               string `dynamodbav:"kind"`
	SubjectKey         string `dynamodbav:"subjectKey"`
	List               string `dynamodbav:"list"`
	Purpose            string `dynamodbav:"purpose"`
	LegalBasis         string `dynamodbav:"legalBasis"`
	SignupID           string `dynamodbav:"signupId"`
	ConsentTextVersion string `dynamodbav:"consentTextVersion"`
	NoticeVersion      string `dynamodbav:"noticeVersion"`
	Form               string `dynamodbav:"form"`
	Lang               string `dynamodbav:"lang"`
	Method             string `dynamodbav:"method"`
	Channel            string `dynamodbav:"channel"`
	SignupAt           string `dynamodbav:"signupAt"`
	ConfirmedAt        string `dynamodbav:"confirmedAt,omitempty"`
	WithdrawnAt        string `dynamodbav:"withdrawnAt,omitempty"`
	WithdrawalChannel  string `dynamodbav:"withdrawalChannel,omitempty"`
}

// stamp is the one time format of stored time stamps; it sorts as text.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

var opaqueID = regexp.MustCompile(`^[a-z0-9-]{8,64}$`)

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Subscribe records a pending subscription and its receipt for each list and
// queues one confirmation mail. It answers the same whatever the address's
// state, so the answer cannot tell anyone whether an address is known: lists
// already active, or signed up moments ago, are left alone and mailed nothing.
//
// Nor can the time it takes: every state makes the same one call, a
// transaction that writes the confirmation job with the subscription (the
// outbox's stream brings it to the mailer) or is refused (issue 7, item 6).
// Only a signup to several lists of which some, not all, are refused needs a
// second transaction.
func (s *Service) Subscribe(ctx context.Context, in Signup) error {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if in.ID == "" {
		in.ID = newID()
	} else if !opaqueID.MatchString(in.ID) {
		return fmt.Errorf("subscribe: signup id %q is not opaque", in.ID)
	}
	now := s.now()
	sk := subject.EmailKey(keys.Subject, in.Email)
	email := subject.NormalizeEmail(in.Email)
	lists := slices.Clone(in.Lists)
	for attempt := 0; attempt < 2 && len(lists) > 0; attempt++ {
		tx, jobIdx, err := s.subscribeTx(keys, sk, email, in, lists, now)
		if err != nil {
			return err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil {
			slog.InfoContext(ctx, "signup pending", "signup", in.ID, "subject", subject.Prefix(sk), "lists", lists)
			return nil
		}
		codes := dynamo.CancelledBy(err)
		if codes == nil {
			return fmt.Errorf("subscribe %s: %w", in.ID, err)
		}
		if codes[jobIdx] == "ConditionalCheckFailed" {
			// This signup id was handled before; its job exists.
			return nil
		}
		// Each list owns two items (subscription, receipt) at the front.
		var keep []string
		for i, l := range lists {
			if codes[2*i] != "ConditionalCheckFailed" {
				keep = append(keep, l)
			}
		}
		if len(keep) == len(lists) {
			return fmt.Errorf("subscribe %s: cancelled %v: %w", in.ID, codes, err)
		}
		lists = keep
	}
	slog.InfoContext(ctx, "signup left alone: already active or just sent", "signup", in.ID, "subject", subject.Prefix(sk))
	return nil
}

func (s *Service) subscribeTx(keys keyring.Keys, sk, email string, in Signup, lists []string, now time.Time) ([]types.TransactWriteItem, int, error) {
	pk := audience.SubjectPK(sk)
	var tx []types.TransactWriteItem
	names := make([]string, 0, len(lists))
	for _, l := range lists {
		list, ok := s.reg.List(l)
		if !ok {
			return nil, 0, fmt.Errorf("subscribe: undeclared list %q", l)
		}
		purpose, _ := s.reg.Purpose(list.Purpose)
		names = append(names, list.Name.In(in.Lang))
		sub := subscription{
			PK: pk, SK: audience.ListSK(l), Kind: "subscription", SubjectKey: sk, List: l,
			Email: email, Name: in.Name, Lang: in.Lang, Status: Pending,
			SignupID: in.ID, SignupAt: stamp(now), LastActiveAt: stamp(now), Channel: in.Channel,
		}
		put, err := s.recs.Put("subscription", Pending, sub,
			"attribute_not_exists(pk) OR (#status <> :active AND (#status <> :pending OR signupAt < :resend))")
		if err != nil {
			return nil, 0, err
		}
		put.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
		put.Put.ExpressionAttributeValues = map[string]types.AttributeValue{
			":active":  &types.AttributeValueMemberS{Value: Active},
			":pending": &types.AttributeValueMemberS{Value: Pending},
			":resend":  &types.AttributeValueMemberS{Value: stamp(now.Add(-resendAfter))},
		}
		receipt := consent{
			PK: pk, SK: audience.ConsentSK(l, in.ID), Kind: "consent", SubjectKey: sk, List: l,
			Purpose: purpose.ID, LegalBasis: purpose.LegalBasis, SignupID: in.ID,
			ConsentTextVersion: list.ConsentVersion(in.Lang), NoticeVersion: s.reg.Version(),
			Form: in.Form, Lang: in.Lang, Channel: in.Channel,
			Method:   "unticked checkbox; double opt-in: link in mail, then button (POST)",
			SignupAt: stamp(now),
		}
		rput, err := s.recs.Put("consent", "unconfirmed", receipt)
		if err != nil {
			return nil, 0, err
		}
		tx = append(tx, put, rput)
	}
	confirm := token.Sign(keys.Token, token.Claims{Purpose: token.Confirm, Subject: sk, ID: in.ID, Lists: lists, Expires: now.Add(confirmValidity).Unix()})
	job, err := mail.NewJob(now, "confirm."+in.ID, sk, email, "newsletter-confirm", in.Lang, map[string]string{
		"lists":          strings.Join(names, ", "),
		"confirmURL":     s.link("/newsletter/confirm", confirm, in.Lang),
		"unsubscribeURL": s.link("/newsletter/unsubscribe", s.unsubscribeToken(keys, sk, lists), in.Lang),
		"privacyURL":     s.privacyURL(in.Lang),
	})
	if err != nil {
		return nil, 0, err
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return nil, 0, err
	}
	tx = append(tx, jput)
	return tx, len(tx) - 1, nil
}

func (s *Service) unsubscribeToken(keys keyring.Keys, sk string, lists []string) string {
	// Unsubscribe links never expire: a years-old mail must still work.
	return token.Sign(keys.Token, token.Claims{Purpose: token.Unsubscribe, Subject: sk, Lists: lists})
}

func (s *Service) link(path, tok, lang string) string { return token.Link(s.baseURL, path, tok, lang) }

func (s *Service) privacyURL(lang string) string { return s.reg.NoticeURL(s.baseURL, lang) }

func (s *Service) verify(ctx context.Context, tok, purpose string) (token.Claims, keyring.Keys, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return token.Claims{}, keys, err
	}
	c, err := token.Verify(keys.Token, tok, purpose, s.now())
	switch {
	case errors.Is(err, token.ErrExpired):
		return c, keys, ErrLinkExpired
	case err != nil:
		return c, keys, ErrLinkInvalid
	}
	return c, keys, nil
}

// CheckLink tells whether a link's token is worth showing a button for.
func (s *Service) CheckLink(ctx context.Context, tok, purpose string) error {
	_, _, err := s.verify(ctx, tok, purpose)
	return err
}

func (s *Service) subscriptions(ctx context.Context, sk string) (map[string]subscription, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.tables.Subscribers),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :list)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: audience.SubjectPK(sk)},
			":list": &types.AttributeValueMemberS{Value: "LIST#"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read subscriptions %s: %w", subject.Prefix(sk), err)
	}
	var subs []subscription
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &subs); err != nil {
		return nil, err
	}
	m := make(map[string]subscription, len(subs))
	for _, sub := range subs {
		m[sub.List] = sub
	}
	return m, nil
}
