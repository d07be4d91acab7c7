package library

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// Applying circulation events. Each event is one TransactWriteItems: the
// event's id (circulation-event, attribute_not_exists: a second delivery
// cancels the whole transaction and counts as a duplicate), the patron's
// update (lastUsedAt, the counts of unresolved matters and the retention
// rule of the state they give, conditioned on the counts as read) and the
// effect on the patron's loans, reservations and fees (each conditioned on
// what was read). A failed condition other than the id's means someone
// else changed the patron meanwhile: read again and build it anew.

// circulationWorkers is how many customers' events are applied at once;
// one customer's events are applied one by one, in the batch's order.
const circulationWorkers = 4

// circulationAttempts bounds the re-reads of one event under contention.
const circulationAttempts = 6

// maxFeesPerPayment keeps a payment's transaction under DynamoDB's 100 items.
const maxFeesPerPayment = 90

type outcome int

const (
	applied outcome = iota + 1
	duplicate
	rejectedCustomer
)

// ApplyCirculation applies a batch of raw events (POST /library/circulation
// decodes them). It returns what it applied so far and an error when the
// register could not be reached: everything applied stays applied once, so
// the sender sends the same batch again.
func (s *Service) ApplyCirculation(ctx context.Context, raws []json.RawMessage) (BatchResult, error) {
	now := s.now()
	res := BatchResult{Rejected: []Rejection{}}
	outcomes := make([]outcome, len(raws))
	var groups [][]int // indexes of valid events by customer, in batch order
	byCustomer := map[string]int{}
	events := make([]event, len(raws))
	for i, raw := range raws {
		ev, err := parseEvent(raw, now)
		if err != nil {
			res.Rejected = append(res.Rejected, Rejection{Index: i, Error: err.Error()})
			continue
		}
		events[i] = ev
		g, ok := byCustomer[ev.Customer]
		if !ok {
			g = len(groups)
			byCustomer[ev.Customer] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		work     = make(chan []int)
	)
	for range min(circulationWorkers, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range work {
				var p *circulationPatronItem
				for _, i := range idx {
					o, err := s.applyEvent(ctx, events[i], &p, now)
					if err != nil {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
						break
					}
					outcomes[i] = o
				}
			}
		}()
	}
	for _, g := range groups {
		work <- g
	}
	close(work)
	wg.Wait()
	for i, o := range outcomes {
		switch o {
		case applied:
			res.Accepted++
		case duplicate:
			res.Duplicates++
		case rejectedCustomer:
			res.Rejected = append(res.Rejected, Rejection{Index: i, Error: ErrEventCustomer.Error()})
		}
	}
	slices.SortFunc(res.Rejected, func(a, b Rejection) int { return a.Index - b.Index })
	return res, firstErr
}

// applyEvent applies ev once. *p is the patron as last read or written in
// this batch (nil: read it).
func (s *Service) applyEvent(ctx context.Context, ev event, p **circulationPatronItem, now time.Time) (outcome, error) {
	for attempt := range circulationAttempts {
		if *p == nil {
			got, err := s.circulationReadPatron(ctx, ev.Customer)
			if errors.Is(err, ErrNotFound) {
				return rejectedCustomer, nil
			}
			if err != nil {
				return 0, err
			}
			*p = got
		}
		was := *p
		next := *was
		effect, err := s.effect(ctx, ev, &next.Patron, next.restricted)
		if err != nil {
			return 0, err
		}
		dedup, err := s.eventPut(ev.ID, now)
		if err != nil {
			return 0, err
		}
		patron, err := s.circulationPatron(ev.Customer, &was.Patron, &next.Patron, ev.at, now)
		if err != nil {
			return 0, err
		}
		items := append([]types.TransactWriteItem{dedup, {Update: patron}}, effect...)
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			*p = &next
			return applied, nil
		}
		codes := dynamo.CancelledBy(err)
		if codes == nil {
			return 0, fmt.Errorf("apply circulation event: %w", err)
		}
		if codes[0] == "ConditionalCheckFailed" {
			return duplicate, nil
		}
		*p = nil // changed meanwhile (or a conflict): read again
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 15 * time.Millisecond):
		}
	}
	return 0, errCirculationBusy
}

// effect is ev's change to the patron's loans, reservations and fees, as
// transaction items; it moves p's counts (openLoans, unpaidFees) to match.
// A restricted patron's loan is not counted in the statistics.
func (s *Service) effect(ctx context.Context, ev event, p *Patron, restricted bool) ([]types.TransactWriteItem, error) {
	pk, at := PatronPK(ev.Customer), ev.at.Format(time.RFC3339)
	var items []types.TransactWriteItem
	add := func(it types.TransactWriteItem, err error) error {
		if err == nil {
			items = append(items, it)
		}
		return err
	}
	switch ev.Type {
	case EvLoan:
		prev, err := s.getLoan(ctx, ev.Customer, ev.Item.ID)
		if err != nil {
			return nil, err
		}
		if prev == nil {
			p.OpenLoans++
		} else if err := s.transferredReturn(&items, p, prev, ev.at); err != nil {
			return nil, err // loaned again: the old loan was returned unseen
		}
		l := &Loan{PK: pk, SK: LoanSK(ev.Item.ID), SubjectKey: p.SubjectKey, ItemID: ev.Item.ID, Title: ev.Item.Title,
			Price: FormatCents(ev.cents), Owner: ev.Library, LoanedAt: at, DueDate: ev.Due}
		if err := add(s.loanPut(l, prev)); err != nil {
			return nil, err
		}
		items = append(items, s.reservationDelete(ev.Customer, ev.Item.ID)) // a reservation ends when the item is loaned
		if !restricted {
			stat, err := s.countLoan(p, ev.Library, ev.at)
			if err != nil {
				return nil, err
			}
			items = append(items, stat)
		}
	case EvRenewal, EvReturn:
		prev, err := s.getLoan(ctx, ev.Customer, ev.Item.ID)
		if err != nil || prev == nil {
			return nil, err // no loan of the item: the event marks a use and nothing else
		}
		if ev.Type == EvRenewal {
			l := *prev
			l.DueDate, l.Renewals = ev.Due, prev.Renewals+1
			return items, add(s.loanPut(&l, prev))
		}
		items = append(items, s.loanDelete(prev)) // the patron–item link goes at once
		p.OpenLoans = max(p.OpenLoans-1, 0)
		if err := s.transferredReturn(&items, p, prev, ev.at); err != nil {
			return nil, err
		}
	case EvReservation:
		r := &Reservation{PK: pk, SK: ReservationSK(ev.Item.ID), SubjectKey: p.SubjectKey, ItemID: ev.Item.ID,
			Title: ev.Item.Title, Owner: ev.Library, ReservedAt: at}
		if err := add(s.reservationPut(r)); err != nil {
			return nil, err
		}
	case EvReservationCancelled:
		items = append(items, s.reservationDelete(ev.Customer, ev.Item.ID))
	case EvFee:
		f := &Fee{PK: pk, SK: FeeSK(ev.ID), SubjectKey: p.SubjectKey, Owner: ev.Library, Reason: ev.Reason,
			Amount: FormatCents(ev.cents), Status: FeeUnpaid, CreatedAt: at}
		if ev.Item != nil {
			f.LoanRef = ev.Item.ID
		}
		p.UnpaidFees++
		if err := add(s.feePut(f, nil)); err != nil {
			return nil, err
		}
	case EvPayment:
		fees, err := s.unpaidFees(ctx, ev.Customer)
		if err != nil {
			return nil, err
		}
		for _, f := range payFees(fees, ev, at) {
			if f.changed.Status == FeeResolved {
				p.UnpaidFees = max(p.UnpaidFees-1, 0)
			}
			if err := add(s.feePut(f.changed, f.was)); err != nil {
				return nil, err
			}
		}
	}
	return items, nil
}

// transferredReturn adds what ending a loan that was transferred to the
// collection agency does (onReturnTransferred) to items.
func (s *Service) transferredReturn(items *[]types.TransactWriteItem, p *Patron, l *Loan, at time.Time) error {
	if l.TransferredAt == "" {
		return nil
	}
	it, err := s.onReturnTransferred(p, l, at)
	if err != nil || it == nil {
		return err
	}
	*items = append(*items, *it)
	return nil
}

// onReturnTransferred is the hook of the weekly transfer (transfer*.go):
// the loan l, transferred to the collection agency, has been returned (or
// loaned again). It returns the transaction item resolving the transfer,
// to join the event's own, and takes the open transfer off p
// (p.OpenTransfers), which the event's patron update then writes.
func (s *Service) onReturnTransferred(p *Patron, l *Loan, at time.Time) (*types.TransactWriteItem, error) {
	return s.resolveTransfer(p, l.Owner, l.ItemID, l.TransferredAt, at)
}

// feeChange is one fee a payment changes, and the fee as read.
type feeChange struct{ was, changed *Fee }

// payFees applies a payment to fees: to the fees it names by item (the
// item the fee is for, or the fee's own id) when it names one, else to the
// oldest first. A fee the rest of the payment covers is resolved; a rest
// that covers no whole fee is paid on the next one (paid). What is left
// over resolves nothing.
func payFees(fees []Fee, ev event, at string) []feeChange {
	slices.SortFunc(fees, func(a, b Fee) int { return cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), cmp.Compare(a.SK, b.SK)) })
	left := ev.cents
	var out []feeChange
	for i := range fees {
		f := &fees[i]
		if ev.Item != nil && f.LoanRef != ev.Item.ID && f.ID() != ev.Item.ID {
			continue
		}
		if left <= 0 || len(out) == maxFeesPerPayment {
			break
		}
		owed := f.outstanding()
		c := *f
		paid, _ := ParseCents(f.Paid)
		if left >= owed {
			c.Status, c.ResolvedAt, c.Paid = FeeResolved, at, ""
			left -= owed
		} else {
			c.Paid = FormatCents(paid + left)
			left = 0
		}
		out = append(out, feeChange{was: f, changed: &c})
	}
	return out
}
