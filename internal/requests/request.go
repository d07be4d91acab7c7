// Package requests is the data subject's rights done by the software
// (GDPR Art. 12–22): a request received through the public form (verified
// by a link in mail), by staff (who checked the person's identity) or by a
// register's self-service login, its GDPR clock, and its processing from
// the requests queue — the access copy, erasure with the declaration's
// Art. 17(3) exceptions, restriction, rectification and objection —
// reaching every table of every register it serves through the record seam
// (Queries on bySubject, never a Scan).
package requests

import (
	"time"

	"rekisteri/internal/requests/request"
)

// Types of request.
const (
	Access        = request.Access
	Erasure       = request.Erasure
	Rectification = request.Rectification
	Restriction   = request.Restriction
	Objection     = request.Objection
)

// Types lists them in the order the form shows them.
var Types = request.Types

// Statuses of a request; each is a state of the declared kind "request",
// whose retention rule the seam stamps.
const (
	Unverified = request.Unverified // from the web form, its link not yet followed
	Open       = request.Open       // the clock runs
	Resolved   = request.Resolved   // answered
)

// Channels a request arrives by.
const (
	WebForm     = request.WebForm
	Staff       = request.Staff
	SelfService = request.SelfService
)

// Kind is the declared record kind of a request.
const Kind = request.Kind

const requestSK = request.SK

// Request is one data-subject request, stored in the requests table
// (package request). The queue message that processes it holds only its id.
type Request = request.Request

func requestPK(id string) string { return request.PK(id) }

// ValidID reports whether s has the form of a request id.
func ValidID(s string) bool { return request.ValidID(s) }

func stamp(t time.Time) string { return request.Stamp(t) }

// New is a request received at now: unverified from the web form, open from
// staff (who checked the person's identity, so the clock starts at once).
func New(now time.Time, typ, subjectKey, email, details, lang, channel string) Request {
	return request.New(now, typ, subjectKey, email, details, lang, channel)
}
