package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// asEncodingJSON is how the runtime's handler encodes an answer.
func asEncodingJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

var answerCases = []events.APIGatewayV2HTTPResponse{
	{},
	{StatusCode: 202, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"status":"pending"}`, Cookies: []string{}},
	{StatusCode: 303, Headers: map[string]string{}, Cookies: []string{"a=1; Path=/", "b=\"2\""}},
	{StatusCode: 200, Headers: map[string]string{"B": "2", "A": "1", "C": "<&>", "Ä": "ö"}, Body: "<p>hei & \"moi\"</p>\n\t\r\b\f\x00\x1f\x7f\\/ \u2028\u2029 \xff\xfe 😀", Cookies: nil},
	{StatusCode: 200, Body: "//4AAQI=", IsBase64Encoded: true, MultiValueHeaders: map[string][]string{"Vary": {"Origin", "Accept"}, "X": nil, "A": {}}},
	{StatusCode: -1, Headers: map[string]string{"\x00k\"": "\\v"}},
}

func TestHTTPAnswerAsEncodingJSON(t *testing.T) {
	for i, resp := range answerCases {
		if got, want := appendHTTPAnswer(nil, &resp), asEncodingJSON(t, resp); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// The entry point answers an HTTP request byte for byte as the runtime's
// own handler would have encoded the same response.
func TestEntryAnswersAsLambdaHandler(t *testing.T) {
	s := &stubs{}
	fn := s.function()
	raw := fixture(t, "http-subscribe-json.json")
	out, err := fn.Entry().Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	want, err := lambda.NewHandler(func(ctx context.Context, ev json.RawMessage) (any, error) { return fn.Invoke(ctx, ev) }).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("entry %s\nhandler %s", out, want)
	}
}

func FuzzHTTPAnswerAsEncodingJSON(f *testing.F) {
	f.Add(200, "Content-Type", "text/html", "<p>\u2028\xff</p>", "a=1", false)
	f.Add(-5, "", "", "", "", true)
	f.Fuzz(func(t *testing.T, status int, k, v, body, cookie string, b64 bool) {
		resp := events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{k: v, v: k}, Body: body, IsBase64Encoded: b64,
			Cookies: []string{cookie, body}, MultiValueHeaders: map[string][]string{k: {v, body}}}
		if got, want := appendHTTPAnswer(nil, &resp), asEncodingJSON(t, resp); !bytes.Equal(got, want) {
			t.Errorf("got %s\nwant %s", got, want)
		}
	})
}
