package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func request(method, target, contentType, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecode(t *testing.T) {
	const limit = 1 << 10
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		want        url.Values
	}{
		{
			name: "form body", method: "POST", target: "/x",
			contentType: "application/x-www-form-urlencoded",
			body:        "email=a%40b.fi&lists=newsletter&lists=openings&consent=on",
			want:        url.Values{"email": {"a@b.fi"}, "lists": {"newsletter", "openings"}, "consent": {"on"}},
		},
		{
			name: "form body with charset", method: "POST", target: "/x",
			contentType: "application/x-www-form-urlencoded; charset=UTF-8",
			body:        "name=%C3%84ij%C3%A4",
			want:        url.Values{"name": {"Äijä"}},
		},
		{
			name: "JSON strings, bools, numbers, arrays, nested objects, null", method: "POST", target: "/x",
			contentType: "application/json",
			body: `{"email":"a@b.fi","consent":true,"newsletter_consent":false,"participants":12,"rating":4.5,
				"big":12345678901234567890,"lists":["newsletter","openings"],"flags":[true,1],
				"contact":{"phone":"+358 40 123","address":{"city":"Espoo"}},"nothing":null}`,
			want: url.Values{
				"email": {"a@b.fi"}, "consent": {"true"}, "newsletter_consent": {"false"},
				"participants": {"12"}, "rating": {"4.5"}, "big": {"12345678901234567890"},
				"lists": {"newsletter", "openings"}, "flags": {"true", "1"},
				"contact.phone": {"+358 40 123"}, "contact.address.city": {"Espoo"},
			},
		},
		{
			name: "JSON with charset parameter", method: "POST", target: "/x",
			contentType: "application/json; charset=utf-8", body: `{"a":"b"}`,
			want: url.Values{"a": {"b"}},
		},
		{
			name: "POST takes only token and lang from the query, the body wins", method: "POST", target: "/x?lang=sv&email=query%40x.fi&token=q",
			contentType: "application/x-www-form-urlencoded", body: "email=body%40x.fi",
			want: url.Values{"lang": {"sv"}, "email": {"body@x.fi"}, "token": {"q"}},
		},
		{
			name: "POST with JSON takes only token and lang from the query", method: "POST", target: "/x?lang=sv&email=query%40x.fi",
			contentType: "application/json", body: `{"email":"body@x.fi"}`,
			want: url.Values{"lang": {"sv"}, "email": {"body@x.fi"}},
		},
		{
			name: "POST fields in the query only are dropped", method: "POST",
			target:      "/bookings?hetu=010594Y9032&street=Kuusitie+5&email=q%40x.fi&lang=en&token=t",
			contentType: "application/x-www-form-urlencoded", body: "first_name=Maija",
			want: url.Values{"first_name": {"Maija"}, "lang": {"en"}, "token": {"t"}},
		},
		{
			name: "POST body's lang and token beat the query's", method: "POST", target: "/x?lang=sv&token=q",
			contentType: "application/json", body: `{"lang":"en","token":"b"}`,
			want: url.Values{"lang": {"en"}, "token": {"b"}},
		},
		{
			name: "empty POST without content type keeps token and lang only", method: "POST", target: "/x?token=abc&lang=fi&hetu=010594Y9032",
			want: url.Values{"token": {"abc"}, "lang": {"fi"}},
		},
		{
			name: "PUT is a body method too", method: "PUT", target: "/x?email=q%40x.fi",
			contentType: "application/x-www-form-urlencoded", body: "a=b",
			want: url.Values{"a": {"b"}},
		},
		{
			name: "GET reads the query only, ignores any body", method: "GET", target: "/x?lang=en",
			contentType: "text/plain", body: "whatever",
			want: url.Values{"lang": {"en"}},
		},
		{
			name: "body exactly at the limit", method: "POST", target: "/x",
			contentType: "application/x-www-form-urlencoded", body: "a=" + strings.Repeat("x", limit-2),
			want: url.Values{"a": {strings.Repeat("x", limit-2)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(httptest.NewRecorder(), request(tc.method, tc.target, tc.contentType, tc.body), limit)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(f.values, tc.want) {
				t.Fatalf("values = %v\nwant     %v", f.values, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const limit = 1 << 10
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantErr     error // when set, errors.Is must hold
	}{
		{"body over limit", "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", limit), http.StatusRequestEntityTooLarge, ErrTooLarge},
		{"JSON body over limit", "application/json", `{"a":"` + strings.Repeat("x", 2*limit) + `"}`, http.StatusRequestEntityTooLarge, ErrTooLarge},
		{"text/plain", "text/plain", "email=a@b.fi", http.StatusUnsupportedMediaType, ErrUnsupportedMedia},
		{"multipart", "multipart/form-data; boundary=x", "--x--", http.StatusUnsupportedMediaType, ErrUnsupportedMedia},
		{"body without content type", "", "email=a@b.fi", http.StatusUnsupportedMediaType, ErrUnsupportedMedia},
		{"unparsable content type", "application/json; =", `{}`, http.StatusUnsupportedMediaType, ErrUnsupportedMedia},
		{"malformed JSON", "application/json", `{"email":`, http.StatusBadRequest, nil},
		{"JSON array at top level", "application/json", `["a","b"]`, http.StatusBadRequest, nil},
		{"JSON string at top level", "application/json", `"a"`, http.StatusBadRequest, nil},
		{"two JSON objects", "application/json", `{"a":"b"}{"c":"d"}`, http.StatusBadRequest, nil},
		{"object inside an array", "application/json", `{"lists":[{"id":"x"}]}`, http.StatusBadRequest, nil},
		{"array inside an array", "application/json", `{"lists":[["x"]]}`, http.StatusBadRequest, nil},
		{"malformed form", "application/x-www-form-urlencoded", "a=%zz", http.StatusBadRequest, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(httptest.NewRecorder(), request("POST", "/x", tc.contentType, tc.body), limit)
			if err == nil {
				t.Fatal("Decode accepted it")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.wantStatus {
				t.Fatalf("err = %v, want an *Error with status %d", err, tc.wantStatus)
			}
			// And Handle turns it into that status.
			rec := httptest.NewRecorder()
			Handle(func(w http.ResponseWriter, r *http.Request) error {
				_, err := Decode(w, r, limit)
				return err
			}).ServeHTTP(rec, request("POST", "/x", tc.contentType, tc.body))
			if rec.Code != tc.wantStatus {
				t.Fatalf("Handle status = %d, want %d", rec.Code, tc.wantStatus)
			}
		})
	}
}

func TestFormAll(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []string
	}{
		{"absent", nil, nil},
		{"one", []string{"newsletter"}, []string{"newsletter"}},
		{"repeated", []string{"newsletter", "openings"}, []string{"newsletter", "openings"}},
		{"comma separated", []string{"newsletter,openings"}, []string{"newsletter", "openings"}},
		{"spaces trimmed", []string{" newsletter , openings "}, []string{"newsletter", "openings"}},
		{"blanks dropped", []string{"", " ", ",", "a,,b,", " , "}, []string{"a", "b"}},
		{"mixed", []string{"a,b", "c"}, []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{}
			if tc.values != nil {
				v["lists"] = tc.values
			}
			got := NewForm(v).All("lists")
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("All = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormGetHas(t *testing.T) {
	f := NewForm(url.Values{"email": {"  a@b.fi \t", "second"}, "empty": {""}})
	if got := f.Get("email"); got != "a@b.fi" {
		t.Errorf("Get = %q, want the first value trimmed", got)
	}
	if !f.Has("empty") || f.Has("missing") {
		t.Errorf("Has: empty=%v missing=%v, want true false", f.Has("empty"), f.Has("missing"))
	}
}

func TestFormBool(t *testing.T) {
	tests := []struct {
		value     *string
		want, ok  bool
		humanName string
	}{
		{ptr("true"), true, true, "true"},
		{ptr("TRUE"), true, true, "upper case"},
		{ptr(" on "), true, true, "checkbox on, spaced"},
		{ptr("1"), true, true, "1"},
		{ptr("yes"), true, true, "yes"},
		{ptr("false"), false, true, "false"},
		{ptr("off"), false, true, "off"},
		{ptr("0"), false, true, "0"},
		{ptr("no"), false, true, "no"},
		{ptr(""), false, true, "empty"},
		{nil, false, true, "absent"},
		{ptr("maybe"), false, false, "maybe"},
		{ptr("2"), false, false, "2"},
		{ptr("truee"), false, false, "truee"},
	}
	for _, tc := range tests {
		t.Run(tc.humanName, func(t *testing.T) {
			v := url.Values{}
			if tc.value != nil {
				v.Set("consent", *tc.value)
			}
			got, ok := NewForm(v).Bool("consent")
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Bool = (%v, %v), want (%v, %v)", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestLang(t *testing.T) {
	tests := []struct {
		name, field, accept, want string
	}{
		{"default", "", "", "fi"},
		{"field sv", "sv", "", "sv"},
		{"field en", "en", "", "en"},
		{"field wins over Accept-Language", "en", "sv-FI,sv;q=0.9", "en"},
		{"field fi wins over Accept-Language", "fi", "en-GB,en;q=0.9", "fi"},
		{"unknown field falls back to Accept-Language", "de", "sv", "sv"},
		{"Accept-Language sv-FI", "", "sv-FI,sv;q=0.9", "sv"},
		{"Accept-Language en-US", "", "en-US,en;q=0.8", "en"},
		{"Accept-Language fi-FI", "", "fi-FI", "fi"},
		{"Accept-Language de gives fi", "", "de", "fi"},
		{"Accept-Language second choice honoured", "", "de, en;q=0.1", "en"},
		{"Accept-Language garbage gives fi", "", ";;;=", "fi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			v := url.Values{}
			if tc.field != "" {
				v.Set("lang", tc.field)
			}
			if got := Lang(r, NewForm(v)); got != tc.want {
				t.Fatalf("Lang = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		name, contentType, accept string
		want                      bool
	}{
		{"nothing", "", "", false},
		{"browser", "application/x-www-form-urlencoded", "text/html,application/xhtml+xml,*/*;q=0.8", false},
		{"JSON request", "application/json; charset=utf-8", "", true},
		{"asks for JSON", "application/x-www-form-urlencoded", "application/json", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request("POST", "/x", tc.contentType, "")
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			if got := WantsJSON(r); got != tc.want {
				t.Fatalf("WantsJSON = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHandle(t *testing.T) {
	const secret = "dynamodb: table arn:aws:dynamodb:eu-north-1:123456789012:table/secret-cause"
	tests := []struct {
		name       string
		err        error
		json       bool
		target     string
		wantStatus int
		// wantBody are substrings the body must contain, banned ones it must not.
		wantBody, banned []string
		wantJSON         any // when set, the decoded JSON body must equal it
	}{
		{
			name: "field errors as JSON", json: true, err: FieldErrors{"email": "Anna osoite.", "consent": "Rastita."},
			wantStatus: 400,
			wantJSON:   map[string]any{"errors": map[string]any{"email": "Anna osoite.", "consent": "Rastita."}},
		},
		{
			name: "wrapped field errors as JSON", json: true, err: fmt.Errorf("subscribe: %w", FieldErrors{"email": "bad"}),
			wantStatus: 400,
			wantJSON:   map[string]any{"errors": map[string]any{"email": "bad"}},
		},
		{
			name: "field errors as a page", err: FieldErrors{"email": "Give an address please", "consent": "Tick the box please"},
			target: "/x?lang=en", wantStatus: 400,
			wantBody: []string{"Give an address please", "Tick the box please", texts["en"]["error.title"], `lang="en"`},
			banned:   []string{`"errors"`},
		},
		{
			name: "unavailable as JSON hides the cause", json: true, err: Unavailable(errors.New(secret)),
			wantStatus: 503, banned: []string{"secret-cause", "dynamodb", "arn:aws"},
			wantJSON: map[string]any{"error": "the service is unavailable right now; please try again shortly"},
		},
		{
			name: "unavailable as a page hides the cause", err: Unavailable(errors.New(secret)),
			target: "/x?lang=sv", wantStatus: 503,
			wantBody: []string{texts["sv"]["503"]}, banned: []string{"secret-cause", "dynamodb", "arn:aws"},
		},
		{
			name: "wrapped unavailable keeps its status", json: true, err: fmt.Errorf("outer: %w", Unavailable(errors.New(secret))),
			wantStatus: 503, banned: []string{"secret-cause"},
		},
		{
			name: "plain error as JSON", json: true, err: errors.New("boom: " + secret),
			wantStatus: 500, banned: []string{"boom", "secret-cause"},
			wantJSON: map[string]any{"error": "internal error"},
		},
		{
			name: "plain error as a page", err: errors.New("boom: " + secret),
			wantStatus: 500, wantBody: []string{texts["fi"]["500"]}, banned: []string{"boom", "secret-cause"},
		},
		{
			name: "too large", json: true, err: ErrTooLarge, wantStatus: 413,
			wantJSON: map[string]any{"error": ErrTooLarge.Message},
		},
		{
			name: "unsupported media as a page", err: ErrUnsupportedMedia, wantStatus: 415,
			wantBody: []string{texts["fi"]["415"]},
		},
		{
			name: "rate limited", json: true, err: ErrRateLimited, wantStatus: 429,
		},
		{
			name: "bad request message shown", json: true, err: BadRequest("the token is missing"), wantStatus: 400,
			wantJSON: map[string]any{"error": "the token is missing"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = "/x"
			}
			r := httptest.NewRequest("POST", target, nil)
			if tc.json {
				r.Header.Set("Accept", "application/json")
			}
			rec := httptest.NewRecorder()
			Handle(func(http.ResponseWriter, *http.Request) error { return tc.err }).ServeHTTP(rec, r)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			body := rec.Body.String()
			ct := rec.Header().Get("Content-Type")
			if tc.json {
				if !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("Content-Type = %q, want JSON", ct)
				}
			} else {
				if !strings.HasPrefix(ct, "text/html") {
					t.Fatalf("Content-Type = %q, want HTML", ct)
				}
				if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
					t.Errorf("Referrer-Policy = %q, want no-referrer", got)
				}
				if !strings.HasPrefix(body, "<!doctype html>") {
					t.Errorf("body is not a whole page: %.80q", body)
				}
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.banned {
				if strings.Contains(body, s) {
					t.Errorf("body shows %q:\n%s", s, body)
				}
			}
			if tc.wantJSON != nil {
				var got any
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("body is not JSON: %v\n%s", err, body)
				}
				if !reflect.DeepEqual(got, tc.wantJSON) {
					t.Fatalf("body = %v, want %v", got, tc.wantJSON)
				}
			}
		})
	}
}

func TestHandleSuccessWritesOnlyTheHandlersAnswer(t *testing.T) {
	rec := httptest.NewRecorder()
	Handle(func(w http.ResponseWriter, r *http.Request) error {
		JSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
		return nil
	}).ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
	if rec.Code != http.StatusAccepted || strings.TrimSpace(rec.Body.String()) != `{"status":"pending"}` {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
}

func TestHTMLHeaders(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"Message", func(w http.ResponseWriter) { Message(w, 200, "sv", "Rubrik", "Stycke <b>ett</b>") }},
		{"HTML", func(w http.ResponseWriter) { HTML(w, 202, Page{Lang: "en", Title: "T", Body: "<p>x</p>"}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.write(rec)
			h := rec.Header()
			want := map[string]string{
				"Referrer-Policy":        "no-referrer",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
				"Content-Type":           "text/html; charset=utf-8",
			}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("CSP = %q", h.Get("Content-Security-Policy"))
			}
		})
	}
	// Message escapes its paragraphs.
	rec := httptest.NewRecorder()
	Message(rec, 200, "fi", "Otsikko", "<script>alert(1)</script>")
	if strings.Contains(rec.Body.String(), "<script>") {
		t.Fatalf("Message did not escape a paragraph:\n%s", rec.Body)
	}
}

func TestFieldErrorsError(t *testing.T) {
	got := FieldErrors{"name": "x", "email": "y"}.Error()
	if got != "invalid fields: email, name" {
		t.Fatalf("Error() = %q", got)
	}
}

// TestWithNoticeLinksTheRegistersNotice: a page written under WithNotice
// links to that register's notice; others to the museum's.
func TestWithNoticeLinksTheRegistersNotice(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Message(w, http.StatusOK, "fi", "Otsikko", "Teksti")
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"default", page, `href="/privacy?register=museum&amp;lang=fi"`},
		{"library", WithNotice("library", page), `href="/privacy?register=library&amp;lang=fi"`},
	} {
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: the footer has no %s", tc.name, tc.want)
		}
	}
}
