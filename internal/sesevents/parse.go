package sesevents

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// sesEvent is the part of an SES event record that Parse reads. SES may add
// fields; unknown ones are ignored.
type sesEvent struct {
	EventType        string     `json:"eventType"`
	NotificationType string     `json:"notificationType"`
	Mail             *sesMail   `json:"mail"`
	Bounce           *bounce    `json:"bounce"`
	Complaint        *complaint `json:"complaint"`
}

type sesMail struct {
	Timestamp string              `json:"timestamp"`
	MessageID string              `json:"messageId"`
	Tags      map[string][]string `json:"tags"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

type bounce struct {
	BounceType        string      `json:"bounceType"`
	BounceSubType     string      `json:"bounceSubType"`
	BouncedRecipients []recipient `json:"bouncedRecipients"`
	Timestamp         string      `json:"timestamp"`
	FeedbackID        string      `json:"feedbackId"`
}

type complaint struct {
	ComplainedRecipients  []recipient `json:"complainedRecipients"`
	Timestamp             string      `json:"timestamp"`
	FeedbackID            string      `json:"feedbackId"`
	ComplaintSubType      *string     `json:"complaintSubType"`
	ComplaintFeedbackType string      `json:"complaintFeedbackType"`
}

// bounceKinds maps SES's bounceType to a Kind. An Undetermined bounce is
// counted like a transient one, never decisive.
var bounceKinds = map[string]Kind{
	"Permanent":    HardBounce,
	"Transient":    SoftBounce,
	"Undetermined": SoftBounce,
}

// Parse parses the SES event JSON itself (the SNS Message, or what the local
// endpoint receives). Bounce and Complaint need a feedbackId, a timestamp,
// mail.messageId and at least one valid recipient; every other event type is
// returned as Kind Other with no error.
func Parse(raw []byte) (Event, error) {
	var in sesEvent
	if err := decode(raw, "", &in); err != nil {
		return Event{}, err
	}
	typ := in.EventType
	if typ == "" {
		typ = in.NotificationType
	}
	if typ == "" {
		return Event{}, malformed("eventType", "missing")
	}
	var ev Event
	if in.Mail != nil {
		ev.MessageID = in.Mail.MessageID
		if len(in.Mail.Tags) > 0 {
			ev.Tags = in.Mail.Tags
		}
	}
	switch typ {
	case "Bounce":
		return parseBounce(ev, in)
	case "Complaint":
		return parseComplaint(ev, in)
	}
	ev.Kind = Other
	ev.Detail = token(typ, "unknown")
	if in.Mail != nil && in.Mail.Timestamp != "" {
		// Best effort: an Other event is ignored, so a bad time is no error.
		if at, err := time.Parse(time.RFC3339Nano, in.Mail.Timestamp); err == nil {
			ev.At = at.UTC()
		}
	}
	return ev, nil
}

func parseBounce(ev Event, in sesEvent) (Event, error) {
	b := in.Bounce
	if b == nil {
		return Event{}, malformed("bounce", "missing")
	}
	if b.BounceType == "" {
		return Event{}, malformed("bounce.bounceType", "missing")
	}
	kind, ok := bounceKinds[b.BounceType]
	if !ok {
		return Event{}, malformed("bounce.bounceType", "unknown value")
	}
	if err := common(&ev, in, "bounce", b.FeedbackID, b.Timestamp); err != nil {
		return Event{}, err
	}
	rs, err := recipients(b.BouncedRecipients, "bounce.bouncedRecipients")
	if err != nil {
		return Event{}, err
	}
	ev.Kind = kind
	ev.Recipients = rs
	// New subtypes may come; they do not change the kind, and Detail keeps
	// them only if they look like a subtype name.
	ev.Detail = b.BounceType + "/" + token(b.BounceSubType, "Unknown")
	return ev, nil
}

func parseComplaint(ev Event, in sesEvent) (Event, error) {
	c := in.Complaint
	if c == nil {
		return Event{}, malformed("complaint", "missing")
	}
	if err := common(&ev, in, "complaint", c.FeedbackID, c.Timestamp); err != nil {
		return Event{}, err
	}
	rs, err := recipients(c.ComplainedRecipients, "complaint.complainedRecipients")
	if err != nil {
		return Event{}, err
	}
	ev.Kind = Complaint
	ev.Recipients = rs
	// complaintFeedbackType (the ARF Feedback-Type: abuse, fraud, not-spam,
	// ...) is absent from many reports; a complaint SES made up from the
	// account's suppression list carries complaintSubType instead.
	switch {
	case c.ComplaintFeedbackType != "":
		ev.Detail = token(c.ComplaintFeedbackType, "unknown")
	case c.ComplaintSubType != nil && *c.ComplaintSubType != "":
		ev.Detail = token(*c.ComplaintSubType, "unknown")
	default:
		ev.Detail = "unspecified"
	}
	return ev, nil
}

// common fills what bounces and complaints share: the feedbackId, the time
// and the message id, all required.
func common(ev *Event, in sesEvent, obj, feedbackID, ts string) error {
	if strings.TrimSpace(feedbackID) == "" {
		return malformed(obj+".feedbackId", "missing")
	}
	if ts == "" {
		return malformed(obj+".timestamp", "missing")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return malformed(obj+".timestamp", "not an ISO 8601 time")
	}
	if in.Mail == nil {
		return malformed("mail", "missing")
	}
	if ev.MessageID == "" {
		return malformed("mail.messageId", "missing")
	}
	ev.FeedbackID = strings.TrimSpace(feedbackID)
	ev.At = at.UTC()
	return nil
}

// recipients returns the addresses trimmed, reduced from "Name <addr>" to the
// address, lower-cased and without duplicates. An empty list or an address
// that does not parse is malformed; the error names its index, not its text.
func recipients(in []recipient, field string) ([]string, error) {
	if len(in) == 0 {
		return nil, malformed(field, "missing")
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for i, r := range in {
		f := field + "[" + strconv.Itoa(i) + "].emailAddress"
		s := strings.TrimSpace(r.EmailAddress)
		if s == "" {
			return nil, malformed(f, "missing")
		}
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, malformed(f, "not an e-mail address")
		}
		addr := strings.ToLower(a.Address)
		if !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	return out, nil
}

// token returns s if it looks like a type name (letters, digits, '-', '_',
// ' ', at most 64 bytes) and def otherwise, so that Detail never carries an
// address or free text.
func token(s, def string) string {
	if s == "" || len(s) > 64 {
		return def
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '_', r == ' ':
		default:
			return def
		}
	}
	return s
}
