// Package events keeps the museum's events — openings, the seniors' history
// afternoons, workshops, guided events — and their participants: a public
// signup form whose seats are taken by one conditional write (so two people
// cannot take the last seat), one place per address, a receipt with a cancel
// link, signed RSVP links for invitations, and a reminder the day before.
// Staff create events and list their participants with the staff tool.
package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mailbudget"
	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Participant statuses.
const (
	Registered = "registered"
	Cancelled  = "cancelled"
)

// The declared record kinds (museum.yaml) and the table they live in.
const (
	KindEvent       = "event"
	KindParticipant = "participant"
	Table           = "events"
)

// IndexByDate is the events-only index of every event by its date.
const IndexByDate = "byDate"

// calendar is the one partition of the byDate index (a museum's events fit).
const calendar = "events"

// Errors the HTTP layer turns into pages; fixed texts, so logs may carry them.
var (
	ErrNotFound    error = errlog.New("event not found")
	ErrFull        error = errlog.New("event full")
	ErrLinkInvalid error = errlog.New("link invalid")
	ErrLinkExpired error = errlog.New("link expired")
	ErrNoPlace     error = errlog.New("participant not found")
)

type dynamoAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Event is one event as stored: no personal data.
type Event struct {
	PK        string            `dynamodbav:"pk"`
	SK        string            `dynamodbav:"sk"`
	Kind      string            `dynamodbav:"kind"`
	ID        string            `dynamodbav:"eventId"`
	Name      map[string]string `dynamodbav:"name"` // by language; fi always
	Date      string            `dynamodbav:"date"` // YYYY-MM-DD, Finnish calendar
	Start     string            `dynamodbav:"start,omitempty"`
	Place     string            `dynamodbav:"place,omitempty"`
	Capacity  int               `dynamodbav:"capacity"`
	Taken     int               `dynamodbav:"taken"`
	List      string            `dynamodbav:"list,omitempty"`
	Calendar  string            `dynamodbav:"calendar"`
	CreatedAt string            `dynamodbav:"createdAt"`
}

// NameIn is the event's name in lang, or in Finnish.
func (e Event) NameIn(lang string) string {
	if n := e.Name[lang]; n != "" {
		return n
	}
	return e.Name["fi"]
}

// Left is how many seats are still free.
func (e Event) Left() int { return max(0, e.Capacity-e.Taken) }

// Participant is one address's place at an event.
type Participant struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	SubjectKey   string `dynamodbav:"subjectKey"`
	EventID      string `dynamodbav:"eventId"`
	EventDate    string `dynamodbav:"eventDate"`
	Name         string `dynamodbav:"name"`
	Email        string `dynamodbav:"email"`
	Guests       int    `dynamodbav:"guests"`
	Lang         string `dynamodbav:"lang"`
	Status       string `dynamodbav:"status"`
	Source       string `dynamodbav:"source"` // form or rsvp
	RegisteredAt string `dynamodbav:"registeredAt"`
	CancelledAt  string `dynamodbav:"cancelledAt,omitempty"`
	RemindedAt   string `dynamodbav:"remindedAt,omitempty"`
	Restricted   bool   `dynamodbav:"-"`
}

// Seats is how many seats the place holds: the person and their guests.
func (p Participant) Seats() int { return 1 + p.Guests }

func eventPK(id string) string { return "EVENT#" + id }

const (
	eventSK           = "EVENT"
	participantPrefix = "PARTICIPANT#"
)

var idRE = regexp.MustCompile(`^e[0-9]{8}-[0-9a-f]{8}$`)

// ValidID reports whether id has the shape of an event id.
func ValidID(id string) bool { return idRE.MatchString(id) }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Tables are the deployed tables the capability writes: its own, the mail
// outbox, the table of mail-budget counters, and the audit log (staff).
type Tables struct {
	Events, Mail, Bookings, Audit string
}

// Service is the events capability.
type Service struct {
	reg     *register.Register
	db      dynamoAPI
	keys    keySource
	recs    *seam.Catalogue
	budget  *mailbudget.Budget
	baseURL *url.URL
	now     func() time.Time
}

// NewService wires the capability to its stores.
func NewService(reg *register.Register, db dynamoAPI, keys keySource, t Tables, baseURL *url.URL) *Service {
	recs := seam.MustCatalogue(reg, map[string]string{Table: t.Events, "mail": t.Mail, "bookings": t.Bookings, "audit": t.Audit})
	s := &Service{reg: reg, db: db, keys: keys, recs: recs, baseURL: baseURL, now: time.Now}
	if t.Bookings != "" {
		s.budget = mailbudget.MustNew(recs, "events")
	}
	return s
}

// At sets the service's clock (the staff tool's -local clock, tests).
func (s *Service) At(now func() time.Time) *Service { s.now = now; return s }

// NewEvent is what staff give for a new event.
type NewEvent struct {
	Name               map[string]string
	Date, Start, Place string
	Capacity           int
	List, Actor        string
}

var timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Create stores a new event with an audit entry under the actor, and
// returns it.
func (s *Service) Create(ctx context.Context, in NewEvent) (Event, error) {
	d, err := time.Parse("2006-01-02", in.Date)
	switch {
	case strings.TrimSpace(in.Name["fi"]) == "":
		return Event{}, fmt.Errorf("events: an event needs a name")
	case err != nil:
		return Event{}, fmt.Errorf("events: date %q is not YYYY-MM-DD", in.Date)
	case d.Before(helsinki.Today(s.now())):
		return Event{}, fmt.Errorf("events: %s is in the past", in.Date)
	case in.Start != "" && !timeRE.MatchString(in.Start):
		return Event{}, fmt.Errorf("events: start %q is not HH:MM", in.Start)
	case in.Capacity < 1 || in.Capacity > 10000:
		return Event{}, fmt.Errorf("events: capacity must be 1–10000")
	case strings.TrimSpace(in.Actor) == "":
		return Event{}, fmt.Errorf("events: who is creating it (-actor)?")
	}
	if in.List != "" {
		if _, ok := s.reg.List(in.List); !ok {
			return Event{}, fmt.Errorf("events: no declared list %q", in.List)
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := "e" + strings.ReplaceAll(in.Date, "-", "") + "-" + hex.EncodeToString(b[:])
	now := s.now()
	ev := Event{PK: eventPK(id), SK: eventSK, Kind: KindEvent, ID: id, Name: in.Name, Date: in.Date, Start: in.Start,
		Place: in.Place, Capacity: in.Capacity, List: in.List, Calendar: calendar, CreatedAt: stamp(now)}
	put, err := s.recs.Put(KindEvent, "any", ev, "attribute_not_exists(pk)")
	if err != nil {
		return Event{}, err
	}
	a, err := audit.Put(s.recs, now, audit.Entry{Event: "event.created", Ref: id, Actor: in.Actor})
	if err != nil {
		return Event{}, err
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, a}}); err != nil {
		return Event{}, fmt.Errorf("create event %s: %w", id, err)
	}
	return ev, nil
}

// Get reads one event.
func (s *Service) Get(ctx context.Context, id string) (Event, error) {
	if !ValidID(id) {
		return Event{}, ErrNotFound
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(eventPK(id), eventSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Event{}, fmt.Errorf("read event %s: %w", id, err)
	}
	if out.Item == nil {
		return Event{}, ErrNotFound
	}
	var ev Event
	return ev, attributevalue.UnmarshalMap(out.Item, &ev)
}

// List is every event from the day from on (YYYY-MM-DD; "" for all), by date.
func (s *Service) List(ctx context.Context, from string) ([]Event, error) {
	return s.byDate(ctx, "#date >= :d", from)
}

func (s *Service) byDate(ctx context.Context, cond, day string) ([]Event, error) {
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.recs.Table(Table)), IndexName: aws.String(IndexByDate),
		KeyConditionExpression:    aws.String("calendar = :c AND " + cond),
		ExpressionAttributeNames:  map[string]string{"#date": "date"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": sv(calendar), ":d": sv(day)},
	}
	var out []Event
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("events by date: %w", err)
		}
		for _, it := range page.Items {
			var ev Event
			if err := attributevalue.UnmarshalMap(it, &ev); err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return out, nil
		}
	}
}

// Participants is every participant of event id, registered or cancelled,
// each flagged when under restriction.
func (s *Service) Participants(ctx context.Context, id string) ([]Participant, error) {
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.recs.Table(Table)), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(eventPK(id)), ":p": sv(participantPrefix)},
	}
	var out []Participant
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("participants of %s: %w", id, err)
		}
		for _, it := range page.Items {
			var p Participant
			if err := attributevalue.UnmarshalMap(it, &p); err != nil {
				return nil, err
			}
			_, p.Restricted = it[seam.AttrRestricted]
			out = append(out, p)
		}
		if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return out, nil
		}
	}
}

// AuditListing logs that actor read event id's participant list.
func (s *Service) AuditListing(ctx context.Context, id, actor string) error {
	a, err := audit.Put(s.recs, s.now(), audit.Entry{Event: "event.participants.listed", Ref: id, Actor: actor})
	if err != nil {
		return err
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{a}}); err != nil {
		return fmt.Errorf("audit the listing of %s: %w", id, err)
	}
	return nil
}

// SignupURL is the public signup form of event id.
func (s *Service) SignupURL(id string) string { return signupURL(s.baseURL, id, "fi") }

func signupURL(base *url.URL, id, lang string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + "/events/signup"
	u.RawQuery = url.Values{"event": {id}, "lang": {lang}}.Encode()
	return u.String()
}

// startOf is when the event begins (its start time, or the day's start) in Finland.
func startOf(ev Event) time.Time {
	d, _ := time.Parse("2006-01-02", ev.Date)
	offset := helsinki.Local(d.Add(12 * time.Hour)).Sub(d.Add(12 * time.Hour))
	t := d.Add(-offset)
	if timeRE.MatchString(ev.Start) {
		h, m := int(ev.Start[0]-'0')*10+int(ev.Start[1]-'0'), int(ev.Start[3]-'0')*10+int(ev.Start[4]-'0')
		t = t.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	return t
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
}
