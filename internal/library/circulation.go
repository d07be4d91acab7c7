package library

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"time"

	"rekisteri/internal/errlog"
	"rekisteri/internal/web"
)

// The circulation feed (DESIGN §3, README "The circulation feed"): the
// library system (Sierra) posts what happened —
//
//	POST /library/circulation
//	{"events":[{"id":"…","type":"loan|renewal|return|reservation|reservation-cancelled|fee|payment",
//	  "customer":"<customer number>","at":"<RFC 3339>","library":"espoo|helsinki|kauniainen|vantaa",
//	  "item":{"id":"…","title":"…","price":"23.50"},"due":"YYYY-MM-DD","amount":"2.00","reason":"overdue"}]}
//
// and gets 200 {"accepted":n,"duplicates":m,"rejected":[{"index":i,"error":"…"}]}.
// Each event is applied once, by its id, in one transaction with its
// effect (circulation_apply.go); a bad event is rejected by its index with
// a fixed text, and the rest are applied. In AWS the route is behind the
// HTTP API's IAM authorizer; only the library system's role may call it.

// MaxCirculationEvents is the most events one batch may carry.
const MaxCirculationEvents = 500

// circulationBodyLimit is the largest batch body: 500 events of ~1 KB.
const circulationBodyLimit = 1 << 20

// The event types.
const (
	EvLoan                 = "loan"
	EvRenewal              = "renewal"
	EvReturn               = "return"
	EvReservation          = "reservation"
	EvReservationCancelled = "reservation-cancelled"
	EvFee                  = "fee"
	EvPayment              = "payment"
)

// EventTypes are the types the feed knows.
var EventTypes = []string{EvLoan, EvRenewal, EvReturn, EvReservation, EvReservationCancelled, EvFee, EvPayment}

// FeeReasons are what a fee may be for; a fee event names one, or gets
// "overdue" when it names an item and "other" when it does not.
var FeeReasons = []string{"overdue", "lost", "damaged", "reservation", "other"}

// The fixed texts a rejected event gets: no input, no personal data.
var (
	ErrEventMalformed  error = errlog.New("malformed event")
	ErrEventID         error = errlog.New("bad event id")
	ErrEventType       error = errlog.New("unknown type")
	ErrEventCustomer   error = errlog.New("unknown customer")
	ErrEventTime       error = errlog.New("bad date: at must be RFC 3339 and not in the future")
	ErrEventLibrary    error = errlog.New("unknown library")
	ErrEventItem       error = errlog.New("missing item")
	ErrEventPrice      error = errlog.New("bad item price")
	ErrEventDue        error = errlog.New("bad due date: want YYYY-MM-DD")
	ErrEventAmount     error = errlog.New("bad amount")
	ErrEventReason     error = errlog.New("unknown fee reason")
	errBatchTooLarge   error = errlog.New("too many events")
	errBatchMalformed  error = errlog.New("malformed batch")
	errBatchNoEvents   error = errlog.New("no events")
	errBatchUnapplied  error = errlog.New("circulation batch stopped")
	errCirculationBusy error = errlog.New("circulation event kept conflicting")
)

// EventItem is the item an event is about.
type EventItem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Price string `json:"price"`
}

// CirculationEvent is one event as the library system sends it.
type CirculationEvent struct {
	ID       string     `json:"id"`
	Type     string     `json:"type"`
	Customer string     `json:"customer"`
	At       string     `json:"at"`
	Library  string     `json:"library"`
	Item     *EventItem `json:"item,omitempty"`
	Due      string     `json:"due,omitempty"`
	Amount   string     `json:"amount,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// event is a CirculationEvent that passed parseEvent.
type event struct {
	CirculationEvent
	at    time.Time // UTC
	cents int64     // amount (fee, payment) or item price (loan)
}

// Rejection is one rejected event of a batch.
type Rejection struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// BatchResult is the feed's answer.
type BatchResult struct {
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Rejected   []Rejection `json:"rejected"`
}

// parseEvent checks one event as far as it can be without reading the
// register; now is the clock, so a time in the future (beyond a minute's
// skew) is refused.
func parseEvent(raw json.RawMessage, now time.Time) (event, error) {
	var ev event
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ev.CirculationEvent); err != nil {
		return ev, ErrEventMalformed
	}
	e := &ev.CirculationEvent
	if !keyPart(e.ID, 100) {
		return ev, ErrEventID
	}
	if !slices.Contains(EventTypes, e.Type) {
		return ev, ErrEventType
	}
	if !keyPart(e.Customer, 32) {
		return ev, ErrEventCustomer
	}
	at, err := time.Parse(time.RFC3339, e.At)
	if err != nil || at.After(now.Add(time.Minute)) || at.Year() < 2000 {
		return ev, ErrEventTime
	}
	ev.at = at.UTC()
	if !slices.Contains(Libraries, e.Library) {
		return ev, ErrEventLibrary
	}
	needsItem := e.Type != EvFee && e.Type != EvPayment
	if e.Item != nil && (e.Item.ID != "" || e.Item.Title != "" || e.Item.Price != "") {
		if !keyPart(e.Item.ID, 100) || len(e.Item.Title) > 500 {
			return ev, ErrEventItem
		}
	} else if needsItem {
		return ev, ErrEventItem
	} else {
		e.Item = nil
	}
	switch e.Type {
	case EvLoan:
		if e.Item.Title == "" {
			return ev, ErrEventItem
		}
		if ev.cents, err = ParseCents(e.Item.Price); err != nil || e.Item.Price == "" {
			return ev, ErrEventPrice
		}
		fallthrough
	case EvRenewal:
		if d, err := time.Parse(time.DateOnly, e.Due); err != nil || d.Format(time.DateOnly) != e.Due {
			return ev, ErrEventDue
		}
	case EvFee, EvPayment:
		if ev.cents, err = ParseCents(e.Amount); err != nil || ev.cents <= 0 {
			return ev, ErrEventAmount
		}
		if e.Type == EvFee {
			switch {
			case e.Reason == "" && e.Item != nil:
				e.Reason = "overdue"
			case e.Reason == "":
				e.Reason = "other"
			case !slices.Contains(FeeReasons, e.Reason):
				return ev, ErrEventReason
			}
		}
	}
	return ev, nil
}

// keyPart reports whether s is a key part the register may use: 1 to max
// characters of letters, digits and . _ : -, so it can never split a key.
func keyPart(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == ':', r == '-':
		default:
			return false
		}
	}
	return true
}

// decodeBatch reads the batch body: JSON only, at most the body limit and
// MaxCirculationEvents events, each kept raw so a bad one fails alone.
func decodeBatch(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &web.Error{Status: http.StatusUnsupportedMediaType, Message: "send application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, circulationBodyLimit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, web.ErrTooLarge
		}
		return nil, web.BadRequest("the request body could not be read")
	}
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil, &web.Error{Status: http.StatusBadRequest, Message: "the JSON body is malformed: want {\"events\":[…]}", Cause: errBatchMalformed}
	}
	if len(batch.Events) == 0 {
		return nil, &web.Error{Status: http.StatusBadRequest, Message: "no events", Cause: errBatchNoEvents}
	}
	if len(batch.Events) > MaxCirculationEvents {
		return nil, &web.Error{Status: http.StatusRequestEntityTooLarge, Message: "at most 500 events in a batch", Cause: errBatchTooLarge}
	}
	return batch.Events, nil
}

// circulation is POST /library/circulation.
func (s *Service) circulation(w http.ResponseWriter, r *http.Request) error {
	raws, err := decodeBatch(w, r)
	if err != nil {
		return err
	}
	res, err := s.ApplyCirculation(r.Context(), raws)
	if err != nil {
		// What was applied stays applied, once: the same batch again
		// finishes the rest and answers the applied ones as duplicates.
		slog.ErrorContext(r.Context(), "circulation batch stopped", "events", len(raws), "accepted", res.Accepted, "duplicates", res.Duplicates, errlog.Attr(err))
		return web.Unavailable(errBatchUnapplied)
	}
	slog.InfoContext(r.Context(), "circulation batch", "events", len(raws), "accepted", res.Accepted, "duplicates", res.Duplicates, "rejected", len(res.Rejected))
	web.JSON(w, http.StatusOK, res)
	return nil
}
