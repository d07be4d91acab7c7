package newsletter

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/sesevents"
	"rekisteri/internal/subject"
)

// ComplaintChannel is the withdrawal channel a consent receipt records when
// a recipient's complaint (a feedback loop report) ended it.
const ComplaintChannel = "complaint"

// sesFeedback marks an SES bounce or complaint as handled: it is written in
// the same transaction as the first change the event makes, on the
// condition that it does not exist, so a redelivered event changes nothing.
// It holds no address.
type sesFeedback struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	FeedbackType string `dynamodbav:"feedbackType"`
	ReceivedAt   string `dynamodbav:"receivedAt"`
}

// maxTransactItems is DynamoDB's limit of items in one transaction.
const maxTransactItems = 100

// HandleSESEvent acts on one SES event about list mail, once per feedback id:
//
//   - a hard bounce takes every list subscription of each recipient off its
//     list's audience and marks it undeliverable (the person did not
//     withdraw consent; the register keeps its data accurate, Art. 5(1)(d));
//   - a soft bounce counts; the declared number in a row counts as hard;
//   - a complaint withdraws consent to the list the mail was sent to (its
//     tag "list"), or to every list when the mail names none, as an
//     unsubscribe does, by the channel "complaint".
//
// Recipients the register does not know, and other kinds of event, change
// nothing. Transactional mail is the mailer's business, not this.
func (s *Service) HandleSESEvent(ctx context.Context, ev sesevents.Event) error {
	switch ev.Kind {
	case sesevents.HardBounce, sesevents.SoftBounce, sesevents.Complaint:
	default:
		return nil
	}
	if ev.FeedbackID == "" || len(ev.FeedbackID) > 256 {
		return fmt.Errorf("ses event: feedback id: %w", sesevents.ErrMalformed)
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return fmt.Errorf("ses event %s: %w", ev.FeedbackID, err)
	}
	for attempt := 0; ; attempt++ {
		err := s.sesEventOnce(ctx, keys, ev)
		if err == nil || dynamo.CancelledBy(err) == nil || attempt == 2 {
			return err
		}
		// A signup, confirm or unsubscribe raced us; read again and redo.
	}
}

func (s *Service) sesEventOnce(ctx context.Context, keys keyring.Keys, ev sesevents.Event) error {
	now := s.now()
	var tx []types.TransactWriteItem
	var prefixes []string
	seen := map[string]bool{}
	for _, email := range ev.Recipients {
		sk := subject.EmailKey(keys.Subject, email)
		if seen[sk] {
			continue
		}
		seen[sk] = true
		subs, err := s.subscriptions(ctx, sk)
		if err != nil {
			return err
		}
		items, err := s.feedbackItems(ev, sk, subs, now)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			tx = append(tx, items...)
			prefixes = append(prefixes, subject.Prefix(sk))
		}
	}
	if len(tx) == 0 {
		slog.InfoContext(ctx, "ses event: nothing to change", "feedback", ev.FeedbackID, "kind", string(ev.Kind))
		return nil
	}
	marker, err := s.recs.Put("ses-feedback", "any", sesFeedback{
		PK: "SESFEEDBACK#" + ev.FeedbackID, SK: "SESFEEDBACK", Kind: "ses-feedback",
		FeedbackType: string(ev.Kind), ReceivedAt: stamp(now),
	}, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	tx = append([]types.TransactWriteItem{marker}, tx...)
	// One recipient's changes fit in one transaction with the marker; an
	// event naming many recipients is written in turn, the marker first.
	for i := 0; i < len(tx); i += maxTransactItems {
		part := tx[i:min(i+maxTransactItems, len(tx))]
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: part})
		if i == 0 {
			if codes := dynamo.CancelledBy(err); len(codes) > 0 && codes[0] == "ConditionalCheckFailed" {
				slog.InfoContext(ctx, "ses event handled before", "feedback", ev.FeedbackID, "kind", string(ev.Kind))
				return nil
			}
		}
		if err != nil {
			return fmt.Errorf("ses event %s: %w", ev.FeedbackID, err)
		}
	}
	slog.InfoContext(ctx, "ses event handled", "feedback", ev.FeedbackID, "kind", string(ev.Kind), "detail", ev.Detail, "subjects", prefixes)
	return nil
}

// feedbackItems are the changes ev makes to the subscriptions subs of
// subject sk. Withdrawn subscriptions are left alone: nothing is mailed to
// them, and they hold no address.
func (s *Service) feedbackItems(ev sesevents.Event, sk string, subs map[string]subscription, now time.Time) ([]types.TransactWriteItem, error) {
	var lists []string
	for _, l := range s.reg.Lists {
		if sub, ok := subs[l.ID]; ok && sub.Status != Unsubscribed {
			lists = append(lists, l.ID)
		}
	}
	if ev.Kind == sesevents.Complaint {
		// The mail names the list it was sent to; only a mail naming none
		// (or none declared) is a complaint about every list.
		if tagged := ev.Tags[mail.ParamList]; len(tagged) > 0 {
			if _, ok := s.reg.List(tagged[0]); ok {
				lists = slices.DeleteFunc(lists, func(l string) bool { return l != tagged[0] })
			}
		}
		return s.withdrawItems(sk, subs, lists, ComplaintChannel, now)
	}
	var tx []types.TransactWriteItem
	for _, l := range lists {
		tx = append(tx, s.bounceItems(ev.Kind, sk, subs[l], now)...)
	}
	return tx, nil
}

// Undeliverable is the status of a subscription whose address bounced
// hard (or softly too often in a row): no list mail goes to it, and its
// declared rule (subscription-undeliverable) deletes it a year on. Not
// active, so signing up again is a new signup, confirmed by mail; its
// consent receipt keeps its own evidence rule (consent-undeliverable).
const Undeliverable = "undeliverable"

// bounceItems are the updates a bounce makes to sub: a hard one (or the
// declared number of soft ones in a row) takes it off its list's audience
// and marks it undeliverable — an active one also in its status, with its
// consent receipt; a pending one keeps its own short rule. The condition is
// the state read, so a concurrent change cancels the transaction and it is
// redone.
func (s *Service) bounceItems(kind sesevents.Kind, sk string, sub subscription, now time.Time) []types.TransactWriteItem {
	pk := audience.SubjectPK(sk)
	names := map[string]string{"#status": "status"}
	vals := map[string]types.AttributeValue{
		":status": &types.AttributeValueMemberS{Value: sub.Status},
		":signup": &types.AttributeValueMemberS{Value: sub.SignupID},
	}
	cond := "#status = :status AND signupId = :signup"
	hard := kind == sesevents.HardBounce
	var add string
	if kind == sesevents.SoftBounce {
		add = " ADD " + audience.SoftBounces + " :one"
		cond += " AND (attribute_not_exists(" + audience.SoftBounces + ") OR " + audience.SoftBounces + " = :prev)"
		vals[":one"] = &types.AttributeValueMemberN{Value: "1"}
		vals[":prev"] = &types.AttributeValueMemberN{Value: strconv.Itoa(sub.SoftBounces)}
		hard = sub.SoftBounces+1 >= s.reg.Bounces.SoftInARow
	}
	update := add
	var tx []types.TransactWriteItem
	if hard {
		set := audience.Undeliverable + " = :list, " + audience.UndeliverableAt + " = :now"
		vals[":list"] = &types.AttributeValueMemberS{Value: sub.List}
		vals[":now"] = &types.AttributeValueMemberS{Value: stamp(now)}
		if sub.Status == Active {
			at := map[string]time.Time{audience.UndeliverableAt: now}
			gone := s.recs.MustEnter("subscription", Undeliverable, pk, at)
			set += ", #status = :undeliverable"
			vals[":undeliverable"] = &types.AttributeValueMemberS{Value: Undeliverable}
			vals = gone.Values(vals)
			update = gone.Expression(set, audience.Attr) + add
			evidence := s.recs.MustEnter("consent", Undeliverable, pk, at)
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ConsentSK(sub.List, sub.SignupID)),
				UpdateExpression:          aws.String(evidence.Expression(audience.UndeliverableAt+" = :now", "")),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: evidence.Values(map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: stamp(now)}}),
			}})
		} else {
			update = "SET " + set + " REMOVE " + audience.Attr + add
		}
	}
	return append([]types.TransactWriteItem{{Update: &types.Update{
		TableName:                 aws.String(s.tables.Subscribers),
		Key:                       dynamo.Key(pk, audience.ListSK(sub.List)),
		UpdateExpression:          aws.String(strings.TrimSpace(update)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	}}}, tx...)
}
