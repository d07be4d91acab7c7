// Package s3exports keeps access copies in the exports bucket: encrypted
// with the bucket's KMS key, fetched only through short-lived presigned
// links, deleted by the bucket's lifecycle rule or by an erasure.
package s3exports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewClient is an S3 client on cfg; against an emulator (a custom endpoint)
// it addresses buckets by path.
func NewClient(cfg aws.Config) *s3.Client {
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom })
}

// Bucket is the exports bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
}

// New is bucket name through client.
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{client: client, presign: s3.NewPresignClient(client), name: name}
}

// Put stores body at key, encrypted with the bucket's KMS key. The request
// names no encryption: the bucket's default (SSE-KMS with the template's
// DataKey, bucket key on) applies. An explicit aws:kms without a key id
// would make S3 use its AWS-managed aws/s3 key instead, one the template
// does not control (moto does not tell the two apart).
func (b *Bucket) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.name), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), ContentDisposition: aws.String("attachment"),
	})
	if err != nil {
		return fmt.Errorf("export put: %w", err)
	}
	return nil
}

// Link is a presigned GET of key valid for ttl.
func (b *Bucket) Link(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("export link: %w", err)
	}
	return req.URL, nil
}

// Delete removes keys (absent ones are no error).
func (b *Bucket) Delete(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(k)}); err != nil {
			return fmt.Errorf("export delete: %w", err)
		}
	}
	return nil
}
