package newsletter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/token"
)

// Asked is the status of a subscription whose subscriber was inactive for
// the declared time (museum.yaml: repermission) and was asked once whether
// to stay. Unanswered, its declared rule (subscription-unanswered) lets the
// retention sweep remove it, with the sweep's receipt; its consent receipt
// stays as evidence by its own rule (consent-unanswered). Answering makes it
// active again. It stays on the list's audience meanwhile.
const Asked = "repermission"

// AskInactive sends every subscriber on a consent-based list whose last
// activity (confirming, changing lists, following a link of a mailing) is
// older than the declared time one re-permission mail, once. It reads each
// list's audience index, never the table.
func (s *Service) AskInactive(ctx context.Context) (int, error) {
	after := s.reg.Repermission.After
	if after.IsZero() {
		return 0, nil
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	cutoff := stamp(now.AddDate(-after.Years, -after.Months, -after.Days))
	asked := 0
	for _, l := range s.reg.Lists {
		if p, ok := s.reg.Purpose(l.Purpose); !ok || p.LegalBasis != "consent" {
			continue // a list kept under another basis asks no consent again
		}
		for shard := range audience.Shards {
			in := &dynamodb.QueryInput{
				TableName: aws.String(s.tables.Subscribers), IndexName: aws.String(audience.Index),
				KeyConditionExpression: aws.String(audience.Attr + " = :k"),
				FilterExpression:       aws.String("lastActiveAt < :cutoff AND attribute_not_exists(repermissionAt) AND attribute_not_exists(restrictedAt)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":k": &types.AttributeValueMemberS{Value: audience.ShardKey(l.ID, shard)}, ":cutoff": &types.AttributeValueMemberS{Value: cutoff},
				},
			}
			for {
				out, err := s.db.Query(ctx, in)
				if err != nil {
					return asked, fmt.Errorf("inactive subscribers of %s: %w", l.ID, err)
				}
				for _, it := range out.Items {
					ok, err := s.ask(ctx, keys, it, cutoff, now)
					if err != nil {
						return asked, err
					}
					if ok {
						asked++
					}
				}
				if out.LastEvaluatedKey == nil {
					break
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		}
	}
	if asked > 0 {
		slog.InfoContext(ctx, "inactive subscribers asked to stay", "asked", asked)
	}
	return asked, nil
}

// ask moves one inactive subscription to Asked and writes its mail.
func (s *Service) ask(ctx context.Context, keys keyring.Keys, it map[string]types.AttributeValue, cutoff string, now time.Time) (bool, error) {
	str := func(k string) string {
		v, _ := it[k].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	pk, list, sk, email, lang, signup := str("pk"), str("list"), str("subjectKey"), str("email"), str("lang"), str("signupId")
	l, _ := s.reg.List(list)
	window := s.answerWindow()
	unanswered := s.recs.MustEnter("subscription", Asked, pk, map[string]time.Time{"repermissionAt": now})
	evidence := s.recs.MustEnter("consent", "unanswered", pk, map[string]time.Time{"repermissionAt": now})
	keep := token.Sign(keys.Token, token.Claims{Purpose: token.Keep, Subject: sk, Lists: []string{list}, Expires: now.Add(window).Unix()})
	job, err := mail.NewJob(now, "repermission."+list+"."+signup, sk, email, "newsletter-repermission", lang, map[string]string{
		"lists":          l.Name.In(lang),
		"keepURL":        s.link("/newsletter/keep", keep, lang),
		"days":           fmt.Sprint(int(window.Hours() / 24)),
		"unsubscribeURL": s.link("/newsletter/unsubscribe", s.unsubscribeToken(keys, sk, []string{list}), lang),
		"privacyURL":     s.privacyURL(lang),
	})
	if err != nil {
		return false, err
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return false, err
	}
	entry, err := audit.Put(s.recs, now, audit.Entry{Event: "repermission.asked", Ref: signup, List: list, SubjectKey: sk})
	if err != nil {
		return false, err
	}
	at := &types.AttributeValueMemberS{Value: stamp(now)}
	tx := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ListSK(list)),
			UpdateExpression:         aws.String(unanswered.Expression("#status = :asked, repermissionAt = :now", "")),
			ConditionExpression:      aws.String("#status = :active AND lastActiveAt < :cutoff AND signupId = :signup"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: unanswered.Values(map[string]types.AttributeValue{
				":asked": &types.AttributeValueMemberS{Value: Asked}, ":active": &types.AttributeValueMemberS{Value: Active},
				":now": at, ":cutoff": &types.AttributeValueMemberS{Value: cutoff}, ":signup": &types.AttributeValueMemberS{Value: signup},
			}),
		}},
		{Update: &types.Update{
			TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ConsentSK(list, signup)),
			UpdateExpression:          aws.String(evidence.Expression("repermissionAt = :now", "")),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: evidence.Values(map[string]types.AttributeValue{":now": at}),
		}},
		jput, entry,
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if dynamo.CancelledBy(err) != nil {
		return false, nil // active again, gone, or asked by an earlier run
	}
	if err != nil {
		return false, fmt.Errorf("ask %s: %w", signup, err)
	}
	return true, nil
}

// answerWindow is how long an asked subscriber has to answer: the keep of
// the rule that removes them unanswered.
func (s *Service) answerWindow() time.Duration {
	if r, err := s.recs.Rule("subscription", Asked); err == nil && !r.Keep.IsZero() {
		base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		return r.Keep.From(base).Sub(base)
	}
	return 30 * 24 * time.Hour
}

// ErrNotAsked is a keep link whose subscription is no longer waiting for
// an answer: removed already, or left.
var ErrNotAsked = errors.New("newsletter: the subscription is not waiting for an answer")

// Keep is the re-permission mail's answer: the subscriptions the token
// names are active again, their last activity now, their consent receipts
// live again. Answering twice is not an error.
func (s *Service) Keep(ctx context.Context, tok string) error {
	c, _, err := s.verify(ctx, tok, token.Keep)
	if err != nil {
		return err
	}
	subs, err := s.subscriptions(ctx, c.Subject)
	if err != nil {
		return err
	}
	now := s.now()
	pk := audience.SubjectPK(c.Subject)
	active := s.recs.MustEnter("subscription", Active, pk, nil)
	live := s.recs.MustEnter("consent", "confirmed", pk, nil)
	var tx []types.TransactWriteItem
	kept := false
	for _, l := range c.Lists {
		sub, ok := subs[l]
		switch {
		case ok && sub.Status == Active:
			kept = true
			continue
		case !ok || sub.Status != Asked:
			continue
		}
		at := &types.AttributeValueMemberS{Value: stamp(now)}
		a, err := audit.Put(s.recs, now, audit.Entry{Event: "repermission.kept", Ref: sub.SignupID, List: l, SubjectKey: c.Subject})
		if err != nil {
			return err
		}
		tx = append(tx,
			types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ListSK(l)),
				UpdateExpression:         aws.String(active.Expression("#status = :active, lastActiveAt = :now, "+audience.SoftBounces+" = :zero", "repermissionAt")),
				ConditionExpression:      aws.String("#status = :asked"),
				ExpressionAttributeNames: map[string]string{"#status": "status"},
				ExpressionAttributeValues: active.Values(map[string]types.AttributeValue{
					":active": &types.AttributeValueMemberS{Value: Active}, ":asked": &types.AttributeValueMemberS{Value: Asked},
					":now": at, ":zero": &types.AttributeValueMemberN{Value: "0"},
				}),
			}},
			types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.tables.Subscribers), Key: dynamo.Key(pk, audience.ConsentSK(l, sub.SignupID)),
				UpdateExpression:          aws.String(live.Expression("", "repermissionAt")),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: live.Values(nil),
			}},
			a)
	}
	if len(tx) == 0 {
		if kept {
			return nil
		}
		return ErrNotAsked
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		if dynamo.CancelledBy(err) != nil {
			return nil // answered at the same moment by another click
		}
		return fmt.Errorf("keep: %w", err)
	}
	slog.InfoContext(ctx, "subscriber answered: kept", "lists", c.Lists)
	return nil
}
