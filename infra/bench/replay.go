package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// exchange is one AWS call as the wire saw it: which operation, and the
// service's whole response.
type exchange struct {
	Key    string      // X-Amz-Target, or "METHOD /path" for REST services (SES v2)
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// callKey names the operation of a request; a secret read also names the
// secret, since each secret has its own answer.
func callKey(r *http.Request, body []byte) string {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return r.Method + " " + r.URL.Path
	}
	if t == "secretsmanager.GetSecretValue" {
		var in struct{ SecretId string }
		_ = json.Unmarshal(body, &in)
		return t + " " + in.SecretId
	}
	return t
}

func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// recording is an http.RoundTripper in front of the real one that keeps
// every response while it is on.
type recording struct {
	base http.RoundTripper
	mu   sync.Mutex
	on   bool
	log  []exchange
}

func (r *recording) set(on bool) {
	r.mu.Lock()
	r.on = on
	r.mu.Unlock()
}

// mark is the index the next recorded call will have.
func (r *recording) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

func (r *recording) since(i int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log[i:]...)
}

func (r *recording) all() []exchange { return r.since(0) }

func (r *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	key := callKey(req, readBody(req))
	resp, err := r.base.RoundTrip(req)
	r.mu.Lock()
	on := r.on
	r.mu.Unlock()
	if err != nil || !on {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	h := resp.Header.Clone()
	h.Del("Content-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if h.Get("X-Amz-Crc32") == "" && isDynamoDB(key) {
		// DynamoDB sends the body's CRC32 and the SDK checks it; the local
		// emulator does not always send it, so the replay adds what
		// DynamoDB would have sent.
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
	r.mu.Lock()
	r.log = append(r.log, exchange{Key: key, Status: resp.StatusCode, Header: h, Body: body})
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header = h.Clone()
	return resp, nil
}

func isDynamoDB(key string) bool { return len(key) > 9 && key[:9] == "DynamoDB_" }

// replay is the http.RoundTripper the measured functions run over: it
// answers each call with the recorded response of the same operation, in the
// recorded order, and never touches the network. Responses stay valid for
// the request: SQS's MD5 of the message body is recomputed, since a signup's
// message names a fresh id each time.
type replay struct {
	mu       sync.Mutex
	script   map[string][]exchange // the measured operation's calls, by operation
	next     map[string]int
	fallback map[string]exchange // any recorded call: the first invocation reads secrets
	strict   bool
	calls    int
	diverged []string // calls the script did not have
}

func newReplay(fallback []exchange) *replay {
	r := &replay{fallback: map[string]exchange{}}
	for _, e := range fallback {
		r.fallback[e.Key] = e
	}
	return r
}

// load sets the script of the operation about to be measured.
func (r *replay) load(calls []exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script, r.next, r.strict, r.diverged, r.calls = map[string][]exchange{}, map[string]int{}, false, nil, 0
	for _, e := range calls {
		r.script[e.Key] = append(r.script[e.Key], e)
	}
}

// enforce makes any call outside the script a divergence, from now on.
func (r *replay) enforce() {
	r.mu.Lock()
	r.strict, r.diverged, r.calls = true, nil, 0
	r.mu.Unlock()
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	// The real transport writes the signed body to the connection.
	reqBody := readBody(req)
	key := callKey(req, reqBody)
	r.mu.Lock()
	r.calls++
	var e exchange
	if s := r.script[key]; len(s) > 0 {
		i := r.next[key]
		e = s[i%len(s)]
		r.next[key] = i + 1
	} else if f, ok := r.fallback[key]; ok && !r.strict {
		e = f
	} else {
		r.diverged = append(r.diverged, key)
		r.mu.Unlock()
		return nil, fmt.Errorf("replay: no recorded response for %s", key)
	}
	r.mu.Unlock()
	body := e.Body
	if key == "AmazonSQS.SendMessage" {
		body = withMessageMD5(body, reqBody)
	}
	return &http.Response{
		Status: strconv.Itoa(e.Status) + " " + http.StatusText(e.Status), StatusCode: e.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: e.Header.Clone(), Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}, nil
}

// withMessageMD5 puts the MD5 of the request's MessageBody into a recorded
// SendMessage response, as SQS computes it. It splices bytes rather than
// re-encoding, so the replay itself costs the measured function little.
func withMessageMD5(resp, req []byte) []byte {
	var in struct{ MessageBody string }
	i := bytes.Index(resp, []byte(`"MD5OfMessageBody"`))
	if i < 0 {
		return resp
	}
	i += len(`"MD5OfMessageBody"`)
	for i < len(resp) && (resp[i] == ' ' || resp[i] == ':') {
		i++
	}
	if len(resp) < i+33 || resp[i] != '"' || json.Unmarshal(req, &in) != nil {
		return resp
	}
	i++
	sum := md5.Sum([]byte(in.MessageBody))
	out := append([]byte(nil), resp...)
	hex.Encode(out[i:i+32], sum[:])
	return out
}
