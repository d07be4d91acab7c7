// Package feedback takes the museum's visitor survey, anonymous by design:
// answers carry no identifier and only the day they arrived; free text, which
// may hold personal data, is kept apart on a shorter timer; contact details
// exist only when the visitor asks for a reply; a newsletter consent is
// handed to the newsletter's own double opt-in without linking anything.
package feedback

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/keyring"
	"rekisteri/internal/newsletter"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

type dynamoAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

type queue interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Tables are the physical names of the tables the service writes.
type Tables struct {
	Feedback, Subscribers string
}

// Service is the feedback capability.
type Service struct {
	reg     *register.Register
	db      dynamoAPI
	signups queue
	keys    keySource
	tables  Tables
	recs    *record.Catalogue
	now     func() time.Time
}

// NewService wires the capability to its stores.
func NewService(reg *register.Register, db dynamoAPI, signups queue, keys keySource, tables Tables) *Service {
	recs := record.MustCatalogue(reg, map[string]string{"feedback": tables.Feedback, "subscribers": tables.Subscribers})
	return &Service{reg: reg, db: db, signups: signups, keys: keys, tables: tables, recs: recs, now: time.Now}
}

// Submission is one validated survey answer with what the visitor asked for.
type Submission struct {
	VisitDate        time.Time
	VisitReason      string
	VisitReasonOther string
	InfoSource       []string
	ServicesUsed     []string
	Feedback         string
	PreviousUse      map[string]string
	MuseumCard       string
	Transport        string
	Party            string
	AgeGroup         string
	Gender           string
	HomeMunicipality string
	HomePostcode     string
	HomeAbroad       bool
	NewsletterOptIn  bool
	ContactMe        bool
	Name, Email      string
	Lang             string
	// Nonce is the form's idempotency key: the same nonce stores once.
	Nonce string
}

type answer struct {
	PK               string            `dynamodbav:"pk"`
	SK               string            `dynamodbav:"sk"`
	Kind             string            `dynamodbav:"kind"`
	ReceivedOn       string            `dynamodbav:"receivedOn"`
	VisitMonth       string            `dynamodbav:"visitMonth"`
	VisitReason      string            `dynamodbav:"visit_reason,omitempty"`
	InfoSource       []string          `dynamodbav:"info_source,omitempty"`
	ServicesUsed     []string          `dynamodbav:"services_used,omitempty"`
	PreviousUse      map[string]string `dynamodbav:"previous_use,omitempty"`
	MuseumCard       string            `dynamodbav:"museum_card,omitempty"`
	Transport        string            `dynamodbav:"transport,omitempty"`
	Party            string            `dynamodbav:"party,omitempty"`
	AgeGroup         string            `dynamodbav:"age_group,omitempty"`
	Gender           string            `dynamodbav:"gender,omitempty"`
	HomeMunicipality string            `dynamodbav:"home_municipality,omitempty"`
	HomePostcode     string            `dynamodbav:"home_postcode,omitempty"`
	HomeAbroad       bool              `dynamodbav:"home_abroad,omitempty"`
	Lang             string            `dynamodbav:"lang"`
	ContactID        string            `dynamodbav:"contactId,omitempty"`
}

type freeText struct {
	PK               string `dynamodbav:"pk"`
	SK               string `dynamodbav:"sk"`
	Kind             string `dynamodbav:"kind"`
	Feedback         string `dynamodbav:"feedback,omitempty"`
	VisitReasonOther string `dynamodbav:"visit_reason_other,omitempty"`
	ReceivedOn       string `dynamodbav:"receivedOn"`
}

type contact struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	SubjectKey string `dynamodbav:"subjectKey"`
	Name       string `dynamodbav:"name,omitempty"`
	Email      string `dynamodbav:"email"`
	Lang       string `dynamodbav:"lang"`
	AnswerRef  string `dynamodbav:"answerRef"`
	CreatedAt  string `dynamodbav:"createdAt"`
}

// answerPK puts a month's answers in one partition, so the statistics read
// a month with one Query and never a Scan.
func answerPK(month string) string { return "ANSWER#" + month }

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// answerID is derived from the form's nonce when there is one, so a
// resubmitted form lands on the same item; it identifies the answer, not the visitor.
func answerID(nonce string) string {
	if nonce != "" {
		sum := sha256.Sum256([]byte("feedback-nonce\x00" + nonce))
		return hex.EncodeToString(sum[:12])
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newSignupID is the id of a newsletter handover: random, so that it shares
// nothing with the answer it came with.
func newSignupID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Submit stores one answer, its free text apart, the contact only when a
// reply was asked for, and a newsletter signup request when consented to —
// all in one transaction. The signup's queue message is sent afterwards; if
// it is lost, the newsletter's relay finds the stored request.
func (s *Service) Submit(ctx context.Context, in Submission) error {
	now := s.now()
	day, month := now.UTC().Format("2006-01-02"), now.UTC().Format("2006-01")
	// Everything stored with the answer knows its arrival to the day only
	// (receivedOn, createdAt): its retention runs from the start of that day,
	// so no time stamp of the answer can be matched to the second against
	// the signup's.
	id := answerID(in.Nonce)
	pk := answerPK(month)
	a := answer{
		PK: pk, SK: id, Kind: "feedback-answer", ReceivedOn: day, VisitMonth: in.VisitDate.Format("2006-01"),
		VisitReason: in.VisitReason, InfoSource: in.InfoSource, ServicesUsed: in.ServicesUsed, PreviousUse: in.PreviousUse,
		MuseumCard: in.MuseumCard, Transport: in.Transport, Party: in.Party, AgeGroup: in.AgeGroup, Gender: in.Gender,
		HomeMunicipality: in.HomeMunicipality, HomePostcode: in.HomePostcode, HomeAbroad: in.HomeAbroad, Lang: in.Lang,
	}
	var (
		keys   keyring.Keys
		signup string
		err    error
	)
	if in.ContactMe || in.NewsletterOptIn {
		if keys, err = s.keys.Keys(ctx); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
	}
	var tx []types.TransactWriteItem
	var extra []types.TransactWriteItem
	if in.ContactMe {
		a.ContactID = id
		cpk := "CONTACT#" + id
		c := contact{
			PK: cpk, SK: "CONTACT", Kind: "feedback-contact",
			SubjectKey: subject.EmailKey(keys.Subject, in.Email), Name: in.Name, Email: subject.NormalizeEmail(in.Email), Lang: in.Lang,
			AnswerRef: pk + "/" + id, CreatedAt: day,
		}
		put, err := s.recs.Put("feedback-contact", "any", c)
		if err != nil {
			return err
		}
		extra = append(extra, put)
	}
	put, err := s.recs.Put("feedback-answer", "any", a, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	tx = append(tx, put)
	if in.Feedback != "" || in.VisitReasonOther != "" {
		t := freeText{
			PK: pk, SK: id + "#TEXT", Kind: "feedback-text", Feedback: in.Feedback, VisitReasonOther: in.VisitReasonOther, ReceivedOn: day,
		}
		tput, err := s.recs.Put("feedback-text", "any", t)
		if err != nil {
			return err
		}
		tx = append(tx, tput)
	}
	tx = append(tx, extra...)
	if in.NewsletterOptIn {
		// The newsletter learns only the address and what was agreed to. The
		// signup id is fresh randomness, never derived from the answer or the
		// nonce: nothing stored with the answer leads to it. A resubmitted
		// form still hands over once, because the answer's condition cancels
		// the whole transaction, this signup included.
		signup = "fb-" + newSignupID()
		req := newsletter.NewSignupRequest(keys.Subject, now, signup, newsletter.Signup{
			Email: in.Email, Name: in.Name, Lang: in.Lang, Lists: []string{"newsletter"},
			Channel: "feedback-survey", Form: "feedback-form/" + s.reg.Version(),
		})
		sput, err := newsletter.PutSignupRequest(s.recs, req)
		if err != nil {
			return err
		}
		tx = append(tx, sput)
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		if codes := dynamo.CancelledBy(err); len(codes) > 0 && codes[0] == "ConditionalCheckFailed" {
			// No answer id in logs: a log line's time and request id would tie
			// it to the signup logged in the same invocation.
			slog.InfoContext(ctx, "feedback already stored")
			return nil // the same form sent again
		}
		return fmt.Errorf("store feedback: %w", err)
	}
	if signup != "" {
		if err := s.signups.Send(ctx, sqsqueue.Message{Op: newsletter.OpSignup, ID: signup}); err != nil {
			slog.WarnContext(ctx, "signup left for the relay", "signup", signup, errlog.Attr(err))
		}
	}
	slog.InfoContext(ctx, "feedback stored", "contact", in.ContactMe, "newsletter", in.NewsletterOptIn)
	return nil
}
