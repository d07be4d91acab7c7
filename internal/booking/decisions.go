package booking

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	seam "rekisteri/internal/record"
	"rekisteri/internal/token"
)

// Accept takes the booking's slots within the resource's capacity and
// confirms it to the customer. The slots and the status change commit
// together or not at all, so two staff members accepting overlapping
// bookings at once cannot overbook. Accepting twice sends one confirmation.
func (s *Service) Accept(ctx context.Context, tok string) (View, error) {
	rec, keys, err := s.fromLink(ctx, tok, token.Decide)
	if err != nil {
		return View{}, err
	}
	if rec.Status != Pending {
		return s.view(rec), ErrAlreadyDone
	}
	now := s.now()
	res, _ := s.reg.Resource(rec.Resource)
	set := "SET #status = :accepted, decidedAt = :now"
	vals := map[string]types.AttributeValue{":accepted": sv(Accepted), ":pending": sv(Pending), ":now": sv(stamp(now))}
	if d, _ := time.Parse("2006-01-02", rec.Date); d.AddDate(0, 0, -1).After(helsinki.Today(now)) || d.AddDate(0, 0, -1).Equal(helsinki.Today(now)) {
		set += ", remindOn = :remind"
		vals[":remind"] = sv(d.AddDate(0, 0, -1).Format("2006-01-02"))
	}
	if rec.Payment == "invoice" {
		set += ", toInvoice = :month"
		vals[":month"] = sv(rec.Date[:7])
	}
	tx := []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, bookingSK),
		UpdateExpression: aws.String(set), ConditionExpression: aws.String("#status = :pending"),
		ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: vals,
	}}}
	d, _ := time.Parse("2006-01-02", rec.Date)
	capPK := capacityPK(rec.Resource, rec.Date)
	// Counters are kept as their rule says, from the day they count.
	capKeep := s.recs.MustEnter("capacity", "any", capPK, map[string]time.Time{"date": d})
	for _, slot := range slots(rec.Start, rec.End) {
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(capPK, slot),
			UpdateExpression:         aws.String(capKeep.Expression("used = if_not_exists(used, :zero) + :one, kind = :kind, #date = :date", "")),
			ConditionExpression:      aws.String("attribute_not_exists(used) OR used < :cap"),
			ExpressionAttributeNames: map[string]string{"#date": "date"},
			ExpressionAttributeValues: capKeep.Values(map[string]types.AttributeValue{
				":zero": nv(0), ":one": nv(1), ":cap": nv(int64(res.Capacity)), ":kind": sv("capacity"), ":date": sv(rec.Date),
			}),
		}})
	}
	rec.Status = Accepted
	more, err := s.notify(now, rec, "booking-accepted", rec.Email, rec.Lang, "booking.accepted", map[string]string{"cancelURL": s.cancelLink(keys, rec)})
	if err != nil {
		return View{}, err
	}
	tx = append(tx, more...)
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		codes := dynamo.CancelledBy(err)
		if codes == nil {
			return View{}, fmt.Errorf("accept %s: %w", rec.Reference, err)
		}
		if codes[0] == "ConditionalCheckFailed" {
			latest, gerr := s.get(ctx, rec.Reference)
			if gerr != nil {
				return View{}, gerr
			}
			return s.view(latest), ErrAlreadyDone // a concurrent click won
		}
		rec.Status = Pending
		return s.view(rec), ErrFull
	}
	slog.InfoContext(ctx, "booking accepted", "booking", rec.Reference)
	return s.view(rec), nil
}

// Decline refuses a pending booking with a reason the customer is sent, and
// deletes its identity code at once: no contract, no invoice, no need.
func (s *Service) Decline(ctx context.Context, tok, reason string) (View, error) {
	rec, _, err := s.fromLink(ctx, tok, token.Decide)
	if err != nil {
		return View{}, err
	}
	if rec.Status != Pending {
		return s.view(rec), ErrAlreadyDone
	}
	now := s.now()
	rec.Status, rec.DeclineReason = Declined, reason
	more, err := s.notify(now, rec, "booking-declined", rec.Email, rec.Lang, "booking.declined", nil)
	if err != nil {
		return View{}, err
	}
	tx := []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, bookingSK),
		UpdateExpression:    aws.String("SET #status = :declined, declineReason = :reason, decidedAt = :now"),
		ConditionExpression: aws.String("#status = :pending"), ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":declined": sv(Declined), ":pending": sv(Pending), ":reason": sv(reason), ":now": sv(stamp(now))},
	}}, {Delete: &types.Delete{TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, hetuSK)}}}
	tx = append(tx, more...)
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		if dynamo.CancelledBy(err) != nil {
			latest, _ := s.get(ctx, rec.Reference)
			return s.view(latest), ErrAlreadyDone
		}
		return View{}, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	slog.InfoContext(ctx, "booking declined", "booking", rec.Reference)
	return s.view(rec), nil
}

// Cancel is the customer's, before the booked day: the slots are released,
// the identity code deleted, and staff told. Cancelling twice is harmless.
func (s *Service) Cancel(ctx context.Context, tok string) (View, error) {
	return s.cancel(ctx, tok, true)
}

func (s *Service) cancel(ctx context.Context, tok string, retry bool) (View, error) {
	rec, _, err := s.fromLink(ctx, tok, token.Cancel)
	if err != nil {
		return View{}, err
	}
	if rec.Status == Cancelled {
		return s.view(rec), nil
	}
	if rec.Status == Declined {
		return s.view(rec), errNotCancelable
	}
	now := s.now()
	if !s.now().Before(s.dayStart(rec.Date)) {
		return s.view(rec), ErrTooLate
	}
	was := rec.Status
	rec.Status = Cancelled
	more, err := s.notify(now, rec, "booking-cancelled", s.reg.BookingContact, "fi", "booking.cancelled", nil)
	if err != nil {
		return View{}, err
	}
	tx := []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, bookingSK),
		UpdateExpression:    aws.String("SET #status = :cancelled, cancelledAt = :now REMOVE remindOn, toInvoice"),
		ConditionExpression: aws.String("#status = :was"), ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": sv(Cancelled), ":was": sv(was), ":now": sv(stamp(now))},
	}}, {Delete: &types.Delete{TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, hetuSK)}}}
	tx = append(tx, more...)
	if was == Accepted {
		for _, slot := range slots(rec.Start, rec.End) {
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(capacityPK(rec.Resource, rec.Date), slot),
				UpdateExpression: aws.String("SET used = used - :one"), ConditionExpression: aws.String("used >= :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1)},
			}})
		}
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		if dynamo.CancelledBy(err) != nil && retry {
			return s.cancel(ctx, tok, false) // the status moved under us: decide once more
		}
		return View{}, fmt.Errorf("cancel %s: %w", rec.Reference, err)
	}
	slog.InfoContext(ctx, "booking cancelled", "booking", rec.Reference, "was", was)
	return s.view(rec), nil
}

// Remind mails the customers of tomorrow's accepted bookings once each. A
// booking under restriction (GDPR Art. 18) is not reminded: it leaves the
// byReminder index unreminded, so no later run tries again.
func (s *Service) Remind(ctx context.Context) (int, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	day := helsinki.Today(now).Format("2006-01-02")
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.tables.Bookings), IndexName: aws.String("byReminder"),
		KeyConditionExpression:    aws.String("remindOn = :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": sv(day)},
	})
	if err != nil {
		return 0, fmt.Errorf("reminders due %s: %w", day, err)
	}
	sent := 0
	for _, it := range out.Items {
		pk, _ := it["pk"].(*types.AttributeValueMemberS)
		if pk == nil {
			continue
		}
		rec, restricted, err := s.reminderOf(ctx, strings.TrimPrefix(pk.Value, "BOOKING#"))
		if err != nil || rec.Status != Accepted {
			continue
		}
		if restricted {
			s.withholdReminder(ctx, rec, day)
			continue
		}
		job, err := s.job(now, "reminder."+rec.Reference, rec, "booking-reminder", rec.Email, rec.Lang, map[string]string{"cancelURL": s.cancelLink(keys, rec)})
		if err != nil {
			return sent, err
		}
		jp, err := mail.Put(s.recs, job)
		if err != nil {
			return sent, err
		}
		tx := []types.TransactWriteItem{{Update: &types.Update{
			TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, bookingSK),
			UpdateExpression: aws.String("SET remindedAt = :now REMOVE remindOn"),
			// Restricted since it was read: the restriction wins, no mail
			// (the entry stays under a past day, which no run reads again).
			ConditionExpression:       aws.String("remindOn = :d AND #status = :accepted AND attribute_not_exists(" + seam.AttrRestricted + ")"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": sv(stamp(now)), ":d": sv(day), ":accepted": sv(Accepted)},
		}}, jp}
		if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
			if dynamo.CancelledBy(err) != nil {
				continue // reminded, cancelled or restricted meanwhile
			}
			return sent, fmt.Errorf("remind %s: %w", rec.Reference, err)
		}
		sent++
	}
	if out.LastEvaluatedKey != nil {
		slog.WarnContext(ctx, "more reminders than one page; the next run continues", "day", day)
	}
	return sent, nil
}

// reminderOf reads a booking the reminder index names, and whether it is
// under restriction (the envelope's flag, which record does not carry).
func (s *Service) reminderOf(ctx context.Context, ref string) (record, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(bookingPK(ref), bookingSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return record{}, false, fmt.Errorf("read booking %s: %w", ref, err)
	}
	if out.Item == nil {
		return record{}, false, ErrNotFound
	}
	var rec record
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return record{}, false, fmt.Errorf("read booking %s: %w", ref, err)
	}
	_, restricted := out.Item[seam.AttrRestricted]
	return rec, restricted, nil
}

// withholdReminder takes a restricted booking off the reminder index without
// a mail. A failure is only logged: the runs are daily and read one day, so
// the booking is not reminded either way; a rerun of the same day tries again.
func (s *Service) withholdReminder(ctx context.Context, rec record, day string) {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(rec.PK, bookingSK),
		UpdateExpression:          aws.String("REMOVE remindOn"),
		ConditionExpression:       aws.String("remindOn = :d AND attribute_exists(" + seam.AttrRestricted + ")"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": sv(day)},
	}}}})
	if err != nil && dynamo.CancelledBy(err) == nil { // cancelled: lifted or moved meanwhile
		slog.WarnContext(ctx, "restricted booking left on the reminder index", "booking", rec.Reference, errlog.Attr(err))
		return
	}
	slog.InfoContext(ctx, "reminder withheld: booking restricted", "booking", rec.Reference)
}
