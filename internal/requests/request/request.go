// Package request is one data-subject request as the requests table stores
// it: its item, its id, and its GDPR clock's first due date. It is the part
// of the requests capability (package requests) that another register's
// function links to take a request its own login has already verified —
// the libraries' self-service — without linking the processing, its
// exports bucket and its pages.
package request

import (
	"crypto/rand"
	"strings"
	"time"

	"rekisteri/internal/helsinki"
)

// Types of request.
const (
	Access        = "access"
	Erasure       = "erasure"
	Rectification = "rectification"
	Restriction   = "restriction"
	Objection     = "objection"
)

// Types lists them in the order the form shows them.
var Types = []string{Access, Rectification, Erasure, Restriction, Objection}

// Statuses of a request; each is a state of the declared kind "request",
// whose retention rule the seam stamps.
const (
	Unverified = "unverified" // from the web form, its link not yet followed
	Open       = "open"       // the clock runs
	Resolved   = "resolved"   // answered
)

// Channels a request arrives by.
const (
	WebForm = "web-form"
	Staff   = "staff"
	// SelfService is a request made signed in to a register's own
	// self-service (the libraries' customer number and PIN): the login
	// verified the person, so the clock starts at once.
	SelfService = "self-service"
)

// Kind is the declared record kind of a request (museum.yaml, table requests).
const Kind = "request"

// SK is every request's sort key.
const SK = "REQUEST"

// OpProcess is the requests queue's op for a request to process; the
// message carries only the id (claim check).
const OpProcess = "process"

// Request is one data-subject request, stored in the requests table. The
// queue message that processes it holds only its id.
type Request struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	SubjectKey string `dynamodbav:"subjectKey"`
	Type       string `dynamodbav:"type"`
	Email      string `dynamodbav:"email"`
	Details    string `dynamodbav:"details,omitempty"`
	Lang       string `dynamodbav:"lang"`
	Status     string `dynamodbav:"status"`
	Channel    string `dynamodbav:"channel"`
	// Register is the declaration (internal/register) the request is made
	// to, whose Art. 15 information its copy gives; empty: the requests
	// function's own (REGISTER). Every register the function reaches is
	// searched whatever it names.
	Register string `dynamodbav:"register,omitempty"`
	// Actor and Case: the staff member who received it and their case number.
	Actor string `dynamodbav:"actor,omitempty"`
	Case  string `dynamodbav:"case,omitempty"`
	// DeliverTo is a staff address the access copy goes to instead of the person's.
	DeliverTo  string `dynamodbav:"deliverTo,omitempty"`
	ReceivedAt string `dynamodbav:"receivedAt"`
	VerifiedAt string `dynamodbav:"verifiedAt,omitempty"`
	// DueOn is the first due date; ExtendedTo, once extended, the last.
	DueOn           string `dynamodbav:"dueOn,omitempty"`
	ExtendedTo      string `dynamodbav:"extendedTo,omitempty"`
	ExtensionReason string `dynamodbav:"extensionReason,omitempty"`
	ExtendedAt      string `dynamodbav:"extendedAt,omitempty"`
	// OpenDue is set while the request is open: "<due date>#<id>" on the
	// sparse byOpen index, so the open ones list by due date.
	OpenDue    string `dynamodbav:"openDue,omitempty"`
	ResolvedAt string `dynamodbav:"resolvedAt,omitempty"`
	// Steps are the processing steps done, with when: a redelivered message
	// skips what is done.
	Steps map[string]string `dynamodbav:"steps"`
	// Outcome is what processing found and did, without personal data
	// (counts per record kind, exceptions, recipients): shown to staff and
	// used in the reply.
	Outcome map[string]string `dynamodbav:"outcome"`
	// Exports are the keys of access copies in the exports bucket.
	Exports []string `dynamodbav:"exports,omitempty,stringset"`
	// RecipientsTold are the recipients told of a change (Art. 19).
	RecipientsTold []string `dynamodbav:"recipientsTold,omitempty,stringset"`
	RestrictedAt   string   `dynamodbav:"restrictedAt,omitempty"`
	// Correction is what staff found right, for a rectification.
	Correction map[string]string `dynamodbav:"correction,omitempty"`
}

// ID is the request's id.
func (r Request) ID() string { return strings.TrimPrefix(r.PK, "REQUEST#") }

// Due is the date the request must be answered by: the extended one once
// extended.
func (r Request) Due() string {
	if r.ExtendedTo != "" {
		return r.ExtendedTo
	}
	return r.DueOn
}

// PK is the partition key of the request with id.
func PK(id string) string { return "REQUEST#" + id }

// idAlphabet has no letters people mix up (Crockford's base 32, lower case).
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newID is a request id: "r" and 12 random characters (60 bits), short
// enough to read out on the phone.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 13)
	out = append(out, 'r')
	for _, x := range b {
		out = append(out, idAlphabet[x&31])
	}
	return string(out)
}

var idChars = func() (ok [256]bool) {
	for i := range idAlphabet {
		ok[idAlphabet[i]] = true
	}
	return ok
}()

// ValidID reports whether s has the form of a request id.
func ValidID(s string) bool {
	if len(s) != 13 || s[0] != 'r' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !idChars[s[i]] {
			return false
		}
	}
	return true
}

// Stamp is a time as requests store it (RFC 3339, UTC).
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// New is a request received at now: unverified from the web form, open from
// staff (who checked the person's identity) or a self-service login, so the
// clock starts at once.
func New(now time.Time, typ, subjectKey, email, details, lang, channel string) Request {
	r := Request{
		PK: PK(newID()), SK: SK, Kind: Kind, SubjectKey: subjectKey,
		Type: typ, Email: email, Details: details, Lang: lang, Channel: channel,
		Status: Unverified, ReceivedAt: Stamp(now), Steps: map[string]string{}, Outcome: map[string]string{},
	}
	if channel == Staff || channel == SelfService {
		r.Start(now)
	}
	return r
}

// Start opens the request at now: verified, its clock running, on the
// byOpen index by its due date.
func (r *Request) Start(now time.Time) {
	r.Status, r.VerifiedAt = Open, Stamp(now)
	r.DueOn = DueOn(now).Format(DateFormat)
	r.OpenDue = r.DueOn + "#" + r.ID()
}

// DateFormat is how dates are stored and shown: YYYY-MM-DD.
const DateFormat = "2006-01-02"

// firstPeriod is the GDPR clock's first period, in months (Art. 12(3)).
const firstPeriod = 1

// AddMonths is d plus n calendar months, clamped to the last day of the
// month where the day does not exist.
func AddMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, time.UTC)
}

// DueOn is the day a request received (verified) at t must be answered by:
// one calendar month on, by the Finnish calendar (package requests, due.go,
// says how the month is counted).
func DueOn(t time.Time) time.Time { return AddMonths(helsinki.Today(t), firstPeriod) }
