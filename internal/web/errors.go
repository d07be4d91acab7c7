package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"rekisteri/internal/errlog"
)

// FieldErrors is a 400 with one message per field, in the visitor's language.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	return "invalid fields: " + strings.Join(names, ", ")
}

// Error is an error with a status and a message safe to show anyone. The
// wrapped cause is logged, never shown.
type Error struct {
	Status  int
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// The request-level errors every endpoint can answer.
var (
	ErrTooLarge         = &Error{Status: http.StatusRequestEntityTooLarge, Message: "the request body is too large"}
	ErrUnsupportedMedia = &Error{Status: http.StatusUnsupportedMediaType, Message: "send application/x-www-form-urlencoded or application/json"}
	ErrRateLimited      = &Error{Status: http.StatusTooManyRequests, Message: "too many requests; try again in a minute"}
)

// BadRequest is a 400 with a message.
func BadRequest(msg string) error { return &Error{Status: http.StatusBadRequest, Message: msg} }

// Unavailable is a 503: a dependency failed, nothing was stored half-way,
// and the same request may be sent again.
func Unavailable(cause error) error {
	return &Error{Status: http.StatusServiceUnavailable, Message: "the service is unavailable right now; please try again shortly", Cause: cause}
}

// HandlerFunc is an endpoint that returns its failure instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle turns a HandlerFunc's error into a status and an answer in the form
// the client asked for. It is the only place errors become statuses, and
// where they are logged, once.
func Handle(f HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		lang := Lang(r, Form{values: r.URL.Query()})
		var fields FieldErrors
		var e *Error
		switch {
		case errors.As(err, &fields):
			if WantsJSON(r) {
				JSON(w, http.StatusBadRequest, map[string]any{"errors": fields})
				return
			}
			msgs := make([]string, 0, len(fields))
			for _, m := range fields {
				msgs = append(msgs, m)
			}
			sort.Strings(msgs)
			Message(w, http.StatusBadRequest, lang, text(lang, "error.title"), msgs...)
		case errors.As(err, &e):
			if e.Status >= 500 {
				slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "status", e.Status, errlog.Attr(err))
			}
			writeError(w, r, lang, e.Status, e.Message)
		default:
			slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "status", 500, errlog.Attr(err))
			writeError(w, r, lang, http.StatusInternalServerError, "internal error")
		}
	})
}

func writeError(w http.ResponseWriter, r *http.Request, lang string, status int, msg string) {
	if WantsJSON(r) {
		JSON(w, status, map[string]string{"error": msg})
		return
	}
	Message(w, status, lang, text(lang, "error.title"), localized(lang, status, msg))
}
