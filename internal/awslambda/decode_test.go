package awslambda

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func eventFixtures(t testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures in events/")
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	// As the local stack and the bench marshal them: every field present.
	for _, v := range []any{
		events.APIGatewayV2HTTPRequest{Version: "2.0", Headers: map[string]string{"a": "b"}, RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}}, Body: `{"x":"ä"}`},
		events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", EventSource: "aws:sqs", Attributes: map[string]string{"k": "v"}, MessageAttributes: map[string]events.SQSMessageAttribute{}}}},
	} {
		raw, _ := json.Marshal(v)
		var ev event
		if !decodeEvent(raw, &ev) {
			t.Fatalf("fast path declined %s", raw)
		}
		out = append(out, raw)
	}
	return append(out,
		[]byte(`{"Records":[{"messageId":"1","body":"{\"op\":\"send\",\"id\":\"x\"}","attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"eventSource":"aws:sqs"}]}`),
		[]byte(`{"Records":[],"headers":null,"cookies":[],"body":"tab\tand\\n \"q\" \/ é ä","requestContext":{"timeEpoch":-12,"http":null,"authorizer":null}}`),
		[]byte(`{"requestContext":{"authentication":{"clientCert":{"clientCertPem":"","issuerDN":"","serialNumber":"","subjectDN":"","validity":{"notAfter":"","notBefore":""}}}}}`),
		[]byte(`{"body":"\u00e4"}`), []byte(`{"Body":"x"}`), []byte(`{"requestContext":{"timeEpoch":1.5}}`), []byte(`{"run":"relay"}`),
		[]byte(`{"headers":{"a":"1"},"headers":{"b":"2"}}`), []byte(`{"rawPath":"\xff"}`), []byte(`{"version":"2.0"} x`), []byte(`[]`), []byte(`{"timeEpoch":01}`),
		[]byte(`{"requestContext":{"timeEpoch":012}}`), []byte(`{"Records":[null]}`), []byte(` { "version" : "2.0" , "isBase64Encoded" : true } `),
	)
}

// The fast path decodes exactly what json.Unmarshal does, or declines.
func TestDecodeEventAsEncodingJSON(t *testing.T) {
	fast := 0
	for _, raw := range eventFixtures(t) {
		checkDecode(t, raw)
		var ev event
		if decodeEvent(raw, &ev) {
			fast++
		}
	}
	if fast < 8 {
		t.Errorf("the fast path took only %d events; the fixtures should all go by it", fast)
	}
}

func checkDecode(t *testing.T, raw []byte) {
	t.Helper()
	var got, want event
	if !decodeEvent(raw, &got) {
		return
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, raw)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path decoded\n%+v\nencoding/json\n%+v\nfrom %s", got, want, raw)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, raw := range eventFixtures(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkDecode(t, raw) })
}

// Entry answers the bytes the runtime's reflection handler would for the
// same function (the Lambda main used it before Entry).
func TestEntryAnswersAsTheRuntimeHandler(t *testing.T) {
	for _, name := range []string{"http-subscribe-json.json", "http-form-get.json", "sqs-mail.json", "schedule-relay.json"} {
		s := &stubs{}
		fn := s.function()
		fn.HTTP = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<p>Tom & Jerry</p>\n")
		})
		raw := fixture(t, name)
		got, err := fn.Entry().Invoke(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		want, err := lambda.NewHandler(fn.Invoke).Invoke(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: Entry answered\n%s\nthe runtime handler\n%s", name, got, want)
		}
	}
}
