package main

// The library rows' stand-in for the services besides DynamoDB
// (library.go): the library function is built as in Lambda
// (library.TransferFunction, its own SDK clients), and an http.RoundTripper sends
// its DynamoDB calls to DynamoDB Local and answers KMS (GenerateDataKey,
// Decrypt), Secrets Manager (GetSecretValue) and the transfers bucket's S3
// PUTs itself, counting them — so the rows count every call the function
// makes without a moto round trip per identity code opened.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// libKey is the stand-in KMS's one data key; its "encrypted" form is the
// key behind a prefix, so Decrypt gives it back.
var libKey = bytes.Repeat([]byte{0x42}, 32)

const libKeyPrefix = "bench-kms:"

// libStandIn routes a function's HTTP calls (see the file comment).
type libStandIn struct {
	dynamo http.RoundTripper
	mu     sync.Mutex
	calls  map[string]int // "KMS.Decrypt", "S3.PutObject", …
	bytes  int64          // bodies put to S3
}

func (s *libStandIn) count(name string, n int64) {
	s.mu.Lock()
	s.calls[name]++
	s.bytes += n
	s.mu.Unlock()
}

func (s *libStandIn) snapshot() (map[string]int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out, s.bytes
}

func (s *libStandIn) RoundTrip(r *http.Request) (*http.Response, error) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_"):
		return s.dynamo.RoundTrip(r)
	case strings.HasPrefix(target, "TrentService."):
		var in struct {
			CiphertextBlob []byte
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return libAnswer(r, 400, "application/x-amz-json-1.1", `{"__type":"ValidationException"}`), nil
		}
		op := strings.TrimPrefix(target, "TrentService.")
		s.count("KMS."+op, 0)
		switch op {
		case "GenerateDataKey":
			b, _ := json.Marshal(map[string]any{"KeyId": "bench", "Plaintext": libKey, "CiphertextBlob": append([]byte(libKeyPrefix), libKey...)})
			return libAnswer(r, 200, "application/x-amz-json-1.1", string(b)), nil
		case "Decrypt":
			b, _ := json.Marshal(map[string]any{"KeyId": "bench", "Plaintext": bytes.TrimPrefix(in.CiphertextBlob, []byte(libKeyPrefix))})
			return libAnswer(r, 200, "application/x-amz-json-1.1", string(b)), nil
		}
	case strings.HasPrefix(target, "secretsmanager."):
		s.count("SecretsManager."+strings.TrimPrefix(target, "secretsmanager."), 0)
		return libAnswer(r, 200, "application/x-amz-json-1.1", `{"Name":"bench","SecretString":"`+strings.Repeat("k", 64)+`"}`), nil
	case target == "" && r.Method == http.MethodPut:
		n, _ := io.Copy(io.Discard, r.Body)
		s.count("S3.PutObject", n)
		resp := libAnswer(r, 200, "application/xml", "")
		resp.Header.Set("ETag", `"bench"`)
		return resp, nil
	}
	s.count("unexpected "+r.Method+" "+target, 0)
	return libAnswer(r, 400, "application/x-amz-json-1.1", `{"__type":"UnknownOperationException"}`), nil
}

func libAnswer(r *http.Request, status int, contentType, body string) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", "bench")
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r, ProtoMajor: 1, ProtoMinor: 1}
}

// libKMS is the stand-in KMS for sealing the generated patrons' identity
// codes in-process (fieldcrypt.New), the same key as the RoundTripper's.
type libKMS struct{}

func (libKMS) GenerateDataKey(context.Context, *kms.GenerateDataKeyInput, ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	return &kms.GenerateDataKeyOutput{KeyId: aws.String("bench"), Plaintext: append([]byte(nil), libKey...), CiphertextBlob: append([]byte(libKeyPrefix), libKey...)}, nil
}

func (libKMS) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	return &kms.DecryptOutput{KeyId: aws.String("bench"), Plaintext: bytes.TrimPrefix(in.CiphertextBlob, []byte(libKeyPrefix))}, nil
}
