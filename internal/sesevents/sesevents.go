// Package sesevents parses the events SES publishes about sent mail: the
// bounce and complaint events of a configuration set's SNS event destination
// (eventType), and the older identity notifications (notificationType). It is
// the pure parsing layer; it makes no AWS calls and handles no queue.
//
// The formats are those of the SES developer guide: "Contents of event data
// that Amazon SES publishes to Amazon SNS" and "Amazon SNS notification
// contents for Amazon SES".
//
// An Event holds recipients' addresses, and SES diagnostics name recipients
// too, so nothing here puts an address or a diagnostic into an error: the
// errors name the field that is wrong and nothing else.
package sesevents

import (
	"encoding/json"
	"errors"
	"time"
)

// Kind is what the register does with an event.
type Kind string

const (
	// HardBounce is a Permanent bounce, including the suppression-list
	// subtypes: the address is not to be mailed again.
	HardBounce Kind = "hard-bounce"
	// SoftBounce is a Transient or an Undetermined bounce: counted, not
	// decisive.
	SoftBounce Kind = "soft-bounce"
	// Complaint is a recipient's complaint (a feedback loop report).
	Complaint Kind = "complaint"
	// Other is any other event (Delivery, Send, Open, Click, Reject,
	// DeliveryDelay, ...): the handler ignores it.
	Other Kind = "other"
)

// Event is what the register acts on; it holds the recipients' addresses only
// because the handler must find their records — never log them.
type Event struct {
	FeedbackID string              // the bounce's or complaint's feedbackId: the idempotency key
	Kind       Kind                // what to do
	Recipients []string            // lower-cased addresses of bouncedRecipients / complainedRecipients
	MessageID  string              // mail.messageId (the SES message id)
	Tags       map[string][]string // mail.tags (configuration set name etc.)
	At         time.Time           // bounce.timestamp / complaint.timestamp (mail.timestamp for Other)
	Detail     string              // e.g. "Permanent/General", "Transient/MailboxFull", "abuse" — no address, no diagnostic text
}

// ErrMalformed is wrapped by every error about an input that is not a usable
// SES event: the handler sends such a message to the dead-letter queue.
var ErrMalformed = errors.New("sesevents: malformed event")

// ErrSubscriptionConfirmation is returned for an SNS SubscriptionConfirmation
// message: not an event, and not malformed either.
var ErrSubscriptionConfirmation = errors.New("sesevents: SNS subscription confirmation")

// MalformedError says which field of the input is wrong. It wraps
// ErrMalformed. Field and Problem never hold input text.
type MalformedError struct {
	Field   string // a JSON path such as "bounce.feedbackId"; empty for the whole input
	Problem string // such as "missing", "not valid JSON", "unknown value"
}

func (e *MalformedError) Error() string {
	if e.Field == "" {
		return ErrMalformed.Error() + ": " + e.Problem
	}
	return ErrMalformed.Error() + ": " + e.Field + ": " + e.Problem
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Unwrap() error { return ErrMalformed }

func malformed(field, problem string) error {
	return &MalformedError{Field: field, Problem: problem}
}

// snsEnvelope is the part of an SNS notification (as SQS receives it with raw
// message delivery off) that ParseSNS reads. The signature is not verified:
// the queue's policy admits only the topic.
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// ParseSNS parses an SQS message body that is an SNS notification carrying an
// SES event.
func ParseSNS(body []byte) (Event, error) {
	var env snsEnvelope
	if err := decode(body, "sns", &env); err != nil {
		return Event{}, err
	}
	switch env.Type {
	case "Notification":
	case "SubscriptionConfirmation":
		return Event{}, ErrSubscriptionConfirmation
	case "":
		return Event{}, malformed("sns.Type", "missing")
	default:
		return Event{}, malformed("sns.Type", "not Notification")
	}
	if env.Message == "" {
		return Event{}, malformed("sns.Message", "missing")
	}
	ev, err := Parse([]byte(env.Message))
	if err != nil {
		var me *MalformedError
		if errors.As(err, &me) {
			return Event{}, malformed(join("sns.Message", me.Field), me.Problem)
		}
		return Event{}, err
	}
	return ev, nil
}

// decode unmarshals one JSON object into v, reporting a failure by field
// only: encoding/json's own texts can quote the input.
func decode(raw []byte, prefix string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return malformed(prefix, "not a JSON object")
			}
			return malformed(join(prefix, te.Field), "wrong JSON type")
		}
		return malformed(prefix, "not valid JSON")
	}
	return nil
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}
