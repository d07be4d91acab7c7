package mailer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sesmail"
	"rekisteri/internal/sqsqueue"
)

// sesAnswer is an HTTP transport that answers every SES call with one error
// response, as SES v2 (REST-JSON) sends it.
type sesAnswer struct {
	status    int
	code, msg string
	requestID string
}

func (a sesAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := json.Marshal(map[string]string{"message": a.msg})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", a.code)
	h.Set("X-Amzn-Requestid", a.requestID)
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// TestSESRejectionIsLoggedWithoutItsText sends a job through the real SES v2
// client against SES error answers whose message names the recipient (as the
// sandbox's does), and reads the log lines the queue handler writes: the AWS
// code, operation, status and request id are there; the address is not.
func TestSESRejectionIsLoggedWithoutItsText(t *testing.T) {
	const to = "anna@example.com" // the job's recipient, see job()
	cases := []struct {
		name   string
		answer sesAnswer
	}{
		{"sandbox: recipient not verified", sesAnswer{400, "MessageRejected", "Email address is not verified. The following identities failed the check in region EU-NORTH-1: " + to, "req-4f1c"}},
		{"unknown code naming the address", sesAnswer{400, "BadRequestException", "Illegal address " + to, "req-77aa"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
			defer slog.SetDefault(prev)

			client := sesv2.New(sesv2.Options{
				Region: "eu-north-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: &http.Client{Transport: c.answer},
				RetryMaxAttempts: 1,
			})
			db := &scriptedDB{t: t, answers: []func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error){claimed(t), ok}}
			m, err := New(db, sesmail.New(client), nopQueue{}, "mail", "KAMU <noreply@museo.example.fi>", ConfigurationSets{rmail.Transactional: "tx"})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(sqsqueue.Message{Op: OpSend, ID: "confirm.abc"})
			resp := sqsqueue.Batch(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body)}}}, m.Handle)
			if len(resp.BatchItemFailures) != 1 {
				t.Fatalf("the rejected mail must be reported failed: %+v", resp)
			}
			logged := buf.String()
			if strings.Contains(strings.ToLower(logged), to) {
				t.Errorf("the log names the recipient:\n%s", logged)
			}
			for _, want := range []string{`"code":"` + c.answer.code + `"`, `"requestId":"` + c.answer.requestID + `"`, `"operation":"SendEmail"`, `"service":"SESv2"`, `"httpStatus":400`} {
				if !strings.Contains(logged, want) {
					t.Errorf("the log lacks %s:\n%s", want, logged)
				}
			}
		})
	}
}
