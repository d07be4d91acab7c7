package newsletter

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/mail"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// Confirm activates the lists of one signup, completes their receipts and
// queues a welcome mail. Confirming twice is not an error.
func (s *Service) Confirm(ctx context.Context, tok string) error {
	c, keys, err := s.verify(ctx, tok, token.Confirm)
	if err != nil {
		return err
	}
	subs, err := s.subscriptions(ctx, c.Subject)
	if err != nil {
		return err
	}
	var todo []subscription
	already := false
	for _, l := range c.Lists {
		sub, ok := subs[l]
		if !ok || sub.SignupID != c.ID {
			continue // expired, or replaced by a later signup
		}
		switch sub.Status {
		case Pending:
			todo = append(todo, sub)
		case Active:
			already = true
		}
	}
	if len(todo) == 0 {
		if already {
			return nil
		}
		return ErrLinkUsedUp
	}
	now := s.now()
	pk := audience.SubjectPK(c.Subject)
	var tx []types.TransactWriteItem
	var names, lists []string
	// Active subscriptions and live consents are kept until withdrawn: off
	// the expiry index, as their rules say.
	activeKeep := s.recs.MustEnter("subscription", Active, pk, nil)
	liveKeep := s.recs.MustEnter("consent", "confirmed", pk, nil)
	for _, sub := range todo {
		list, _ := s.reg.List(sub.List)
		names = append(names, list.Name.In(sub.Lang))
		lists = append(lists, sub.List)
		// The confirmed subscription joins its list's audience, unless its
		// address bounced hard; confirming is activity, so the soft
		// bounces in a row start again.
		set := "#status = :active, confirmedAt = :now, lastActiveAt = :now, " + audience.SoftBounces + " = :zero"
		vals := map[string]types.AttributeValue{
			":active": &types.AttributeValueMemberS{Value: Active}, ":pending": &types.AttributeValueMemberS{Value: Pending},
			":now": &types.AttributeValueMemberS{Value: stamp(now)}, ":signup": &types.AttributeValueMemberS{Value: c.ID},
			":zero": &types.AttributeValueMemberN{Value: "0"},
		}
		if sub.Undeliverable == "" {
			set += ", " + audience.Attr + " = :sendTo"
			vals[":sendTo"] = &types.AttributeValueMemberS{Value: audience.Key(sub.List, pk)}
		}
		tx = append(tx,
			types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(s.tables.Subscribers),
				Key:                       dynamo.Key(pk, audience.ListSK(sub.List)),
				UpdateExpression:          aws.String(activeKeep.Expression(set, "")),
				ConditionExpression:       aws.String("#status = :pending AND signupId = :signup"),
				ExpressionAttributeNames:  map[string]string{"#status": "status"},
				ExpressionAttributeValues: activeKeep.Values(vals),
			}},
			types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(s.tables.Subscribers),
				Key:                       dynamo.Key(pk, audience.ConsentSK(sub.List, c.ID)),
				UpdateExpression:          aws.String(liveKeep.Expression("confirmedAt = :now", "")),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: stamp(now)}},
			}},
		)
		a, err := audit.Put(s.recs, now, audit.Entry{Event: "consent.confirmed", Ref: c.ID, List: sub.List, SubjectKey: c.Subject})
		if err != nil {
			return err
		}
		tx = append(tx, a)
	}
	// Confirming is the subscriber's activity on every list they keep
	// (seed 000 §7: last active), so the inactivity question waits for all.
	for l, sub := range subs {
		if sub.Status != Active || slices.Contains(lists, l) {
			continue
		}
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ListSK(l)),
			UpdateExpression:         aws.String("SET lastActiveAt = :now, " + audience.SoftBounces + " = :zero"),
			ConditionExpression:      aws.String("#status = :active"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": &types.AttributeValueMemberS{Value: stamp(now)}, ":active": &types.AttributeValueMemberS{Value: Active},
				":zero": &types.AttributeValueMemberN{Value: "0"},
			},
		}})
	}
	first := todo[0]
	job, err := mail.NewJob(now, "welcome."+c.ID, c.Subject, first.Email, "newsletter-welcome", first.Lang, map[string]string{
		"lists":          strings.Join(names, ", "),
		"unsubscribeURL": s.link("/newsletter/unsubscribe", s.unsubscribeToken(keys, c.Subject, lists), first.Lang),
		"privacyURL":     s.privacyURL(first.Lang),
	})
	if err != nil {
		return err
	}
	// A restricted subscriber may still confirm, but the welcome (list
	// mail) carries the restriction, and the mailer withholds it.
	for _, sub := range todo {
		if sub.RestrictedAt != "" {
			job.RestrictedAt, job.RestrictedFor = sub.RestrictedAt, sub.RestrictedFor
			break
		}
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return err
	}
	tx = append(tx, jput)
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		if dynamo.CancelledBy(err) != nil {
			return nil // a concurrent confirm of the same signup won
		}
		return fmt.Errorf("confirm %s: %w", c.ID, err)
	}
	slog.InfoContext(ctx, "subscription confirmed", "signup", c.ID, "subject", subject.Prefix(c.Subject), "lists", lists)
	return nil
}
