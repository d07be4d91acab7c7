// An external test package: infra/local builds every function, and the
// requests function links this package.
package s3exports_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"rekisteri/infra/local"
	"rekisteri/internal/awslambda"
	"rekisteri/internal/s3exports"
)

// motoURL is the moto_server `make test` started, or one started for this
// test when run on its own; the test never skips.
func motoURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REKISTERI_TEST_MOTO"); u != "" {
		return u
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: "../..", LogDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start emulators: %v", err)
	}
	t.Cleanup(func() { _ = em.Stop() })
	return em.MotoURL
}

// bucket is a fresh exports bucket in moto, encrypted by default with its
// own KMS key as template.yaml's ExportsBucket is; it returns the key's ARN.
func bucket(t *testing.T) (*s3exports.Bucket, *s3.Client, string, string) {
	t.Helper()
	ctx := context.Background()
	t.Setenv("AWS_ENDPOINT_URL", motoURL(t))
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "eu-north-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_SESSION_TOKEN", "")
	cfg, err := awslambda.AWSConfig(os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("exports test")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }) // the test's own view of the bucket
	name := fmt.Sprintf("exports-test-%d", time.Now().UnixNano())
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuNorth1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true),
		}}}}); err != nil {
		t.Fatal(err)
	}
	return s3exports.New(cfg, name), client, name, keyARN
}

func TestBucketAgainstMoto(t *testing.T) {
	ctx := context.Background()
	b, client, name, keyARN := bucket(t)
	cases := []struct {
		name, key, contentType, body string
	}{
		{"the readable page", "access/r0123456789ab/copy.html", "text/html; charset=utf-8", "<!DOCTYPE html>\n<html lang=\"fi\"><p>Jäljennös – åäö</p></html>\n"},
		{"the JSON file", "access/r0123456789ab/copy.json", "application/json", `{"format":"rekisteri-access-copy/1","records":[]}` + "\n"},
		{"an empty body", "access/rempty0000000/copy.json", "application/json", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.Put(ctx, tc.key, tc.contentType, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String(tc.key)})
			if err != nil {
				t.Fatal(err)
			}
			// Encrypted with the bucket's own key, not S3's AWS-managed aws/s3 key
			// (what an explicit aws:kms header without a key id would choose).
			if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != keyARN {
				t.Errorf("encryption %q with key %q, want aws:kms with the bucket's key %s", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), keyARN)
			}

			link, err := b.Link(ctx, tc.key, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("X-Amz-Expires") != "300" || q.Get("X-Amz-Signature") == "" || !strings.HasPrefix(u.Path, "/"+name+"/") {
				t.Errorf("a path-style link, signed, valid 5 minutes: %s", u.Redacted())
			}
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || string(got) != tc.body {
				t.Fatalf("fetching the link: %d, %q (%v), want %q", resp.StatusCode, got, err, tc.body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
				t.Errorf("Content-Disposition %q: the copy downloads, the browser does not render it from the bucket", cd)
			}
		})
	}

	t.Run("delete, absent keys too", func(t *testing.T) {
		keys := []string{cases[0].key, cases[1].key, "access/rnothere00000/copy.html"}
		if err := b.Delete(ctx, keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String(k)})
			var api smithy.APIError
			if !errors.As(err, &api) || (api.ErrorCode() != "NotFound" && api.ErrorCode() != "404") {
				t.Errorf("%s after delete: %v", k, err)
			}
		}
		if err := b.Delete(ctx, nil); err != nil {
			t.Errorf("deleting nothing: %v", err)
		}
	})
}

// TestPutLeavesEncryptionToTheBucket checks the request itself, which moto
// cannot: no encryption header, so the bucket's default key applies.
func TestPutLeavesEncryptionToTheBucket(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	if err := s3exports.New(testConfig(srv.URL), "exports").Put(context.Background(), "access/r0123456789ab/copy.json", "application/json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"X-Amz-Server-Side-Encryption", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"} {
		if v := got.Get(h); v != "" {
			t.Errorf("%s: %q; the bucket's default encryption must decide", h, v)
		}
	}
	if got.Get("Content-Disposition") != "attachment" || got.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v", got)
	}
}

func testConfig(endpoint string) aws.Config {
	return aws.Config{
		Region: "eu-north-1", BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		}),
	}
}

// TestRetriesWhatMayPass: S3's own failures are retried, a refusal is not,
// and the error names the operation, status and S3's code — not the text.
func TestRetriesWhatMayPass(t *testing.T) {
	for _, c := range []struct {
		name     string
		statuses []int
		calls    int
		err      string
	}{
		{"a 503, then done", []int{503, 200}, 2, ""},
		{"refused", []int{403}, 1, "s3 PutObject: 403 AccessDenied"},
		{"failing three times", []int{500, 500, 500, 200}, 3, "s3 PutObject: 500 InternalError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				st := c.statuses[min(calls, len(c.statuses)-1)]
				calls++
				if r.Header.Get("Authorization") == "" || r.Header.Get("X-Amz-Content-Sha256") == "" {
					st = 400
				}
				w.WriteHeader(st)
				if st >= 300 {
					code := map[int]string{403: "AccessDenied", 500: "InternalError", 503: "SlowDown", 400: "Unsigned"}[st]
					fmt.Fprintf(w, "<Error><Code>%s</Code><Message>secret text about access/r0123456789ab</Message></Error>", code)
				}
			}))
			defer srv.Close()
			t.Setenv("AWS_ENDPOINT_URL", "")
			t.Setenv("AWS_ENDPOINT_URL_S3", "")
			err := s3exports.New(testConfig(srv.URL), "exports").Put(context.Background(), "access/r0123456789ab/copy.json", "application/json", []byte("{}"))
			if calls != c.calls {
				t.Errorf("%d calls, want %d", calls, c.calls)
			}
			switch {
			case c.err == "" && err != nil:
				t.Errorf("want done, got %v", err)
			case c.err != "" && (err == nil || err.Error() != c.err):
				t.Errorf("want %q, got %v", c.err, err)
			}
		})
	}
}
