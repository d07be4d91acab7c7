// Package awslambda adapts a function's handlers to the Lambda runtime: one
// binary serves its HTTP routes, its SQS queue, its DynamoDB stream and its
// schedules, told apart by the shape of the event.
package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"rekisteri/internal/config"
	"rekisteri/internal/errlog"
)

// Function is everything one Lambda function answers; unused triggers are nil.
type Function struct {
	HTTP     http.Handler
	Queue    func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)
	Stream   func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	Schedule func(ctx context.Context, input json.RawMessage) error
}

// Constructor builds a function from its environment and an AWS config. The
// Lambda main and the local runner call the same constructor.
type Constructor func(ctx context.Context, env config.Lookup, awsCfg aws.Config) (Function, error)

// Main is a function binary's whole main: JSON logs with the request id,
// the EU region check, the SDK config from the environment (no network call),
// then the runtime loop.
func Main(build Constructor) {
	slog.SetDefault(slog.New(lambdacontext.NewLogHandler()))
	ctx := context.Background()
	awsCfg, err := AWSConfig(os.LookupEnv)
	var fn Function
	if err == nil {
		fn, err = build(ctx, os.LookupEnv, awsCfg)
	}
	if err != nil {
		slog.Error("function cannot start", errlog.StartupAttr(err))
		os.Exit(1)
	}
	lambda.Start(fn.Entry())
}

// Entry is the function's Lambda entry point: what the runtime loop calls
// with each event's bytes. It decodes the event once, into the one shape
// that holds every trigger's fields, and encodes the answer once; `make
// bench` measures the CPU of this very path.
func (f Function) Entry() lambda.Handler {
	return entry{f: f}
}

type entry struct {
	f Function
}

func (e entry) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := e.f.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	// As the runtime's own handler encodes: HTML not escaped, no newline.
	if resp, ok := out.(events.APIGatewayV2HTTPResponse); ok {
		return appendHTTPAnswer(make([]byte, 0, len(resp.Body)+256), &resp), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// event is every trigger's event at once: an SQS batch has Records, an HTTP
// API request its requestContext.http, a schedule its own input.
type event struct {
	events.APIGatewayV2HTTPRequest
	Records []events.SQSMessage `json:"Records"`
}

// streamSource marks a DynamoDB stream batch as Lambda (and the local
// stack) serialise it, compactly.
var streamSource = []byte(`"eventSource":"aws:dynamodb"`)

// Invoke dispatches one raw event to the matching handler.
// An HTTP API request is converted to net/http and back as
// aws-lambda-go-api-proxy's httpadapter does (see proxy).
func (f Function) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	if f.Stream != nil && bytes.Contains(raw, streamSource) {
		// A stream batch (keys only) is decoded once, straight into its
		// own shape: the fast path knows SQS and HTTP events only.
		var sev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &sev); err == nil && len(sev.Records) > 0 && sev.Records[0].EventSource == "aws:dynamodb" {
			return f.Stream(ctx, sev)
		}
	}
	var ev event
	if err := unmarshalEvent(raw, &ev); err != nil {
		return nil, fmt.Errorf("event is not JSON: %w", err)
	}
	switch {
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:sqs" && f.Queue != nil:
		return f.Queue(ctx, events.SQSEvent{Records: ev.Records})
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:dynamodb" && f.Stream != nil:
		// A stream batch not written compactly (a fixture by hand).
		var sev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &sev); err != nil {
			return nil, fmt.Errorf("stream event: %w", err)
		}
		return f.Stream(ctx, sev)
	case ev.RequestContext.HTTP.Method != "" && f.HTTP != nil:
		return proxy(ctx, f.HTTP, &ev.APIGatewayV2HTTPRequest)
	case f.Schedule != nil:
		return nil, f.Schedule(ctx, bytes.TrimSpace(raw))
	}
	return nil, errors.New("no handler for this event")
}
