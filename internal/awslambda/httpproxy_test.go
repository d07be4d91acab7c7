package awslambda

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// seen is everything a handler can read of a request (but the context,
// where the adapter also puts its own copy of the event for accessors this
// code does not call).
type seen struct {
	Method, URL, Host, RequestURI, RemoteAddr, Proto string
	Path, RawPath, RawQuery                          string
	Header                                           http.Header
	Body                                             string
	ContentLength                                    int64
	HasGetBody                                       bool
}

// echo records the request and answers as told by the request's X-Answer
// header (a few shapes of answer a handler gives).
func echo(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*got = seen{r.Method, r.URL.String(), r.Host, r.RequestURI, r.RemoteAddr, r.Proto,
			r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), string(body), r.ContentLength, r.GetBody != nil}
		switch r.Header.Get("X-Answer") {
		case "nothing": // no status, no body: the adapter's error
		case "status-only":
			w.WriteHeader(http.StatusNoContent)
		case "twice": // the last WriteHeader wins in the adapter
			w.WriteHeader(http.StatusCreated)
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, "conflict")
		case "binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte{0xff, 0xfe, 0, 1, 2})
		case "sniffed": // no Content-Type: sniffed from the first write
			_, _ = io.WriteString(w, "<!DOCTYPE html><p>hei</p>")
			_, _ = io.WriteString(w, "more")
		case "cookies":
			w.Header().Add("Set-Cookie", "a=1; Path=/; HttpOnly")
			w.Header().Add("Set-Cookie", "b=2; Secure")
			w.Header()["set-cookie"] = []string{"c=3"}
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept-Language")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusSeeOther)
		case "notify":
			//lint:ignore SA1019 the adapter's writer is one; so is proxy's
			cn := w.(http.CloseNotifier)
			ch := cn.CloseNotify()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"ok":true}`)
			go func() { <-ch }()
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusAccepted)
			_, _ = fmt.Fprintf(w, `{"ok":true,"ä":"ö","t":"%s"}`, "<&>")
		}
	})
}

type outcome struct {
	Seen   seen
	Answer string
	Err    string
}

func viaAdapter(t testing.TB, ev events.APIGatewayV2HTTPRequest) outcome {
	var o outcome
	resp, err := httpadapter.NewV2(echo(&o.Seen)).ProxyWithContext(context.Background(), ev)
	return finish(t, o, resp, err)
}

func viaProxy(t testing.TB, ev events.APIGatewayV2HTTPRequest) outcome {
	var o outcome
	resp, err := proxy(context.Background(), echo(&o.Seen), &ev)
	return finish(t, o, resp, err)
}

func finish(t testing.TB, o outcome, resp events.APIGatewayV2HTTPResponse, err error) outcome {
	t.Helper()
	if err != nil {
		o.Err = err.Error()
	}
	raw, jerr := json.Marshal(resp)
	if jerr != nil {
		t.Fatal(jerr)
	}
	// Header order in the answer is a map's; compare the cookies as a set
	// (the adapter's order among several Set-Cookie spellings is a map's).
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if c, ok := m["cookies"].([]any); ok {
		sort.Slice(c, func(i, j int) bool { return fmt.Sprint(c[i]) < fmt.Sprint(c[j]) })
	}
	canon, _ := json.Marshal(m)
	o.Answer = string(canon)
	return o
}

func baseEvent() events.APIGatewayV2HTTPRequest {
	var ev events.APIGatewayV2HTTPRequest
	raw, err := os.ReadFile("../../events/http-subscribe-json.json")
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		panic(err)
	}
	return ev
}

func proxyCases(t *testing.T) map[string]events.APIGatewayV2HTTPRequest {
	cases := map[string]events.APIGatewayV2HTTPRequest{}
	for _, name := range []string{"http-subscribe-json.json", "http-subscribe-honeypot.json", "http-subscribe-invalid.json", "http-form-get.json"} {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(fixture(t, name), &ev); err != nil {
			t.Fatal(err)
		}
		cases[name] = ev
		for _, answer := range []string{"nothing", "status-only", "twice", "binary", "sniffed", "cookies", "notify"} {
			ev := ev
			ev.Headers = clone(ev.Headers)
			ev.Headers["x-answer"] = answer
			cases[name+" answer "+answer] = ev
		}
	}
	with := func(name string, change func(ev *events.APIGatewayV2HTTPRequest)) {
		ev := baseEvent()
		ev.Headers = clone(ev.Headers)
		change(&ev)
		cases[name] = ev
	}
	with("multi-value headers", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Headers["accept"] = "text/html, application/json ,  */*;q=0.8"
		ev.Headers["x-forwarded-for"] = "203.0.113.7, 198.51.100.2"
		ev.Headers["x-empty"] = ""
		ev.Headers["x-commas"] = ",,a,"
		ev.Headers["x-odd name"] = "v"
		ev.Headers["X-Mixed-Case"] = "m"
	})
	with("singletons keep their commas", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Headers["user-agent"] = "Mozilla/5.0 (X11, Linux)"
		ev.Headers["content-type"] = "multipart/form-data; boundary=a,b"
		ev.Headers["authorization"] = "Bearer a, b"
		ev.Headers["referer"] = "https://example.org/a,b"
		ev.Headers["if-modified-since"] = "Wed, 21 Oct 2015 07:28:00 GMT"
	})
	with("cookies", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Cookies = []string{"session=abc", "lang=fi", "x=a,b"}
	})
	with("cookies and a cookie header", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Cookies = []string{"a=1"}
		ev.Headers["cookie"] = "b=2, c=3"
	})
	with("base64 body", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.IsBase64Encoded, ev.Body = true, "ZW1haWw9dmlzaXRvciU0MGV4YW1wbGUuY29tJndlYnNpdGU9"
	})
	with("bad base64 body", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.IsBase64Encoded, ev.Body = true, "not base64!"
	})
	with("binary body", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.IsBase64Encoded, ev.Body = true, "//4AAQI="
	})
	with("query string", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RawQueryString = "lang=sv&x=%20y&z=a+b&q=%E4"
		ev.QueryStringParameters = map[string]string{"lang": "sv", "x": " y"}
	})
	with("query parameters without a raw string", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.QueryStringParameters = map[string]string{"lang": "sv", "b": "a&b=c", "a": "ä ö"}
	})
	with("no raw path", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RawPath = ""
		ev.RequestContext.HTTP.Path = "/newsletter/subscribe"
	})
	with("path without slash", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RawPath = "newsletter/subscribe"
	})
	with("escaped path", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RawPath = "/a%2Fb/c%20d/ä"
	})
	with("bad path", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RawPath = "/%zz"
	})
	with("lower-case method", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.HTTP.Method = "delete"
	})
	with("bad method", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.HTTP.Method = "GE T"
	})
	with("no headers", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Headers = nil
	})
	with("no domain", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.DomainName = ""
	})
	return cases
}

func quiet(t testing.TB) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout, logOut := os.Stdout, log.Writer()
	os.Stdout = null
	log.SetOutput(null)
	t.Cleanup(func() {
		os.Stdout = stdout
		log.SetOutput(logOut)
		null.Close()
	})
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestProxyMatchesHTTPAdapter holds proxy to the library it replaces: for
// every fixture and every shape of request and answer, the handler sees the
// same request and the runtime gets the same answer (or the same error).
func TestProxyMatchesHTTPAdapter(t *testing.T) {
	for _, custom := range []string{"", "http://127.0.0.1:8080"} {
		if custom != "" {
			t.Setenv(customHostVariable, custom)
		}
		for name, ev := range proxyCases(t) {
			t.Run(name+" "+custom, func(t *testing.T) {
				want, got := viaAdapter(t, ev), viaProxy(t, ev)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("proxy:\n %+v\nhttpadapter:\n %+v", got, want)
				}
			})
		}
	}
}

// TestProxyHeaders pins what the comparison relies on.
func TestProxyHeaders(t *testing.T) {
	ev := baseEvent()
	ev.Headers = map[string]string{"accept": "a, b", "user-agent": "x, y", "x-forwarded-for": "1.2.3.4"}
	ev.Cookies = []string{"a=1", "b=2"}
	o := viaProxy(t, ev)
	want := http.Header{"Accept": {"a", "b"}, "User-Agent": {"x, y"}, "X-Forwarded-For": {"1.2.3.4"}, "Cookie": {"a=1", "b=2"}}
	if !reflect.DeepEqual(o.Seen.Header, want) {
		t.Errorf("header %v, want %v", o.Seen.Header, want)
	}
	if !strings.Contains(o.Answer, `"statusCode":202`) || !strings.Contains(o.Answer, `"cookies":[]`) {
		t.Errorf("answer %s", o.Answer)
	}
}

// FuzzProxyMatchesHTTPAdapter compares the two over arbitrary header
// values, cookies, bodies, paths and queries.
func FuzzProxyMatchesHTTPAdapter(f *testing.F) {
	f.Add("text/html, */*", "a=1", "body", false, "/newsletter/subscribe", "lang=fi", "x, y")
	f.Add("", "", "ZW1haWw9", true, "", "", "")
	f.Add(",", "x=a,b", "\xff\xfe", false, "a/b", "%zz", " , ")
	// The adapter prints what it cannot convert; under the fuzzer, nothing
	// reads a worker's output.
	quiet(f)
	f.Fuzz(func(t *testing.T, accept, cookie, body string, b64 bool, path, query, ua string) {
		ev := baseEvent()
		ev.Headers = map[string]string{"accept": accept, "user-agent": ua, "x-custom": accept + ua}
		if cookie != "" {
			ev.Cookies = strings.Split(cookie, ";")
		}
		ev.Body, ev.IsBase64Encoded, ev.RawPath, ev.RawQueryString = body, b64, path, query
		if query == "" && path != "" {
			ev.QueryStringParameters = map[string]string{"p": path, "c": cookie}
		}
		want, got := viaAdapter(t, ev), viaProxy(t, ev)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("proxy:\n %+v\nhttpadapter:\n %+v", got, want)
		}
	})
}

// The conversion alone, both ways, with a handler that answers as the
// functions do: go test -bench Convert ./internal/awslambda/
func BenchmarkConvertProxy(b *testing.B) {
	ev, h := benchEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proxy(context.Background(), h, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertHTTPAdapter(b *testing.B) {
	ev, h := benchEvent(b)
	a := httpadapter.NewV2(h)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.ProxyWithContext(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEvent(b *testing.B) (events.APIGatewayV2HTTPRequest, http.Handler) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(fixture(&testing.T{}, "http-subscribe-json.json"), &ev); err != nil {
		b.Fatal(err)
	}
	return ev, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"pending"}`)
	})
}
