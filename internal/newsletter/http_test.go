package newsletter

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/token"
)

var (
	fakeTokenKey   = []byte("test-token-key-0123456789abcdef0123")
	fakeSubjectKey = []byte("test-subject-key-0123456789abcdef01")
)

// forbiddenDB fails the test on any call: the request must not reach storage.
type forbiddenDB struct{ t *testing.T }

func (f forbiddenDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.t.Fatal("db.TransactWriteItems called")
	return nil, nil
}

func (f forbiddenDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.t.Fatal("db.Query called")
	return nil, nil
}

func (f forbiddenDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.t.Fatal("db.GetItem called")
	return nil, nil
}

func (f forbiddenDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.t.Fatal("db.UpdateItem called")
	return nil, nil
}

func (f forbiddenDB) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.t.Fatal("db.DeleteItem called")
	return nil, nil
}

// recordingDB accepts transactions and keeps them; reads are forbidden.
type recordingDB struct {
	forbiddenDB
	tx []*dynamodb.TransactWriteItemsInput
}

func (r *recordingDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	r.tx = append(r.tx, in)
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

type fakeQueue struct {
	t      *testing.T
	forbid bool
	sent   []sqsqueue.Message
}

func (q *fakeQueue) Send(_ context.Context, m sqsqueue.Message) error {
	if q.forbid {
		q.t.Fatalf("queue.Send(%+v) called", m)
	}
	if err := m.Validate(); err != nil {
		q.t.Errorf("queued an invalid message %+v: %v", m, err)
	}
	q.sent = append(q.sent, m)
	return nil
}

type fakeKeys struct {
	t      *testing.T
	forbid bool
	err    error
	calls  int
}

func (k *fakeKeys) Keys(context.Context) (keyring.Keys, error) {
	if k.forbid {
		k.t.Fatal("keys.Keys called")
	}
	k.calls++
	if k.err != nil {
		return keyring.Keys{}, k.err
	}
	return keyring.Keys{Token: fakeTokenKey, Subject: fakeSubjectKey}, nil
}

var testNow = time.Date(2026, 4, 30, 21, 30, 0, 0, time.UTC)

func newHTTPService(t *testing.T, db dynamoAPI, q queue, keys keySource) *Service {
	t.Helper()
	u, _ := url.Parse("https://museo.example.fi/")
	s := NewService(register.MustLoad("museum"), db, q, keys, Tables{Subscribers: "subscribers", Mail: "mail", Audit: "audit"}, u)
	s.now = func() time.Time { return testNow }
	return s
}

// untouchable is a service whose every dependency fails the test if used.
func untouchable(t *testing.T) *Service {
	return newHTTPService(t, forbiddenDB{t}, &fakeQueue{t: t, forbid: true}, &fakeKeys{t: t, forbid: true})
}

type req struct {
	method, target, contentType, accept, body string
}

func serve(t *testing.T, s *Service, r req) *httptest.ResponseRecorder {
	t.Helper()
	hr := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	if r.accept != "" {
		hr.Header.Set("Accept", r.accept)
	}
	rec := httptest.NewRecorder()
	s.Routes().ServeHTTP(rec, hr)
	return rec
}

func TestSubscribeHoneypot(t *testing.T) {
	tests := []struct {
		name     string
		r        req
		wantJSON bool
	}{
		{"form, JSON answer", req{"POST", "/newsletter/subscribe", "application/x-www-form-urlencoded", "application/json",
			"email=visitor%40example.com&consent=true&lists=newsletter&website=spam"}, true},
		{"JSON", req{"POST", "/newsletter/subscribe", "application/json", "",
			`{"email":"visitor@example.com","consent":true,"website":"http://spam.example"}`}, true},
		{"honeypot with otherwise invalid input still looks fine", req{"POST", "/newsletter/subscribe", "application/json", "",
			`{"email":"nope","website":"x"}`}, true},
		{"form, HTML answer", req{"POST", "/newsletter/subscribe", "application/x-www-form-urlencoded", "",
			"email=visitor%40example.com&consent=on&lang=en&website=spam"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, untouchable(t), tc.r)
			if rec.Code != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
			}
			if tc.wantJSON {
				if got := strings.TrimSpace(rec.Body.String()); got != `{"status":"pending"}` {
					t.Fatalf("body = %s", got)
				}
				return
			}
			if !strings.Contains(rec.Body.String(), html.EscapeString(texts["en"]["pending.title"])) {
				t.Fatalf("HTML answer is not the English pending page:\n%s", rec.Body)
			}
		})
	}
}

func TestSubscribeRejects(t *testing.T) {
	big := "email=visitor%40example.com&consent=true&name=" + strings.Repeat("x", 17<<10)
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantErrors map[string]string // for 400 JSON
		wantInPage []string          // for HTML answers
	}{
		{
			name: "invalid JSON input, Finnish", wantStatus: 400,
			r:          req{"POST", "/newsletter/subscribe", "application/json", "", `{"email":"visitor@","lists":["newsletter","bogus"]}`},
			wantErrors: map[string]string{"email": texts["fi"]["err.email"], "consent": texts["fi"]["err.consent"], "lists": texts["fi"]["err.lists"]},
		},
		{
			name: "invalid JSON input, English via lang field", wantStatus: 400,
			r:          req{"POST", "/newsletter/subscribe", "application/json", "", `{"email":"visitor@example.com","consent":false,"lang":"en"}`},
			wantErrors: map[string]string{"consent": texts["en"]["err.consent"]},
		},
		{
			name: "invalid form input asking for JSON", wantStatus: 400,
			r:          req{"POST", "/newsletter/subscribe?lang=sv", "application/x-www-form-urlencoded", "application/json", "email=&consent=on"},
			wantErrors: map[string]string{"email": texts["sv"]["err.email"]},
		},
		{
			name: "invalid form input gets the form again", wantStatus: 400,
			r: req{"POST", "/newsletter/subscribe", "application/x-www-form-urlencoded", "",
				"lang=en&email=visitor%40example&name=%3Cb%3EEve%3C%2Fb%3E&lists=openings"},
			wantInPage: []string{
				html.EscapeString(texts["en"]["err.email"]), html.EscapeString(texts["en"]["err.consent"]),
				`value="visitor@example"`, `value="&lt;b&gt;Eve&lt;/b&gt;"`,
				`id="list-openings" name="lists" value="openings" checked`,
			},
		},
		{name: "17 KiB body", wantStatus: 413, r: req{"POST", "/newsletter/subscribe", "application/x-www-form-urlencoded", "application/json", big}},
		{name: "17 KiB JSON body", wantStatus: 413, r: req{"POST", "/newsletter/subscribe", "application/json", "", `{"name":"` + strings.Repeat("x", 17<<10) + `"}`}},
		{name: "text/plain", wantStatus: 415, r: req{"POST", "/newsletter/subscribe", "text/plain", "", "email=visitor@example.com"}},
		{name: "malformed JSON", wantStatus: 400, r: req{"POST", "/newsletter/subscribe", "application/json", "", `{"email":`}},
		{name: "GET is not a subscribe", wantStatus: 405, r: req{"GET", "/newsletter/subscribe?email=visitor%40example.com&consent=true", "", "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, untouchable(t), tc.r)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantErrors != nil {
				var body struct {
					Errors map[string]string `json:"errors"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("body is not JSON: %v\n%s", err, rec.Body)
				}
				if !reflect.DeepEqual(body.Errors, tc.wantErrors) {
					t.Fatalf("errors = %v\nwant     %v", body.Errors, tc.wantErrors)
				}
			}
			for _, s := range tc.wantInPage {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("page lacks %q:\n%s", s, rec.Body)
				}
			}
			if strings.Contains(rec.Body.String(), "<b>Eve") {
				t.Error("the name was not escaped")
			}
		})
	}
}

func TestSubscribeValid(t *testing.T) {
	db := &recordingDB{forbiddenDB: forbiddenDB{t}}
	q := &fakeQueue{t: t}
	s := newHTTPService(t, db, q, &fakeKeys{t: t})
	rec := serve(t, s, req{"POST", "/newsletter/subscribe", "application/json", "",
		`{"email":"Visitor@Example.com","consent":true,"lists":["newsletter","openings"],"lang":"sv","name":"Vera"}`})
	if rec.Code != http.StatusAccepted || strings.TrimSpace(rec.Body.String()) != `{"status":"pending"}` {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if len(db.tx) != 1 {
		t.Fatalf("%d transactions, want 1", len(db.tx))
	}
	items := db.tx[0].TransactItems
	if len(items) != 5 { // two items per list and the mail job
		t.Fatalf("%d transaction items, want 5", len(items))
	}
	var subs []subscription
	var receipts []consent
	var expires []dynamo.Retention // what the record seam stamped, per item
	for i, it := range items[:4] {
		var r dynamo.Retention
		if err := attributevalue.UnmarshalMap(it.Put.Item, &r); err != nil {
			t.Fatal(err)
		}
		expires = append(expires, r)
		if it.Put == nil || *it.Put.TableName != "subscribers" {
			t.Fatalf("item %d is not a put into subscribers", i)
		}
		if i%2 == 0 {
			var sub subscription
			if err := attributevalue.UnmarshalMap(it.Put.Item, &sub); err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		} else {
			var c consent
			if err := attributevalue.UnmarshalMap(it.Put.Item, &c); err != nil {
				t.Fatal(err)
			}
			receipts = append(receipts, c)
		}
	}
	reg := s.reg
	for i, list := range []string{"newsletter", "openings"} {
		sub, c := subs[i], receipts[i]
		if sub.List != list || sub.Status != Pending || sub.Email != "visitor@example.com" || sub.Lang != "sv" || sub.Name != "Vera" {
			t.Errorf("subscription %d = %+v", i, sub)
		}
		if want := testNow.AddDate(0, 0, 7).Unix(); expires[2*i].ExpiresAt != want || expires[2*i+1].ExpiresAt != want {
			t.Errorf("%s: expiresAt %d / %d, want %d (7 days)", list, expires[2*i].ExpiresAt, expires[2*i+1].ExpiresAt, want)
		}
		l, _ := reg.List(list)
		if c.List != list || c.ConsentTextVersion != l.ConsentVersion("sv") || c.NoticeVersion != reg.Version() || c.LegalBasis != "consent" || c.SignupID != sub.SignupID || c.ConfirmedAt != "" {
			t.Errorf("receipt %d = %+v", i, c)
		}
	}
	var job mail.Job
	if err := attributevalue.UnmarshalMap(items[4].Put.Item, &job); err != nil {
		t.Fatal(err)
	}
	if *items[4].Put.TableName != "mail" || job.Template != "newsletter-confirm" || job.To != "visitor@example.com" || job.ID() != "confirm."+subs[0].SignupID {
		t.Fatalf("mail job = %+v", job)
	}
	// Nothing queued: the outbox table's stream brings the job to the mailer.
	if len(q.sent) != 0 {
		t.Fatalf("queued %+v, want nothing (the outbox stream carries the job)", q.sent)
	}
	// The confirm link in the mail carries a token for exactly these lists.
	u, err := url.Parse(job.Params["confirmURL"])
	if err != nil || u.Host != "museo.example.fi" || u.Path != "/newsletter/confirm" || u.Query().Get("lang") != "sv" {
		t.Fatalf("confirmURL = %q", job.Params["confirmURL"])
	}
	c, err := token.Verify(fakeTokenKey, u.Query().Get("token"), token.Confirm, testNow)
	if err != nil {
		t.Fatalf("confirm token: %v", err)
	}
	if c.ID != subs[0].SignupID || !reflect.DeepEqual(c.Lists, []string{"newsletter", "openings"}) || c.Subject != subs[0].SubjectKey {
		t.Fatalf("confirm claims = %+v", c)
	}
	if _, err := token.Verify(fakeTokenKey, u.Query().Get("token"), token.Confirm, testNow.Add(confirmValidity+time.Second)); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("confirm token after its validity: %v, want expired", err)
	}
}

var (
	consentInput = regexp.MustCompile(`<input[^>]*name="consent"[^>]*>`)
	websiteInput = regexp.MustCompile(`<input[^>]*name="website"[^>]*>`)
	listInput    = regexp.MustCompile(`<input[^>]*name="lists"[^>]*>`)
)

func TestFormPage(t *testing.T) {
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			rec := serve(t, untouchable(t), req{"GET", "/newsletter?lang=" + lang, "", "", ""})
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("got %d %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			c := consentInput.FindString(body)
			if c == "" || !strings.Contains(c, `type="checkbox"`) {
				t.Fatalf("no consent checkbox in:\n%s", body)
			}
			if strings.Contains(c, "checked") {
				t.Fatalf("consent checkbox is ticked in advance: %s", c)
			}
			for _, l := range listInput.FindAllString(body, -1) {
				if strings.Contains(l, "checked") {
					t.Errorf("list checkbox ticked in advance: %s", l)
				}
			}
			if n := len(listInput.FindAllString(body, -1)); n != 2 {
				t.Errorf("%d list checkboxes, want 2", n)
			}
			if websiteInput.FindString(body) == "" {
				t.Fatal("no honeypot field")
			}
			for _, want := range []string{
				`<html lang="` + lang + `">`,
				`<input type="hidden" name="lang" value="` + lang + `">`,
				`action="/newsletter/subscribe?lang=`,
				html.EscapeString(texts[lang]["form.title"]),
				// html/template escapes ' as &#39;, html.EscapeString as &#39; too.
				html.EscapeString(register.MustLoad("museum").Lists[0].Consent.In(lang)),
			} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
}

func TestFormJSON(t *testing.T) {
	reg := register.MustLoad("museum")
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			rec := serve(t, untouchable(t), req{"GET", "/newsletter?lang=" + lang, "", "application/json", ""})
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			var got struct {
				Lang  string `json:"lang"`
				Lists []struct {
					ID             string `json:"id"`
					Name           string `json:"name"`
					Consent        string `json:"consent"`
					ConsentVersion string `json:"consentVersion"`
				} `json:"lists"`
				Privacy       string `json:"privacy"`
				NoticeVersion string `json:"noticeVersion"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Lang != lang || got.NoticeVersion != reg.Version() || !strings.Contains(got.Privacy, "register=museum") {
				t.Errorf("got %+v", got)
			}
			// Only the public lists: staff enter the members of the others.
			var public []register.List
			for _, l := range reg.Lists {
				if l.IsPublic() {
					public = append(public, l)
				}
			}
			if len(got.Lists) != len(public) || len(public) == len(reg.Lists) {
				t.Fatalf("%d lists, want the %d public of %d", len(got.Lists), len(public), len(reg.Lists))
			}
			for i, l := range public {
				g := got.Lists[i]
				if g.ID != l.ID || g.Name != l.Name.In(lang) || g.Consent != l.Consent.In(lang) || g.ConsentVersion != l.ConsentVersion(lang) {
					t.Errorf("list %d = %+v", i, g)
				}
			}
		})
	}
}

var tokenInput = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)

func TestLinkPages(t *testing.T) {
	valid := token.Sign(fakeTokenKey, token.Claims{Purpose: token.Confirm, Subject: "s", ID: "0123456789abcdef01234567", Lists: []string{"newsletter"}, Expires: testNow.Add(time.Hour).Unix()})
	expired := token.Sign(fakeTokenKey, token.Claims{Purpose: token.Confirm, ID: "x", Expires: testNow.Add(-time.Second).Unix()})
	unsub := token.Sign(fakeTokenKey, token.Claims{Purpose: token.Unsubscribe, Subject: "s", Lists: []string{"newsletter"}})
	otherKey := token.Sign([]byte("another-key-entirely-0123456789ab"), token.Claims{Purpose: token.Confirm, Expires: testNow.Add(time.Hour).Unix()})
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantText   string // a text key of the page, in lang
		lang       string
		wantAction string // for button pages
		wantToken  string
	}{
		{name: "garbage", target: "/newsletter/confirm?token=garbage", wantStatus: 400, wantText: "link.invalid", lang: "fi"},
		{name: "missing token", target: "/newsletter/confirm?lang=en", wantStatus: 400, wantText: "link.invalid", lang: "en"},
		{name: "other key", target: "/newsletter/confirm?token=" + otherKey, wantStatus: 400, wantText: "link.invalid", lang: "fi"},
		{name: "expired", target: "/newsletter/confirm?lang=sv&token=" + expired, wantStatus: 400, wantText: "link.expired", lang: "sv"},
		{name: "unsubscribe token on confirm", target: "/newsletter/confirm?token=" + unsub, wantStatus: 400, wantText: "link.invalid", lang: "fi"},
		{name: "confirm token on unsubscribe", target: "/newsletter/unsubscribe?token=" + valid, wantStatus: 400, wantText: "link.invalid", lang: "fi"},
		{name: "valid confirm", target: "/newsletter/confirm?lang=en&token=" + url.QueryEscape(valid), wantStatus: 200, wantText: "confirm.button", lang: "en", wantAction: "/newsletter/confirm", wantToken: valid},
		{name: "valid unsubscribe", target: "/newsletter/unsubscribe?token=" + unsub, wantStatus: 200, wantText: "unsub.button", lang: "fi", wantAction: "/newsletter/unsubscribe", wantToken: unsub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys := &fakeKeys{t: t}
			s := newHTTPService(t, forbiddenDB{t}, &fakeQueue{t: t, forbid: true}, keys)
			rec := serve(t, s, req{"GET", tc.target, "", "", ""})
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			body := rec.Body.String()
			if !strings.Contains(body, html.EscapeString(texts[tc.lang][tc.wantText])) {
				t.Errorf("page lacks %s in %s:\n%s", tc.wantText, tc.lang, body)
			}
			if rec.Header().Get("Referrer-Policy") != "no-referrer" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("a page with a token in its URL may leak it: headers %v", rec.Header())
			}
			if tc.wantAction == "" {
				if strings.Contains(body, `name="token"`) {
					t.Errorf("an error page carries a token form:\n%s", body)
				}
				return
			}
			if !strings.Contains(body, `<form method="post" action="`+tc.wantAction+`?lang=`) {
				t.Errorf("no POST form to %s:\n%s", tc.wantAction, body)
			}
			m := tokenInput.FindStringSubmatch(body)
			if m == nil || html.UnescapeString(m[1]) != tc.wantToken {
				t.Errorf("token field = %v, want %q", m, tc.wantToken)
			}
			if keys.calls != 1 {
				t.Errorf("keys read %d times, want 1", keys.calls)
			}
		})
	}
}

func TestLinkPOSTWithBadTokenTouchesNothing(t *testing.T) {
	for _, path := range []string{"/newsletter/confirm", "/newsletter/unsubscribe"} {
		t.Run(path, func(t *testing.T) {
			s := newHTTPService(t, forbiddenDB{t}, &fakeQueue{t: t, forbid: true}, &fakeKeys{t: t})
			rec := serve(t, s, req{"POST", path, "application/x-www-form-urlencoded", "application/json", "token=garbage&lang=en"})
			if rec.Code != 400 {
				t.Fatalf("status %d", rec.Code)
			}
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["error"] != texts["en"]["link.invalid"] {
				t.Fatalf("body %s (%v)", rec.Body, err)
			}
		})
	}
}

func TestLinkPageKeysUnavailable(t *testing.T) {
	const cause = "secretsmanager: AccessDenied arn:aws:secretsmanager:eu-north-1:1:secret:token"
	s := newHTTPService(t, forbiddenDB{t}, &fakeQueue{t: t, forbid: true}, &fakeKeys{t: t, err: errors.New(cause)})
	rec := serve(t, s, req{"GET", "/newsletter/confirm?token=abc.def", "", "", ""})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "AccessDenied") || strings.Contains(rec.Body.String(), "arn:aws") {
		t.Fatalf("the cause is shown:\n%s", rec.Body)
	}
}
