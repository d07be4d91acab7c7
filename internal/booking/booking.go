// Package booking takes the museum's resource bookings: a request with a
// receipt and a cancel link, a staff decision by signed link, occupancy kept
// within each resource's capacity by conditional writes, a reminder the day
// before, and the personal identity code sealed with KMS the moment it
// arrives — never logged, mailed, queued or shown back.
package booking

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/mailbudget"
	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
)

// Booking statuses.
const (
	Pending   = "pending"
	Accepted  = "accepted"
	Declined  = "declined"
	Cancelled = "cancelled"
)

// Errors the HTTP layer turns into pages that say what happened. Their texts
// are fixed, so a log line may carry them (errlog).
var (
	ErrLinkInvalid   error = errlog.New("link invalid")
	ErrLinkExpired   error = errlog.New("link expired")
	ErrNotFound      error = errlog.New("booking not found")
	ErrAlreadyDone   error = errlog.New("booking already decided")
	ErrFull          error = errlog.New("resource fully booked")
	ErrTooLate       error = errlog.New("too late to cancel")
	ErrSealing       error = errlog.New("identity code could not be sealed")
	errNotCancelable error = errlog.New("booking not cancellable")
)

type dynamoAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

type sealer interface {
	Seal(ctx context.Context, plaintext []byte, ec fieldcrypt.Context) (fieldcrypt.Sealed, error)
}

// Tables are the physical names of the tables the service writes.
type Tables struct {
	Bookings, Mail, Audit string
}

// Service is the bookings capability.
type Service struct {
	reg     *register.Register
	db      dynamoAPI
	keys    keySource
	seal    sealer
	tables  Tables
	baseURL *url.URL
	budget  *mailbudget.Budget
	recs    *seam.Catalogue
	now     func() time.Time
}

// NewService wires the capability to its stores.
func NewService(reg *register.Register, db dynamoAPI, keys keySource, seal sealer, tables Tables, baseURL *url.URL) *Service {
	recs := seam.MustCatalogue(reg, map[string]string{"bookings": tables.Bookings, "mail": tables.Mail, "audit": tables.Audit})
	return &Service{reg: reg, db: db, keys: keys, seal: seal, tables: tables, baseURL: baseURL,
		budget: mailbudget.MustNew(recs, "bookings"), recs: recs, now: time.Now}
}

// Request is a validated booking request. Hetu travels only from the form to Seal.
type Request struct {
	Resource                          string
	Date                              time.Time
	Start, End                        string
	Participants                      int
	FirstName, LastName, Email, Phone string
	Organisation, BusinessID          string
	Payment                           string
	Street, Postcode, City            string
	Hetu                              string
	Notes, Lang                       string
}

type record struct {
	PK            string `dynamodbav:"pk"`
	SK            string `dynamodbav:"sk"`
	Kind          string `dynamodbav:"kind"`
	SubjectKey    string `dynamodbav:"subjectKey"`
	Reference     string `dynamodbav:"reference"`
	Resource      string `dynamodbav:"resource"`
	Date          string `dynamodbav:"date"`
	Start         string `dynamodbav:"start"`
	End           string `dynamodbav:"end"`
	Participants  int    `dynamodbav:"participants"`
	FirstName     string `dynamodbav:"firstName"`
	LastName      string `dynamodbav:"lastName"`
	Email         string `dynamodbav:"email"`
	Phone         string `dynamodbav:"phone,omitempty"`
	Organisation  string `dynamodbav:"organisation,omitempty"`
	BusinessID    string `dynamodbav:"businessId,omitempty"`
	Payment       string `dynamodbav:"payment"`
	Street        string `dynamodbav:"street,omitempty"`
	Postcode      string `dynamodbav:"postcode,omitempty"`
	City          string `dynamodbav:"city,omitempty"`
	HetuGiven     bool   `dynamodbav:"hetuGiven"`
	Notes         string `dynamodbav:"notes,omitempty"`
	Lang          string `dynamodbav:"lang"`
	Status        string `dynamodbav:"status"`
	DeclineReason string `dynamodbav:"declineReason,omitempty"`
	CreatedAt     string `dynamodbav:"createdAt"`
	DecidedAt     string `dynamodbav:"decidedAt,omitempty"`
	CancelledAt   string `dynamodbav:"cancelledAt,omitempty"`
	RemindOn      string `dynamodbav:"remindOn,omitempty"`
	RemindedAt    string `dynamodbav:"remindedAt,omitempty"`
	ToInvoice     string `dynamodbav:"toInvoice,omitempty"`
	InvoicedAt    string `dynamodbav:"invoicedAt,omitempty"`
}

// hetuRecord holds the sealed identity code apart from the booking, so it can
// be deleted on its own timer (declared) without touching the booking.
type hetuRecord struct {
	PK         string            `dynamodbav:"pk"`
	SK         string            `dynamodbav:"sk"`
	Kind       string            `dynamodbav:"kind"`
	SubjectKey string            `dynamodbav:"subjectKey"`
	Sealed     fieldcrypt.Sealed `dynamodbav:"sealed"`
	CreatedAt  string            `dynamodbav:"createdAt"`
	InvoicedAt string            `dynamodbav:"invoicedAt,omitempty"`
}

// Keys of the bookings table.
func bookingPK(ref string) string { return "BOOKING#" + ref }

const (
	bookingSK = "BOOKING"
	hetuSK    = "HETU"
)

// HetuContext is the KMS encryption context of a booking's identity code:
// bound to the table, the booking and the attribute, so a sealed value moved
// anywhere else cannot be opened.
func HetuContext(ref string) fieldcrypt.Context {
	return fieldcrypt.Context{"table": "bookings", "booking": ref, "attribute": "hetu"}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// referenceAlphabet has no look-alike characters (no I, L, O, U).
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newReference is short enough to read over the phone: KAMU-XXXX-XXXX.
func newReference() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 14)
	out = append(out, "KAMU-"...)
	for i, v := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[int(v)%len(referenceAlphabet)])
	}
	return string(out)
}

// slots are the half-hour slots a booking occupies, by start time.
func slots(start, end string) []string {
	s, e := minutes(start), minutes(end)
	var out []string
	for m := s - s%30; m < e; m += 30 {
		out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	return out
}

func minutes(hhmm string) int {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return h*60 + m
}

func capacityPK(resource, date string) string { return "CAP#" + resource + "#" + date }

// Submit stores a booking request, seals its identity code, and queues the
// receipt to the customer and the notification to staff. If KMS cannot seal
// the code nothing is stored.
//
// Nobody has verified the address on a request, so each one spends the
// address's mail budget (register: mailBudgets/bookings) in the same
// transaction. Past the budget the booking is still stored and answered the
// same, but neither a receipt nor a staff notification is mailed: the first
// request past it sends staff one notice instead (its details, its decision
// link, and that further requests from the address this window are held
// unmailed), left to the outbox relay so the request still makes ≤ 2 calls.
func (s *Service) Submit(ctx context.Context, in Request) (string, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return "", fmt.Errorf("booking: %w", err)
	}
	now := s.now()
	ref := newReference()
	pk := bookingPK(ref)
	sk := subject.EmailKey(keys.Subject, in.Email)
	date := in.Date.Format("2006-01-02")
	rec := record{
		PK: pk, SK: bookingSK, Kind: "booking", SubjectKey: sk, Reference: ref,
		Resource: in.Resource, Date: date, Start: in.Start, End: in.End, Participants: in.Participants,
		FirstName: in.FirstName, LastName: in.LastName, Email: subject.NormalizeEmail(in.Email), Phone: in.Phone,
		Organisation: in.Organisation, BusinessID: in.BusinessID, Payment: in.Payment,
		Street: in.Street, Postcode: in.Postcode, City: in.City, HetuGiven: in.Hetu != "",
		Notes: in.Notes, Lang: in.Lang, Status: Pending, CreatedAt: stamp(now),
	}
	put, err := s.recs.Put("booking", "any", rec, "attribute_not_exists(pk)")
	if err != nil {
		return "", err
	}
	tx := []types.TransactWriteItem{put}
	if in.Hetu != "" {
		sealed, err := s.seal.Seal(ctx, []byte(in.Hetu), HetuContext(ref))
		if err != nil {
			return "", fmt.Errorf("booking %s: %w: %w", ref, ErrSealing, err)
		}
		h := hetuRecord{PK: pk, SK: hetuSK, Kind: "booking-hetu", SubjectKey: sk, Sealed: sealed, CreatedAt: stamp(now)}
		hput, err := s.recs.Put("booking-hetu", "open", h)
		if err != nil {
			return "", err
		}
		tx = append(tx, hput)
	}
	receipt, err := s.job(now, "receipt."+ref, rec, "booking-receipt", rec.Email, rec.Lang, map[string]string{"cancelURL": s.cancelLink(keys, rec)})
	if err != nil {
		return "", err
	}
	staff, err := s.job(now, "staff."+ref, rec, "booking-staff", s.reg.BookingContact, "fi", map[string]string{"decisionURL": s.decisionLink(keys, rec)})
	if err != nil {
		return "", err
	}
	records := tx // the booking and its sealed code: stored whatever the budget says
	budgetAt := len(tx)
	tx = append(slices.Clip(tx), s.budget.Spend(sk, now))
	jobs := []mail.Job{receipt, staff}
	for _, j := range jobs {
		jp, err := mail.Put(s.recs, j)
		if err != nil {
			return "", err
		}
		tx = append(tx, jp)
	}
	err = s.transact(ctx, tx)
	if spent, counted := mailbudget.Refused(err, budgetAt); spent {
		if err := s.submitPastBudget(ctx, keys, now, rec, records, counted); err != nil {
			return "", err
		}
		return ref, nil // the same answer as within the budget
	}
	if err != nil {
		return "", fmt.Errorf("store booking %s: %w", ref, err)
	}
	slog.InfoContext(ctx, "booking requested", "booking", ref, "resource", in.Resource, "subject", subject.Prefix(rec.SubjectKey), "invoice", in.Payment == "invoice")
	return ref, nil
}

// submitPastBudget stores a booking whose address has had its mail budget:
// the records alone, the count, and for the first request past the budget
// one notice to staff, which the outbox relay sends (no queue call here).
func (s *Service) submitPastBudget(ctx context.Context, keys keyring.Keys, now time.Time, rec record, records []types.TransactWriteItem, counted int) error {
	first := counted == s.budget.Count()
	for {
		tx := append(slices.Clip(records), s.budget.Overspend(rec.SubjectKey, now, first))
		if first {
			notice, err := s.job(now, "held."+rec.Reference, rec, "booking-held", s.reg.BookingContact, "fi", map[string]string{
				"decisionURL": s.decisionLink(keys, rec), "budget": strconv.Itoa(s.budget.Count()), "minutes": strconv.Itoa(int(s.budget.Window().Minutes())),
			})
			if err != nil {
				return err
			}
			np, err := mail.Put(s.recs, notice)
			if err != nil {
				return err
			}
			tx = append(tx, np)
		}
		err := s.transact(ctx, tx)
		if first {
			if refused, _ := mailbudget.Refused(err, len(records)); refused {
				first = false // a concurrent request sent the notice: store without it
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("store booking %s past the mail budget: %w", rec.Reference, err)
		}
		slog.InfoContext(ctx, "booking requested past the mail budget: nothing mailed", "booking", rec.Reference,
			"resource", rec.Resource, "subject", subject.Prefix(rec.SubjectKey), "staffNotice", first)
		return nil
	}
}

// transact writes a request's transaction, and again (twice at most) when
// DynamoDB cancelled it only for a conflict with a concurrent transaction:
// requests with one address share its mail-budget counter, and a burst of
// them must still each get the same 202, not a 503.
func (s *Service) transact(ctx context.Context, tx []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil || attempt == 2 || !slices.Contains(dynamo.CancelledBy(err), "TransactionConflict") {
			return err
		}
		time.Sleep(time.Duration(10+mrand.IntN(40)) * time.Millisecond)
	}
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
