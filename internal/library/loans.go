package library

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// The loans table's items the circulation feed writes (library.yaml kinds
// loan, fee and circulation-event), their states and their keys.
//
//	pk patron#<customer>  sk loan#<item>   an open loan (Loan)
//	pk patron#<customer>  sk resv#<item>   a reservation in force (Reservation)
//	pk patron#<customer>  sk fee#<event>   a fee, unpaid or resolved (Fee)
//	pk circ#<event id>    sk event         an applied event, for 30 days (circulationEvent)

// KindCirculationEvent is an applied circulation event's id (dedup).
const KindCirculationEvent = "circulation-event"

// The states the feed's records are stamped in (library.yaml rules).
const (
	LoanOpen         = "open"     // loan-open: kept until returned, then deleted at once
	LoanReserved     = "reserved" // loan-reserved: kept until the reservation ends, then deleted at once
	FeeUnpaid        = "unpaid"   // fee-unresolved: kept until paid
	FeeResolved      = "resolved" // fee-resolved: 3 years after resolvedAt, on 1 January
	eventReceived    = "received" // circulation-event: 30 days after receivedAt
	TypeLoan         = "loan"
	TypeReservation  = "reservation"
	skReservation    = "resv#"
	skCirculationEvt = "event"
)

// ReservationSK is the reservation of one item.
func ReservationSK(itemID string) string { return skReservation + itemID }

// circulationEventPK is the dedup item of one event id.
func circulationEventPK(eventID string) string { return "circ#" + eventID }

// Loan is an open loan as stored (kind loan, state open). Only an open loan
// not yet transferred to the collection agency carries DueShard, the byDue
// index's partition; the weekly transfer removes it and sets TransferredAt.
type Loan struct {
	PK            string `dynamodbav:"pk"`
	SK            string `dynamodbav:"sk"`
	Kind          string `dynamodbav:"kind"`
	SubjectKey    string `dynamodbav:"subjectKey"`
	ItemID        string `dynamodbav:"itemId"`
	Title         string `dynamodbav:"title"`
	Price         string `dynamodbav:"price"` // euros, "23.50"
	Owner         string `dynamodbav:"owner"` // the library that owns the item (espoo, helsinki, kauniainen, vantaa)
	Type          string `dynamodbav:"type"`  // TypeLoan
	Status        string `dynamodbav:"status"`
	LoanedAt      string `dynamodbav:"loanedAt"` // RFC 3339, UTC
	DueDate       string `dynamodbav:"dueDate"`  // YYYY-MM-DD
	DueShard      string `dynamodbav:"dueShard,omitempty"`
	Renewals      int    `dynamodbav:"renewals"`
	TransferredAt string `dynamodbav:"transferredAt,omitempty"`
}

// Reservation is a reservation in force (kind loan, type reservation,
// state reserved).
type Reservation struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	SubjectKey string `dynamodbav:"subjectKey"`
	ItemID     string `dynamodbav:"itemId"`
	Title      string `dynamodbav:"title,omitempty"`
	Owner      string `dynamodbav:"owner"`
	Type       string `dynamodbav:"type"` // TypeReservation
	Status     string `dynamodbav:"status"`
	ReservedAt string `dynamodbav:"reservedAt"`
}

// Fee is a fee as stored (kind fee): unpaid until payments cover Amount,
// then resolved.
type Fee struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	SubjectKey string `dynamodbav:"subjectKey"`
	LoanRef    string `dynamodbav:"loanRef,omitempty"` // the item the fee is for
	Owner      string `dynamodbav:"owner"`
	Reason     string `dynamodbav:"reason"`
	Amount     string `dynamodbav:"amount"`         // euros, "2.00"
	Paid       string `dynamodbav:"paid,omitempty"` // paid so far, while part paid
	Status     string `dynamodbav:"status"`
	CreatedAt  string `dynamodbav:"createdAt"`
	ResolvedAt string `dynamodbav:"resolvedAt,omitempty"`
}

// ID is the fee's id (the fee event's id).
func (f *Fee) ID() string { return strings.TrimPrefix(f.SK, skFee) }

// outstanding is what is left to pay, in cents.
func (f *Fee) outstanding() int64 {
	amount, _ := ParseCents(f.Amount)
	paid, _ := ParseCents(f.Paid)
	return amount - paid
}

// circulationEvent marks one applied event (kind circulation-event).
type circulationEvent struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	ReceivedAt string `dynamodbav:"receivedAt"`
}

// eventPut is the transaction item that applies event id only once: it
// fails when the id was applied within its retention (30 days).
func (s *Service) eventPut(id string, received time.Time) (types.TransactWriteItem, error) {
	return s.recs.Put(KindCirculationEvent, eventReceived, circulationEvent{
		PK: circulationEventPK(id), SK: skCirculationEvt, Kind: KindCirculationEvent, ReceivedAt: received.UTC().Format(time.RFC3339),
	}, "attribute_not_exists(pk)")
}

// loanPut writes l whole as an open loan, conditioned on what was read
// (prev nil: there was no loan of the item).
func (s *Service) loanPut(l *Loan, prev *Loan) (types.TransactWriteItem, error) {
	l.Kind, l.Type, l.Status = KindLoan, TypeLoan, LoanOpen
	l.DueShard = ""
	if l.TransferredAt == "" { // a transferred loan never returns to the byDue index
		l.DueShard = DueShard(l.ItemID)
	}
	it, err := s.recs.Put(KindLoan, LoanOpen, l)
	if err != nil {
		return it, err
	}
	cond, vals := loanUnchanged(prev)
	it.Put.ConditionExpression, it.Put.ExpressionAttributeValues = aws.String(cond), vals
	return it, nil
}

// loanDelete drops the patron–item link of a returned loan at once.
func (s *Service) loanDelete(l *Loan) types.TransactWriteItem {
	cond, vals := loanUnchanged(l)
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(s.tables.Loans), Key: dynamo.Key(l.PK, l.SK),
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
	}}
}

// loanUnchanged is the condition that the loan is still as read: a
// concurrent delivery, renewal or transfer makes the transaction fail and
// the event is applied again from a fresh read.
func loanUnchanged(prev *Loan) (string, map[string]types.AttributeValue) {
	if prev == nil {
		return "attribute_not_exists(pk)", nil
	}
	vals := map[string]types.AttributeValue{
		":cLoanedAt": &types.AttributeValueMemberS{Value: prev.LoanedAt},
		":cDue":      &types.AttributeValueMemberS{Value: prev.DueDate},
		":cRenewals": &types.AttributeValueMemberN{Value: strconv.Itoa(prev.Renewals)},
	}
	cond := "loanedAt = :cLoanedAt AND dueDate = :cDue AND renewals = :cRenewals AND "
	if prev.TransferredAt == "" {
		cond += "attribute_not_exists(transferredAt)"
	} else {
		cond += "transferredAt = :cTransferred"
		vals[":cTransferred"] = &types.AttributeValueMemberS{Value: prev.TransferredAt}
	}
	return cond, vals
}

// reservationPut writes a reservation in force (a new one replaces the old).
func (s *Service) reservationPut(r *Reservation) (types.TransactWriteItem, error) {
	r.Kind, r.Type, r.Status = KindLoan, TypeReservation, LoanReserved
	return s.recs.Put(KindLoan, LoanReserved, r)
}

// reservationDelete ends the reservation of itemID, if there is one.
func (s *Service) reservationDelete(customer, itemID string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(s.tables.Loans), Key: dynamo.Key(PatronPK(customer), ReservationSK(itemID)),
	}}
}

// feePut writes a fee: a new one (prev nil), or one a payment changed,
// conditioned on it being unpaid with what was paid when read.
func (s *Service) feePut(f *Fee, prev *Fee) (types.TransactWriteItem, error) {
	f.Kind = KindFee
	it, err := s.recs.Put(KindFee, f.Status, f)
	if err != nil {
		return it, err
	}
	if prev == nil {
		it.Put.ConditionExpression = aws.String("attribute_not_exists(pk)")
		return it, nil
	}
	it.Put.ExpressionAttributeNames = map[string]string{"#st": "status"}
	it.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":cUnpaid": &types.AttributeValueMemberS{Value: FeeUnpaid}}
	if prev.Paid == "" {
		it.Put.ConditionExpression = aws.String("#st = :cUnpaid AND attribute_not_exists(paid)")
	} else {
		it.Put.ConditionExpression = aws.String("#st = :cUnpaid AND paid = :cPaid")
		it.Put.ExpressionAttributeValues[":cPaid"] = &types.AttributeValueMemberS{Value: prev.Paid}
	}
	return it, nil
}

// errMoney is ParseCents' one answer to anything that is not an amount.
var errMoney = errors.New("not an amount of euros")

// ParseCents reads euros written as "23.50", "23.5" or "23" (at most
// 9 999 999.99) into cents, exactly: no floating point anywhere.
func ParseCents(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	whole, frac, dotted := strings.Cut(s, ".")
	if whole == "" || len(whole) > 7 || len(frac) > 2 || (dotted && frac == "") {
		return 0, errMoney
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, errMoney
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}

// FormatCents writes cents as euros with two decimals: 250 → "2.50".
func FormatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// getLoan reads the open loan of itemID, or nil.
func (s *Service) getLoan(ctx context.Context, customer, itemID string) (*Loan, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.Loans), Key: dynamo.Key(PatronPK(customer), LoanSK(itemID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read loan: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	var l Loan
	if err := attributevalue.UnmarshalMap(out.Item, &l); err != nil {
		return nil, fmt.Errorf("read loan: %w", err)
	}
	return &l, nil
}

// unpaidFees reads the customer's unpaid fees (one Query of their partition).
func (s *Service) unpaidFees(ctx context.Context, customer string) ([]Fee, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Loans),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :fee)"),
		FilterExpression:          aws.String("#status = :unpaid"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: PatronPK(customer)}, ":fee": &types.AttributeValueMemberS{Value: skFee}, ":unpaid": &types.AttributeValueMemberS{Value: FeeUnpaid}},
		ConsistentRead:            aws.Bool(true),
	}
	var fees []Fee
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read fees: %w", err)
		}
		var page []Fee
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("read fees: %w", err)
		}
		fees = append(fees, page...)
		if out.LastEvaluatedKey == nil {
			return fees, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
