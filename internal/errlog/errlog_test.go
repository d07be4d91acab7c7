package errlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const secret = "anna.virtanen@example.com"

// awsError is what the SDK returns for a rejected call, wrapped as our code wraps it.
func awsError(code, msg, requestID string, status int) error {
	api := &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
	resp := &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api},
		RequestID:     requestID,
	}
	return fmt.Errorf("send mail confirm.x to %s: %w", secret, &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: resp})
}

var errSentinel = New("identity code could not be sealed")

func TestAttr(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"AWS API error", awsError("MessageRejected", "Email address is not verified: "+secret, "req-1", 400),
			[]string{`"code":"MessageRejected"`, `"requestId":"req-1"`, `"httpStatus":400`, `"service":"SESv2"`, `"operation":"SendEmail"`, `"fault":"client"`, `"type":"*smithy.GenericAPIError"`}},
		{"plain error: type only", fmt.Errorf("parse %q: %w", secret, errors.New("bad "+secret)), []string{`"type":"*errors.errorString"`}},
		{"fixed sentinel: its text", fmt.Errorf("booking %s: %w: %w", secret, errSentinel, errors.New(secret)), []string{`"reason":["identity code could not be sealed"]`}},
		{"context cancelled", fmt.Errorf("query %s: %w", secret, context.Canceled), []string{`"reason":["context canceled"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Error("failed", Attr(c.err))
			got := buf.String()
			if strings.Contains(got, secret) {
				t.Errorf("the input reached the log: %s", got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %s in %s", w, got)
				}
			}
		})
	}
}

func TestStartupAttrKeepsTheText(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("cannot start", StartupAttr(errors.New("MAIL_FROM: not an address")))
	if !strings.Contains(buf.String(), `"text":"MAIL_FROM: not an address"`) {
		t.Fatal(buf.String())
	}
}
