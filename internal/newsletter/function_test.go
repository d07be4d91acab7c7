package newsletter

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/config"
)

func functionEnv() map[string]string {
	return map[string]string{
		"PUBLIC_BASE_URL":    "http://localhost:8080",
		"REGISTER":           "museum",
		"SUBSCRIBERS_TABLE":  "rekisteri-subscribers",
		"MAIL_TABLE":         "rekisteri-mail",
		"AUDIT_TABLE":        "rekisteri-audit",
		"CAMPAIGNS_TABLE":    "rekisteri-campaigns",
		"MAIL_QUEUE_URL":     "http://127.0.0.1:9/123456789012/rekisteri-mail",
		"SIGNUPS_QUEUE_URL":  "http://127.0.0.1:9/123456789012/rekisteri-signups",
		"TOKEN_KEY_SECRET":   "rekisteri/token-key",
		"SUBJECT_KEY_SECRET": "rekisteri/subject-key",
	}
}

// probedConfig is an SDK config that can reach nothing real and counts
// every call the function makes.
func probedConfig(t *testing.T) (aws.Config, *awsprobe.Recorder) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "") // dynamo.NewClient reads it
	cfg := aws.Config{
		Region: "eu-north-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "not-a-secret", Source: "test"}, nil
		}),
		BaseEndpoint: aws.String("http://127.0.0.1:9"),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	rec := awsprobe.NewRecorder()
	rec.Attach(&cfg)
	return cfg, rec
}

func loadEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestFunctionHTTPWithoutAWS(t *testing.T) {
	tests := []struct {
		fixture    string
		wantStatus int
		check      func(t *testing.T, resp events.APIGatewayV2HTTPResponse)
	}{
		{"http-subscribe-invalid.json", 400, func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
			var body struct {
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			want := map[string]string{"email": texts["en"]["err.email"], "consent": texts["en"]["err.consent"]}
			if len(body.Errors) != len(want) {
				t.Errorf("errors = %v, want email and consent", body.Errors)
			}
			for k, v := range want {
				if body.Errors[k] != v {
					t.Errorf("errors[%s] = %q, want %q", k, body.Errors[k], v)
				}
			}
		}},
		{"http-subscribe-honeypot.json", 202, func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
			if !strings.Contains(resp.Body, html.EscapeString(texts["fi"]["pending.title"])) {
				t.Errorf("not the Finnish pending page:\n%s", resp.Body)
			}
		}},
		{"http-form-get.json", 200, func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
			for _, want := range []string{`<html lang="sv">`, `name="website"`, `action="/newsletter/subscribe?lang=`} {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("form page lacks %q", want)
				}
			}
			if c := consentInput.FindString(resp.Body); c == "" || strings.Contains(c, "checked") {
				t.Errorf("consent checkbox %q", c)
			}
			if !strings.Contains(resp.Body, "http://localhost:8080/privacy?") {
				t.Errorf("privacy link does not use PUBLIC_BASE_URL")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			cfg, rec := probedConfig(t)
			fn, err := Function(context.Background(), config.Map(functionEnv()), cfg)
			if err != nil {
				t.Fatalf("Function: %v", err)
			}
			if fn.HTTP == nil || fn.Queue == nil {
				t.Fatal("the newsletter function serves HTTP and the signups queue")
			}
			out, err := fn.Invoke(context.Background(), loadEvent(t, tc.fixture))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			resp, ok := out.(events.APIGatewayV2HTTPResponse)
			if !ok {
				t.Fatalf("result is %T", out)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			tc.check(t, resp)
			if c := rec.Snapshot(); c.Total() != 0 {
				t.Fatalf("AWS was called: %s", c)
			}
		})
	}
}

// A valid signup needs the keys; with AWS unreachable the visitor is told
// to try again (503), never that the signup is pending.
func TestFunctionSubscribeAWSUnreachable(t *testing.T) {
	cfg, rec := probedConfig(t)
	fn, err := Function(context.Background(), config.Map(functionEnv()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.Invoke(context.Background(), loadEvent(t, "http-subscribe-json.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.APIGatewayV2HTTPResponse)
	if resp.StatusCode != 503 {
		t.Fatalf("status = %d, want 503; body %s", resp.StatusCode, resp.Body)
	}
	for _, banned := range []string{"127.0.0.1", "visitor@example.com", "SecretsManager", "rekisteri/token-key"} {
		if strings.Contains(resp.Body, banned) {
			t.Errorf("the answer shows %q: %s", banned, resp.Body)
		}
	}
	c := rec.Snapshot()
	if c.Calls["Secrets Manager.GetSecretValue"] != 1 || c.Total() != 1 {
		t.Fatalf("calls = %s, want one failed secret read and nothing after it", c)
	}
}

func TestFunctionSignupsQueueReportsFailure(t *testing.T) {
	cfg, rec := probedConfig(t)
	fn, err := Function(context.Background(), config.Map(functionEnv()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.Invoke(context.Background(), loadEvent(t, "sqs-signups.json"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("result is %T", out)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "2e1424d4-f796-459a-8184-9c92662be6da" {
		t.Fatalf("failures = %+v, want the one message", resp.BatchItemFailures)
	}
	// One failed read of the signup request, and nothing after it.
	c := rec.Snapshot()
	if c.Total() != 1 {
		t.Fatalf("calls = %s, want one DynamoDB read of the signup request", c)
	}
	for op := range c.Calls {
		if !strings.HasPrefix(op, "DynamoDB.") {
			t.Fatalf("calls = %s, want only DynamoDB", c)
		}
	}
}

// envNames are the variables Config declares; optional ones only when asked.
func envNames(withOptional bool) []string {
	var names []string
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		if tag, ok := typ.Field(i).Tag.Lookup("env"); ok {
			name, opt, _ := strings.Cut(tag, ",")
			if opt != "optional" || withOptional {
				names = append(names, name)
			}
		}
	}
	return names
}

func TestFunctionConfig(t *testing.T) {
	env := functionEnv()
	for _, name := range envNames(true) {
		if _, ok := env[name]; !ok {
			t.Errorf("functionEnv lacks %s, which Config declares", name)
		}
	}
	for _, name := range envNames(false) {
		t.Run("without "+name, func(t *testing.T) {
			env := functionEnv()
			delete(env, name)
			cfg, rec := probedConfig(t)
			_, err := Function(context.Background(), config.Map(env), cfg)
			if err == nil {
				t.Fatal("Function started")
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q does not name %s", err, name)
			}
			if rec.Snapshot().Total() != 0 {
				t.Fatal("a failed start called AWS")
			}
		})
	}
	t.Run("all missing at once", func(t *testing.T) {
		cfg, _ := probedConfig(t)
		_, err := Function(context.Background(), config.Map(map[string]string{}), cfg)
		if err == nil {
			t.Fatal("Function started")
		}
		for _, name := range envNames(false) {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
	})
	t.Run("relative PUBLIC_BASE_URL", func(t *testing.T) {
		env := functionEnv()
		env["PUBLIC_BASE_URL"] = "localhost:8080"
		cfg, _ := probedConfig(t)
		if _, err := Function(context.Background(), config.Map(env), cfg); err == nil || !strings.Contains(err.Error(), "PUBLIC_BASE_URL") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a register nobody declared", func(t *testing.T) {
		env := functionEnv()
		env["REGISTER"] = "nowhere"
		cfg, _ := probedConfig(t)
		if _, err := Function(context.Background(), config.Map(env), cfg); err == nil || !strings.Contains(err.Error(), "nowhere") {
			t.Fatalf("err = %v", err)
		}
	})
}
