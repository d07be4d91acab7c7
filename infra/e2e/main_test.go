// Package e2e drives the whole system through its real entry points: HTTP
// through the API Gateway-style router into the Lambda handlers, queues
// polled into the same handlers, mail read back from SES (moto), records
// read back from DynamoDB Local.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
)

var (
	stack  *local.Stack
	server *httptest.Server
	faults = awsprobe.NewFaults(1)

	captureMu sync.Mutex
	logs      bytes.Buffer
	bodies    []string
	answers   []string // every HTTP answer body of the suite
	personal  []string // test data that must never reach a log line or queue body
)

// capture is where every log line of the suite goes, as it would to CloudWatch.
type capture struct{}

func (capture) Write(p []byte) (int, error) {
	captureMu.Lock()
	defer captureMu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return logs.Write(p)
}

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(capture{}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	root, _ := filepath.Abs("../..")
	server = httptest.NewUnstartedServer(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	stack, err = local.Start(ctx, local.Options{
		RepoRoot:          root,
		Prefix:            suitePrefix("e2e" + randomHex(3)),
		PublicBaseURL:     "http://" + server.Listener.Addr().String(),
		DynamoDBURL:       os.Getenv("REKISTERI_TEST_DYNAMODB"),
		MotoURL:           os.Getenv("REKISTERI_TEST_MOTO"),
		LogDir:            filepath.Join(root, ".local", "test-logs"),
		VisibilityTimeout: 1,
		// The suite sends faster than any visitor; TestTemplateThrottle shows
		// the template's own limit answering 429.
		Throttle:  local.Throttle{Rate: 1e6, Burst: 1e6},
		Configure: faults.Attach,
		OnMessage: func(queue, body string) {
			if queue == sesEventsQueue {
				return // SES's own format names the recipient: the one queue that does
			}
			captureMu.Lock()
			bodies = append(bodies, body)
			captureMu.Unlock()
		},
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: local stack:", err)
		os.Exit(1)
	}
	server.Config.Handler = stack.Handler()
	server.Start()
	code := m.Run()
	server.Close()
	stack.Stop()
	os.Exit(code)
}

// at is xs[i] (i < 0 counts from the end), and a clear failure instead of a
// panic when there is no such element: no test indexes what it has not checked.
func at[T any](t *testing.T, xs []T, i int) T {
	t.Helper()
	j := i
	if i < 0 {
		j = len(xs) + i
	}
	if j < 0 || j >= len(xs) {
		t.Fatalf("want element %d of %d", i, len(xs))
	}
	return xs[j]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newAddress is a fresh test address, remembered as personal data.
func newAddress(t *testing.T) string {
	addr := fmt.Sprintf("%s.%s@example.com", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), randomHex(4))
	remember(addr)
	return addr
}

func remember(values ...string) {
	captureMu.Lock()
	personal = append(personal, values...)
	captureMu.Unlock()
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

// post sends a form (or JSON when body is a string starting with "{").
func post(t *testing.T, path string, body any, header ...string) response {
	t.Helper()
	var r io.Reader
	ct := "application/x-www-form-urlencoded"
	switch b := body.(type) {
	case url.Values:
		r = strings.NewReader(b.Encode())
	case string:
		r = strings.NewReader(b)
		if strings.HasPrefix(b, "{") {
			ct = "application/json"
		}
	}
	req, _ := http.NewRequest(http.MethodPost, server.URL+path, r)
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func get(t *testing.T, rawURL string, header ...string) response {
	t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = server.URL + rawURL
	}
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	captureMu.Lock()
	answers = append(answers, string(b))
	captureMu.Unlock()
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func drain(t *testing.T) {
	t.Helper()
	if err := stack.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// mailsTo returns the mail sent to addr, oldest first.
func mailsTo(t *testing.T, addr string) []local.SentMail {
	t.Helper()
	all, err := stack.SentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []local.SentMail
	for _, m := range all {
		if strings.EqualFold(m.Parsed.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// linkIn returns the first link in m whose path is path.
func linkIn(t *testing.T, m local.SentMail, path string) string {
	t.Helper()
	for _, l := range m.Links() {
		if u, err := url.Parse(l); err == nil && u.Path == path {
			return l
		}
	}
	t.Fatalf("no %s link in mail %q", path, m.Parsed.Subject)
	return ""
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}
