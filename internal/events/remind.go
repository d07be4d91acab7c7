package events

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	seam "rekisteri/internal/record"
	"rekisteri/internal/subject"
)

// Remind mails every registered participant of tomorrow's events (Finnish
// calendar) a reminder with their cancel link, once each: the job's id is
// the event's and the address's (event-reminder.<event>.<subject prefix>),
// and the place is marked reminded in the same transaction, so a second run
// sends nothing. A participant under restriction (GDPR Art. 18) is not
// reminded. Tomorrow's events come from the byDate index, their
// participants from the event's own partition: no Scan.
func (s *Service) Remind(ctx context.Context) (int, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	tomorrow := helsinki.Today(now).AddDate(0, 0, 1).Format("2006-01-02")
	evs, err := s.byDate(ctx, "#date = :d", tomorrow)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ev := range evs {
		ps, err := s.Participants(ctx, ev.ID)
		if err != nil {
			return sent, err
		}
		for _, p := range ps {
			if p.Status != Registered || p.RemindedAt != "" {
				continue
			}
			if p.Restricted {
				slog.InfoContext(ctx, "reminder withheld: participant restricted", "event", ev.ID, "subject", subject.Prefix(p.SubjectKey))
				continue
			}
			job, err := s.job(now, "event-reminder."+ev.ID+"."+subject.Prefix(p.SubjectKey), ev, p, "event-reminder", keys)
			if err != nil {
				return sent, err
			}
			jp, err := mail.Put(s.recs, job)
			if err != nil {
				return sent, err
			}
			err = s.transact(ctx, []types.TransactWriteItem{{Update: &types.Update{
				TableName: aws.String(s.recs.Table(Table)), Key: dynamo.Key(p.PK, p.SK),
				UpdateExpression: aws.String("SET remindedAt = :now"),
				// Cancelled, reminded or restricted since it was read: no mail.
				ConditionExpression:       aws.String("#status = :registered AND attribute_not_exists(remindedAt) AND attribute_not_exists(" + seam.AttrRestricted + ")"),
				ExpressionAttributeNames:  map[string]string{"#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":now": sv(stamp(now)), ":registered": sv(Registered)},
			}}, jp})
			if dynamo.CancelledBy(err) != nil {
				continue
			}
			if err != nil {
				return sent, fmt.Errorf("remind a participant of %s: %w", ev.ID, err)
			}
			sent++
		}
	}
	return sent, nil
}
