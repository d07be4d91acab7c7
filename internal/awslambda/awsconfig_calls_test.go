package awslambda

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/config"
)

type captureClient struct{ reqs []*http.Request }

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.reqs = append(c.reqs, r)
	body := `{}`
	h := http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"req-1"}}
	if strings.Contains(r.Header.Get("X-Amz-Target"), "SendMessage") {
		body = `{"MessageId":"m1","MD5OfMessageBody":"99914b932bd37a50b983c5e7c90ae93b"}` // md5 of "{}"
	}
	if strings.HasPrefix(r.URL.Path, "/v2/email") {
		body, h = `{"MessageId":"ses-1"}`, http.Header{"Content-Type": {"application/json"}}
	}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r}, nil
}

var scope = regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+/[^/]+)/aws4_request, SignedHeaders=([^,]+)`)

// signed is what must not change when the SDK's per-call work is trimmed:
// where the call goes and the scope it is signed for.
func signed(t *testing.T, r *http.Request) string {
	t.Helper()
	m := scope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("unsigned request: %q", r.Header.Get("Authorization"))
	}
	return r.Method + " " + r.URL.String() + " " + m[1]
}

func calls(t *testing.T, cfg aws.Config) []*http.Request {
	t.Helper()
	c := &captureClient{}
	cfg.HTTPClient = c
	ctx := context.Background()
	db := dynamodb.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	ses := sesv2.NewFromConfig(cfg)
	for range 2 {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.eu-north-1.amazonaws.com/123456789012/q"), MessageBody: aws.String("{}")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte("x")}}}); err != nil {
			t.Fatal(err)
		}
	}
	return c.reqs
}

// The functions' SDK config sends every call where the SDK's own would,
// signed for the same region and service, without the headers that only
// describe the client, from the second call on too (endpoints cached).
func TestAWSConfigCallsGoWhereTheSDKSends(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "")
	cfg, cache, err := awsConfig(config.Map(env))
	if err != nil {
		t.Fatal(err)
	}
	plain := aws.Config{Region: cfg.Region, Credentials: cfg.Credentials}
	got, want := calls(t, cfg), calls(t, plain)
	if len(got) != len(want) || len(got) != 6 {
		t.Fatalf("%d calls, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := signed(t, got[i]), signed(t, want[i]); g != w {
			t.Errorf("call %d: %s, want %s", i, g, w)
		}
		for _, h := range []string{"Amz-Sdk-Invocation-Id", "X-Amz-User-Agent"} {
			if v := got[i].Header.Get(h); v != "" {
				t.Errorf("call %d carries %s: %s", i, h, v)
			}
		}
		if ua := got[i].Header.Get("User-Agent"); strings.Contains(ua, "aws-sdk-go") {
			t.Errorf("call %d carries the SDK's User-Agent %q", i, ua)
		}
	}
	if n := cache.hits.Load(); n != 3 {
		t.Errorf("endpoint cache answered %d calls, want the second round's 3", n)
	}
	if h := want[0].Header.Get("Amz-Sdk-Invocation-Id"); h == "" {
		t.Errorf("the plain SDK config should add amz-sdk-invocation-id; the test no longer compares anything")
	}
}
