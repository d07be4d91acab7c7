package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/mailbudget"
	seam "rekisteri/internal/record"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// RSVPLink is a signed link, for an invitation mailed to subjectKey's
// address, to event eventID's signup form in lang. A signup carrying it
// counts as any other (the seats decide); when the address given is the one
// invited, it is known to be the person's own, so it spends no mail budget.
func RSVPLink(base *url.URL, tokenKey []byte, eventID, subjectKey, lang string) string {
	u, _ := url.Parse(signupURL(base, eventID, lang))
	q := u.Query()
	q.Set("rsvp", token.Sign(tokenKey, token.Claims{Purpose: token.RSVP, ID: eventID, Subject: subjectKey}))
	u.RawQuery = q.Encode()
	return u.String()
}

// Signup is a validated signup from the form.
type Signup struct {
	Name, Email, Lang string
	Guests            int
	RSVP              string // an invitation's token, or ""
}

// Outcome says what a signup did.
type Outcome struct {
	Already bool // the address held a place already: nothing changed
	Mailed  bool // a receipt was queued
}

// Register takes 1 + guests seats of ev for the signup's address, stores its
// place and queues its receipt, all in one transaction: the event's taken
// seats rise only while taken + seats <= capacity, and the place is put only
// where the address holds none, so the last seat goes to one person and an
// address signing up twice holds one place. Past the address's mail budget
// (unless an invitation vouches for the address) the place is taken the
// same, unmailed. ErrFull when the seats do not suffice.
func (s *Service) Register(ctx context.Context, ev Event, in Signup) (Outcome, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("events: %w", err)
	}
	now := s.now()
	sk := subject.EmailKey(keys.Subject, in.Email)
	source, invited := "form", false
	if in.RSVP != "" {
		c, err := token.Verify(keys.Token, in.RSVP, token.RSVP, now)
		if err != nil || c.ID != ev.ID {
			return Outcome{}, ErrLinkInvalid
		}
		source, invited = "rsvp", c.Subject == sk
	}
	p := Participant{PK: ev.PK, SK: participantPrefix + sk, Kind: KindParticipant, SubjectKey: sk, EventID: ev.ID, EventDate: ev.Date,
		Name: in.Name, Email: subject.NormalizeEmail(in.Email), Guests: in.Guests, Lang: in.Lang, Status: Registered, Source: source, RegisteredAt: stamp(now)}
	seats := p.Seats()
	take := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(ev.PK, eventSK),
		UpdateExpression: aws.String("SET taken = taken + :n"),
		// taken + :n <= capacity, for the capacity the event was read with
		// (staff never change it): one write decides the last seat.
		ConditionExpression:       aws.String("#capacity = :cap AND taken <= :most"),
		ExpressionAttributeNames:  map[string]string{"#capacity": "capacity"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": nv(seats), ":cap": nv(ev.Capacity), ":most": nv(ev.Capacity - seats)},
	}}
	// A cancelled place may be taken again, unless it is under restriction
	// (Art. 18): a new put would drop the flag.
	put, err := s.recs.Put(KindParticipant, "any", p, "attribute_not_exists(pk) OR (#status = :cancelled AND attribute_not_exists("+seam.AttrRestricted+"))")
	if err != nil {
		return Outcome{}, err
	}
	put.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
	put.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":cancelled": sv(Cancelled)}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	job, err := s.job(now, "event-receipt."+ev.ID+"."+subject.Prefix(sk)+"."+hex.EncodeToString(rnd[:]), ev, p, "event-receipt", keys)
	if err != nil {
		return Outcome{}, err
	}
	jp, err := mail.Put(s.recs, job)
	if err != nil {
		return Outcome{}, err
	}
	tx := []types.TransactWriteItem{take, put}
	if !invited {
		tx = append(tx, s.budget.Spend(sk, now))
	}
	tx = append(tx, jp)
	err = s.transact(ctx, tx)
	if refused, _ := mailbudget.Refused(err, 2); refused && !invited {
		// Past the budget: the place all the same, counted, nothing mailed.
		err = s.transact(ctx, []types.TransactWriteItem{take, put, s.budget.Overspend(sk, now, false)})
		if err == nil {
			slog.InfoContext(ctx, "event signup past the mail budget: nothing mailed", "event", ev.ID, "subject", subject.Prefix(sk), "seats", seats)
			return Outcome{}, nil
		}
	}
	if codes := dynamo.CancelledBy(err); len(codes) > 1 {
		switch {
		case codes[1] == "ConditionalCheckFailed":
			slog.InfoContext(ctx, "event signup again: the place stands", "event", ev.ID, "subject", subject.Prefix(sk))
			return Outcome{Already: true}, nil
		case codes[0] == "ConditionalCheckFailed":
			return Outcome{}, ErrFull
		}
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("event signup %s: %w", ev.ID, err)
	}
	slog.InfoContext(ctx, "event signup", "event", ev.ID, "subject", subject.Prefix(sk), "seats", seats, "source", source)
	return Outcome{Mailed: true}, nil
}

// transact writes tx, and again (twice at most) when DynamoDB cancelled it
// only for a conflict with a concurrent transaction on the same event.
func (s *Service) transact(ctx context.Context, tx []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil || attempt == 2 || !slices.Contains(dynamo.CancelledBy(err), "TransactionConflict") {
			return err
		}
		time.Sleep(time.Duration(10+mrand.IntN(40)) * time.Millisecond)
	}
}

// job is a mail to participant p about ev, with its cancel link.
func (s *Service) job(now time.Time, id string, ev Event, p Participant, tmpl string, keys keyring.Keys) (mail.Job, error) {
	place := ev.Place
	if place == "" {
		place = "KAMU"
	}
	// The mail templates' own parameter names (internal/mail): the event
	// is the "resource", its place the "address", its seats "participants".
	return mail.NewJob(now, id, p.SubjectKey, p.Email, tmpl, p.Lang, map[string]string{
		"resource": ev.NameIn(p.Lang), "date": strings.TrimSpace(ev.Date + " " + ev.Start), "address": place, "name": p.Name,
		"participants": strconv.Itoa(p.Seats()), "cancelURL": s.cancelLink(keys, ev, p), "privacyURL": s.reg.NoticeURL(s.baseURL, p.Lang),
	})
}

// cancelLink works until the event begins.
func (s *Service) cancelLink(keys keyring.Keys, ev Event, p Participant) string {
	tok := token.Sign(keys.Token, token.Claims{Purpose: token.EventCancel, ID: ev.ID, Subject: p.SubjectKey, Expires: startOf(ev).Unix()})
	return token.Link(s.baseURL, "/events/cancel", tok, p.Lang)
}

// FromCancelLink reads the event and the place a cancel link names.
func (s *Service) FromCancelLink(ctx context.Context, tok string) (Event, Participant, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return Event{}, Participant{}, err
	}
	c, err := token.Verify(keys.Token, tok, token.EventCancel, s.now())
	switch {
	case errors.Is(err, token.ErrExpired):
		return Event{}, Participant{}, ErrLinkExpired
	case err != nil:
		return Event{}, Participant{}, ErrLinkInvalid
	}
	ev, err := s.Get(ctx, c.ID)
	if err != nil {
		return Event{}, Participant{}, err
	}
	p, err := s.participant(ctx, ev, c.Subject)
	return ev, p, err
}

func (s *Service) participant(ctx context.Context, ev Event, subjectKey string) (Participant, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(ev.PK, participantPrefix+subjectKey), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Participant{}, fmt.Errorf("read participant of %s: %w", ev.ID, err)
	}
	if out.Item == nil {
		return Participant{}, ErrNoPlace
	}
	var p Participant
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return Participant{}, err
	}
	_, p.Restricted = out.Item[seam.AttrRestricted]
	return p, nil
}

// Cancel gives up the place a cancel link names and frees its seats, once:
// a second cancel finds it cancelled and changes nothing.
func (s *Service) Cancel(ctx context.Context, tok string) (Event, error) {
	for attempt := 0; ; attempt++ {
		ev, p, err := s.FromCancelLink(ctx, tok)
		if err != nil || p.Status == Cancelled {
			return ev, err
		}
		tx := []types.TransactWriteItem{{Update: &types.Update{
			TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(p.PK, p.SK),
			UpdateExpression:          aws.String("SET #status = :cancelled, cancelledAt = :now"),
			ConditionExpression:       aws.String("#status = :registered AND guests = :g"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": sv(Cancelled), ":registered": sv(Registered), ":now": sv(stamp(s.now())), ":g": nv(p.Guests)},
		}}, {Update: &types.Update{
			TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(ev.PK, eventSK),
			UpdateExpression: aws.String("SET taken = taken - :n"), ConditionExpression: aws.String("taken >= :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": nv(p.Seats())},
		}}}
		err = s.transact(ctx, tx)
		if err != nil && dynamo.CancelledBy(err) != nil && attempt == 0 {
			continue // the place changed under us: read it again
		}
		if err != nil {
			return ev, fmt.Errorf("cancel a place at %s: %w", ev.ID, err)
		}
		slog.InfoContext(ctx, "event place cancelled", "event", ev.ID, "subject", subject.Prefix(p.SubjectKey), "seats", p.Seats())
		return ev, nil
	}
}
