// Package errlog is the one place an error becomes log attributes. An
// error's text may carry input — SES names the rejected recipient, DynamoDB
// echoes values, a wrapped message quotes a field — so no log line gets it.
// What is logged instead is what an operator needs and no input can reach:
// the AWS service, operation, error code, fault, HTTP status and request id,
// and for other errors the Go type name or a fixed description.
//
//	slog.ErrorContext(ctx, "send failed", "mail", id, errlog.Attr(err))
//
// A test of this package fails on any slog call that passes an error in any
// other way.
package errlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/smithy-go"
)

// Key is the attribute key of the error group.
const Key = "err"

// Fixed is an error whose text is a constant of the code, never input, so it
// may be logged as it is. Sentinel errors that are worth reading in a log are
// made with New.
type Fixed struct{ text string }

// New returns an error with a fixed, input-free text.
func New(text string) *Fixed { return &Fixed{text: text} }

func (f *Fixed) Error() string { return f.text }

// Attr is the safe form of err as one attribute group "err":
// type, service, operation, code, fault, httpStatus, requestId and reason
// (the texts of Fixed errors and of context cancellation), each when known.
func Attr(err error) slog.Attr {
	return slog.Attr{Key: Key, Value: slog.GroupValue(Attrs(err)...)}
}

// Attrs are Attr's members, for callers that build their own group.
func Attrs(err error) []slog.Attr {
	if err == nil {
		return nil
	}
	var out []slog.Attr
	out = append(out, slog.String("type", fmt.Sprintf("%T", innermost(err))))
	var op *smithy.OperationError
	if errors.As(err, &op) {
		out = append(out, slog.String("service", op.Service()), slog.String("operation", op.Operation()))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		out = append(out, slog.String("code", api.ErrorCode()))
		if f := api.ErrorFault(); f != smithy.FaultUnknown {
			out = append(out, slog.String("fault", f.String()))
		}
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		out = append(out, slog.Int("httpStatus", status.HTTPStatusCode()))
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) && rid.ServiceRequestID() != "" {
		out = append(out, slog.String("requestId", rid.ServiceRequestID()))
	}
	var reasons []string
	walk(err, func(e error) {
		var f *Fixed
		switch {
		case errors.As(e, &f) && e == error(f):
			reasons = append(reasons, f.text)
		case e == context.Canceled, e == context.DeadlineExceeded:
			reasons = append(reasons, e.Error())
		}
	})
	if len(reasons) > 0 {
		out = append(out, slog.Any("reason", reasons))
	}
	return out
}

// innermost is the error at the bottom of err's first chain: the one that
// says what went wrong, where the wrappers only say where.
func innermost(err error) error {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if next == nil {
				return err
			}
			err = next
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			if len(errs) == 0 || errs[0] == nil {
				return err
			}
			err = errs[0]
		default:
			return err
		}
	}
}

// walk calls f on err and every error it wraps, depth first.
func walk(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	}
}

// StartupAttr is Attr plus the error's text, for the one error that cannot
// carry a request's input: a function's failure to start, which comes from
// its environment alone (a missing variable, a sender address SAM split).
// The operator needs that text to fix the deployment.
func StartupAttr(err error) slog.Attr {
	attrs := Attrs(err)
	if err != nil {
		attrs = append(attrs, slog.String("text", err.Error()))
	}
	return slog.Attr{Key: Key, Value: slog.GroupValue(attrs...)}
}
