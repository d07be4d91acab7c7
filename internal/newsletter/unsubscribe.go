package newsletter

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/contacts/leaving"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// Unsubscribe withdraws consent to the token's lists at once: the address is
// removed from the subscription, the receipt records when and by which
// channel, and the last-active time stamp is kept. Repeating it is harmless.
func (s *Service) Unsubscribe(ctx context.Context, tok, channel string) error {
	c, _, err := s.verify(ctx, tok, token.Unsubscribe)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.unsubscribeOnce(ctx, c, channel)
		if err == nil || dynamo.CancelledBy(err) == nil || attempt == 2 {
			return err
		}
		// A signup or confirm raced us; read again and redo.
	}
}

func (s *Service) unsubscribeOnce(ctx context.Context, c token.Claims, channel string) error {
	subs, err := s.subscriptions(ctx, c.Subject)
	if err != nil {
		return err
	}
	tx, err := s.withdrawItems(c.Subject, subs, c.Lists, channel, s.now())
	if err != nil || len(tx) == 0 {
		return err
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		return fmt.Errorf("unsubscribe %s: %w", subject.Prefix(c.Subject), err)
	}
	slog.InfoContext(ctx, "unsubscribed", "subject", subject.Prefix(c.Subject), "lists", c.Lists, "channel", channel)
	return nil
}

// withdrawItems are the transaction items withdrawing the consent of
// subject sk (whose subscriptions are subs) to lists by channel: each
// subscription leaves its list's audience and loses its address, its
// receipt records the withdrawal, and the audit log says so. Lists not
// subscribed, or withdrawn already, give none.
//
// A list whose legal basis is not consent (media: a public task) has no
// receipt to withdraw: leaving it is an objection (Art. 21(1)), recorded
// on the contact's own record (internal/contacts) and in the audit log,
// and the processing stops at once all the same. A list staff keep
// records of (the seniors' postal list) ends there too.
func (s *Service) withdrawItems(sk string, subs map[string]subscription, lists []string, channel string, now time.Time) ([]types.TransactWriteItem, error) {
	pk := audience.SubjectPK(sk)
	var tx []types.TransactWriteItem
	for _, l := range lists {
		sub, ok := subs[l]
		if !ok || sub.Status == Unsubscribed {
			continue
		}
		// The withdrawn subscription and its receipt each take their rule's clock.
		withdrawn := s.recs.MustEnter("subscription", Unsubscribed, pk, map[string]time.Time{"unsubscribedAt": now})
		evidence := s.recs.MustEnter("consent", "withdrawn", pk, map[string]time.Time{"withdrawnAt": now})
		tx = append(tx,
			types.TransactWriteItem{Update: &types.Update{
				TableName:                aws.String(s.tables.Subscribers),
				Key:                      dynamo.Key(pk, audience.ListSK(l)),
				UpdateExpression:         aws.String(withdrawn.Expression("#status = :unsub, unsubscribedAt = :now, lastActiveAt = :now", "email, #name, "+audience.Attr)),
				ConditionExpression:      aws.String("signupId = :signup AND #status <> :unsub"),
				ExpressionAttributeNames: map[string]string{"#status": "status", "#name": "name"},
				ExpressionAttributeValues: withdrawn.Values(map[string]types.AttributeValue{
					":unsub": &types.AttributeValueMemberS{Value: Unsubscribed}, ":now": &types.AttributeValueMemberS{Value: stamp(now)},
					":signup": &types.AttributeValueMemberS{Value: sub.SignupID},
				}),
			}},
			types.TransactWriteItem{Update: &types.Update{
				TableName:           aws.String(s.tables.Subscribers),
				Key:                 dynamo.Key(pk, audience.ConsentSK(l, sub.SignupID)),
				UpdateExpression:    aws.String(evidence.Expression("withdrawnAt = :now, withdrawalChannel = :channel", "")),
				ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: evidence.Values(map[string]types.AttributeValue{
					":now": &types.AttributeValueMemberS{Value: stamp(now)}, ":channel": &types.AttributeValueMemberS{Value: channel},
				}),
			}},
		)
		event := "consent.withdrawn"
		if s.objectionList(l) {
			event = "objection"
			tx = tx[:len(tx)-1] // no consent, no receipt
		}
		more, err := leaving.Items(s.recs, l, pk, now)
		if err != nil {
			return nil, err
		}
		tx = append(tx, more...)
		a, err := audit.Put(s.recs, now, audit.Entry{Event: event, Ref: sub.SignupID, List: l, SubjectKey: sk})
		if err != nil {
			return nil, err
		}
		tx = append(tx, a)
	}
	return tx, nil
}

// objectionList reports whether leaving list l is an objection rather than
// a withdrawal of consent: its purpose's legal basis is not consent.
func (s *Service) objectionList(l string) bool {
	list, ok := s.reg.List(l)
	if !ok {
		return false
	}
	p, ok := s.reg.Purpose(list.Purpose)
	return ok && p.LegalBasis != "consent"
}
