package awslambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// The conversion between an HTTP API (payload 2.0) event and net/http, as
// aws-lambda-go-api-proxy's httpadapter.NewV2(h).ProxyWithContext does it,
// request and answer alike (TestProxyMatchesHTTPAdapter holds the two
// together), without its per-request copies: the adapter splits the headers
// into two new maps, canonicalises each name twice, copies the whole request
// context into the request's context (for accessors this code does not
// call) and builds the answer through a general writer; about a twentieth
// of a signup's CPU.

// customHostVariable is the adapter's GO_API_HOST: when set, the server
// address requests are made against instead of https://<domain name>.
const customHostVariable = "GO_API_HOST"

// singletonHeaders take one value that may hold commas (RFC 7230); every
// other header's value is split at its commas, as the adapter does.
var singletonHeaders = map[string]bool{
	"Content-Type":        true,
	"Content-Disposition": true,
	"Content-Length":      true,
	"User-Agent":          true,
	"Referer":             true,
	"Host":                true,
	"Authorization":       true,
	"Proxy-Authorization": true,
	"If-Modified-Since":   true,
	"If-Unmodified-Since": true,
	"From":                true,
	"Location":            true,
	"Max-Forwards":        true,
}

// canonicalNames holds the canonical form of the header names an HTTP API
// sends (in lower case), so that the usual ones cost no allocation.
var canonicalNames = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"accept", "accept-encoding", "accept-language", "authorization", "cache-control", "content-length",
		"content-type", "cookie", "host", "origin", "pragma", "referer", "user-agent", "x-amzn-trace-id",
		"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "sec-fetch-dest", "sec-fetch-mode",
		"sec-fetch-site", "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
		"upgrade-insecure-requests", "priority", "dnt", "te", "if-modified-since", "if-none-match",
	} {
		m[k] = textproto.CanonicalMIMEHeaderKey(k)
	}
	return m
}()

func canonicalName(k string) string {
	if c, ok := canonicalNames[k]; ok {
		return c
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

// proxy answers one HTTP API event with h.
func proxy(ctx context.Context, h http.Handler, ev *events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	req, err := eventRequest(ctx, ev)
	if err != nil {
		//lint:ignore ST1005 the adapter's message
		return gatewayTimeout(), fmt.Errorf("Could not convert proxy event to request: %v", err)
	}
	w := newResponseWriter()
	h.ServeHTTP(w, req)
	resp, err := w.response()
	if err != nil {
		//lint:ignore ST1005 the adapter's message
		return gatewayTimeout(), fmt.Errorf("Error while generating proxy response: %v", err)
	}
	return resp, nil
}

func gatewayTimeout() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusGatewayTimeout}
}

// eventRequest is the request ev stands for, with ctx as its context.
func eventRequest(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	server := "https://" + ev.RequestContext.DomainName
	if custom, ok := os.LookupEnv(customHostVariable); ok {
		server = custom
	}
	var u strings.Builder
	u.Grow(len(server) + 1 + len(path) + 1 + len(ev.RawQueryString))
	u.WriteString(server)
	if !strings.HasPrefix(path, "/") {
		u.WriteByte('/')
	}
	u.WriteString(path)
	if ev.RawQueryString != "" {
		u.WriteByte('?')
		u.WriteString(ev.RawQueryString)
	} else if len(ev.QueryStringParameters) > 0 {
		values := make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			values.Add(k, v)
		}
		u.WriteByte('?')
		u.WriteString(values.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(ev.RequestContext.HTTP.Method), u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	req.Header = eventHeader(ev)
	req.RequestURI = req.URL.RequestURI()
	return req, nil
}

// eventHeader is the request header of ev: its cookies first, as Cookie
// values, then each header, split at its commas unless it is a singleton.
// The values share one backing array.
func eventHeader(ev *events.APIGatewayV2HTTPRequest) http.Header {
	n := len(ev.Cookies)
	for _, v := range ev.Headers {
		n += 1 + strings.Count(v, ",")
	}
	vals := make([]string, 0, n)
	h := make(http.Header, len(ev.Headers)+1)
	add := func(k string, vs []string) {
		if old, ok := h[k]; ok {
			h[k] = append(old[:len(old):len(old)], vs...)
		} else {
			h[k] = vs
		}
	}
	if len(ev.Cookies) > 0 {
		start := len(vals)
		vals = append(vals, ev.Cookies...)
		add("Cookie", vals[start:len(vals):len(vals)])
	}
	for k, v := range ev.Headers {
		k = canonicalName(k)
		start := len(vals)
		if singletonHeaders[k] {
			vals = append(vals, v)
		} else {
			for {
				i := strings.IndexByte(v, ',')
				if i < 0 {
					vals = append(vals, strings.Trim(v, " "))
					break
				}
				vals = append(vals, strings.Trim(v[:i], " "))
				v = v[i+1:]
			}
		}
		add(k, vals[start:len(vals):len(vals)])
	}
	return h
}

const statusUnset = -1

// responseWriter collects the answer as the adapter's ProxyResponseWriterV2
// does: the last WriteHeader wins, the first Write without one sets 200, and
// a Write without a Content-Type sets the sniffed one.
type responseWriter struct {
	header    http.Header
	body      bytes.Buffer
	status    int
	observers []chan<- bool
}

func newResponseWriter() *responseWriter {
	return &responseWriter{header: make(http.Header, 4), status: statusUnset}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) { w.status = status }

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == statusUnset {
		w.status = http.StatusOK
	}
	if w.header.Get("Content-Type") == "" {
		w.header.Add("Content-Type", http.DetectContentType(b))
	}
	return w.body.Write(b)
}

// CloseNotify is the adapter writer's http.CloseNotifier: each channel gets
// true once the handler has returned.
func (w *responseWriter) CloseNotify() <-chan bool {
	ch := make(chan bool, 1)
	w.observers = append(w.observers, ch)
	return ch
}

func (w *responseWriter) response() (events.APIGatewayV2HTTPResponse, error) {
	for _, ch := range w.observers {
		ch <- true
	}
	if w.status == statusUnset {
		//lint:ignore ST1005 the adapter's message
		return events.APIGatewayV2HTTPResponse{}, errors.New("Status code not set on response")
	}
	resp := events.APIGatewayV2HTTPResponse{StatusCode: w.status, Headers: make(map[string]string, len(w.header)), Cookies: []string{}}
	b := w.body.Bytes()
	if utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	for k, vs := range w.header {
		if strings.EqualFold("set-cookie", k) {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		if len(vs) == 1 {
			resp.Headers[k] = vs[0]
		} else {
			resp.Headers[k] = strings.Join(vs, ",")
		}
	}
	return resp, nil
}
