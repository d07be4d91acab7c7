// Package s3exports keeps access copies in the exports bucket: encrypted
// with the bucket's KMS key, fetched only through short-lived presigned
// links, deleted by the bucket's lifecycle rule or by an erasure.
//
// It speaks S3's REST API itself, signed by the SDK's SigV4 signer with the
// function's own credentials, instead of linking the S3 service client: the
// three operations it needs are three HTTP requests, and the client costs
// 1.0 MiB of the requests function's zip (5.6 MiB with it, over Lambda's
// 5 MiB budget of this project; 4.6 without). make bench measures the zip.
package s3exports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Bucket is the exports bucket.
type Bucket struct {
	name, region string
	// endpoint is set against an emulator (AWS_ENDPOINT_URL_S3 or
	// AWS_ENDPOINT_URL): buckets are then addressed by path.
	endpoint string
	creds    aws.CredentialsProvider
	client   interface {
		Do(*http.Request) (*http.Response, error)
	}
	signer *v4.Signer
	now    func() time.Time
	sleep  func(time.Duration)
}

// New is bucket name in cfg's region, with cfg's credentials and HTTP client.
func New(cfg aws.Config, name string) *Bucket {
	b := &Bucket{
		name: name, region: cfg.Region, creds: cfg.Credentials, client: cfg.HTTPClient,
		signer: v4.NewSigner(), now: time.Now, sleep: time.Sleep,
	}
	if b.client == nil {
		b.client = http.DefaultClient
	}
	for _, e := range []string{os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"), aws.ToString(cfg.BaseEndpoint)} {
		if e != "" {
			b.endpoint = strings.TrimRight(e, "/")
			break
		}
	}
	return b
}

// The operations, one type each (infra/deploycheck maps them to the IAM
// actions the policies grant).
type (
	putObject struct {
		key, contentType string
		body             []byte
	}
	getObject    struct{ key string } // presigned only
	deleteObject struct{ key string }
)

// url is where key is: virtual-hosted on AWS, by path on an emulator.
func (b *Bucket) url(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	path := "/" + strings.Join(segs, "/")
	if b.endpoint != "" {
		return b.endpoint + "/" + url.PathEscape(b.name) + path
	}
	return "https://" + b.name + ".s3." + b.region + ".amazonaws.com" + path
}

func hashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Error is a refused S3 request: the operation, HTTP status and S3's error
// code — never the response's text.
type Error struct {
	Op     string
	Status int
	Code   string
}

func (e *Error) Error() string { return fmt.Sprintf("s3 %s: %d %s", e.Op, e.Status, e.Code) }

// retryable: throttling, S3's own failures and the network.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status == http.StatusTooManyRequests || e.Status >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// send signs and sends one request, retried three times with backoff on
// what may pass; ok lists the statuses that mean done.
func (b *Bucket) send(ctx context.Context, op, method, key string, body []byte, header http.Header, ok ...int) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			b.sleep(time.Duration(50<<attempt) * time.Millisecond)
		}
		if err = b.once(ctx, op, method, key, body, header, ok); !retryable(err) {
			return err
		}
	}
	return err
}

func (b *Bucket) once(ctx context.Context, op, method, key string, body []byte, header http.Header, ok []int) error {
	req, err := http.NewRequestWithContext(ctx, method, b.url(key), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("s3 %s: %w", op, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	hash := hashOf(body)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.ContentLength = int64(len(body))
	creds, err := b.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("s3 %s: credentials: %w", op, err)
	}
	if err := b.signer.SignHTTP(ctx, creds, req, hash, "s3", b.region, b.now()); err != nil {
		return fmt.Errorf("s3 %s: sign: %w", op, err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("s3 %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	for _, s := range ok {
		if resp.StatusCode == s {
			return nil
		}
	}
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(raw, &e)
	return &Error{Op: op, Status: resp.StatusCode, Code: e.Code}
}

// Put stores body at key. It sends no encryption header: the bucket's
// default (SSE-KMS with the stack's DataKey, bucket key on) applies.
func (b *Bucket) Put(ctx context.Context, key, contentType string, body []byte) error {
	p := putObject{key: key, contentType: contentType, body: body}
	h := http.Header{}
	h.Set("Content-Type", p.contentType)
	h.Set("Content-Disposition", "attachment")
	return b.send(ctx, "PutObject", http.MethodPut, p.key, p.body, h, http.StatusOK)
}

// Link is a presigned GET of key valid for ttl (at most 7 days; and no
// longer than the credentials that sign it).
func (b *Bucket) Link(ctx context.Context, key string, ttl time.Duration) (string, error) {
	g := getObject{key: key}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url(g.key), nil)
	if err != nil {
		return "", fmt.Errorf("s3 link: %w", err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(ttl.Seconds())))
	req.URL.RawQuery = q.Encode()
	creds, err := b.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("s3 link: credentials: %w", err)
	}
	signed, _, err := b.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", b.region, b.now())
	if err != nil {
		return "", fmt.Errorf("s3 link: %w", err)
	}
	return signed, nil
}

// Delete removes keys (absent ones are no error).
func (b *Bucket) Delete(ctx context.Context, keys []string) error {
	for _, k := range keys {
		d := deleteObject{key: k}
		if err := b.send(ctx, "DeleteObject", http.MethodDelete, d.key, nil, nil, http.StatusNoContent, http.StatusOK, http.StatusNotFound); err != nil {
			return err
		}
	}
	return nil
}
