package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"rekisteri/infra/local"
	"rekisteri/infra/local/localtest"
	"rekisteri/internal/events"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
)

type site struct {
	t     *testing.T
	ctx   context.Context
	stack *local.Stack
	svc   *events.Service
	run   string
	keys  keyring.Keys
}

func newSite(t *testing.T) *site {
	ctx := context.Background()
	stack := localtest.Stack(t, "evt")
	cat := localtest.Catalogue(t, stack, "museum")
	base, _ := url.Parse("http://127.0.0.1:1")
	svc := events.NewService(register.MustLoad("museum"), stack.Clients().DynamoDB, nil,
		events.Tables{Events: cat.Table(events.Table), Mail: cat.Table("mail"), Audit: cat.Table("audit")}, base).At(stack.Clock.Now)
	env := stack.Env["EventsFunction"]
	keys, err := keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]).Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &site{t: t, ctx: ctx, stack: stack, svc: svc, run: fmt.Sprint(time.Now().UnixNano() % 1e8), keys: keys}
}

func (s *site) addr(who string) string { return "evt-" + who + "-" + s.run + "@example.com" }

func (s *site) event(inDays, capacity int) events.Event {
	s.t.Helper()
	day := helsinki.Today(s.stack.Clock.Now()).AddDate(0, 0, inDays).Format("2006-01-02")
	ev, err := s.svc.Create(s.ctx, events.NewEvent{Name: map[string]string{"fi": "Avajaiset", "sv": "Vernissage", "en": "Opening"},
		Date: day, Start: "18:00", Place: "KAMU", Capacity: capacity, List: "openings", Actor: "test-staff"})
	if err != nil {
		s.t.Fatal(err)
	}
	return ev
}

// do sends method path with form values (or JSON when asJSON) through the
// stack's HTTP entry point.
func (s *site) do(method, path string, v url.Values, asJSON bool) (int, string) {
	s.t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	w := httptest.NewRecorder()
	s.stack.Handler().ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func (s *site) taken(id string) int {
	s.t.Helper()
	ev, err := s.svc.Get(s.ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return ev.Taken
}

// mails are the mails to addr with a subject containing word.
func (s *site) mails(addr, word string) []local.SentMail {
	s.t.Helper()
	if err := s.stack.Drain(s.ctx); err != nil {
		s.t.Fatal(err)
	}
	all, err := s.stack.SentMail(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []local.SentMail
	for _, m := range all {
		if strings.Contains(m.Parsed.To, addr) && strings.Contains(m.Parsed.Subject, word) {
			out = append(out, m)
		}
	}
	return out
}

var tokenRE = regexp.MustCompile(`/events/cancel\?lang=[a-z]+&token=([A-Za-z0-9_.-]+)`)

func cancelToken(t *testing.T, m local.SentMail) string {
	t.Helper()
	got := tokenRE.FindStringSubmatch(m.Parsed.Text)
	if got == nil {
		t.Fatalf("no cancel link in %q", m.Parsed.Text)
	}
	return got[1]
}

// TestSignupSeatsAndCancel fills an event of 5 seats through POST
// /events/signup — guests, an RSVP, a second signup of one address — and
// checks each answer and the seats taken; bad input stores nothing; a
// cancel frees the seats once.
func TestSignupSeatsAndCancel(t *testing.T) {
	s := newSite(t)
	ev := s.event(3, 5)
	path := "/events/signup?event=" + ev.ID
	rsvp, _ := url.Parse(events.RSVPLink(&url.URL{Scheme: "http", Host: "x"}, s.keys.Token, ev.ID, subject.EmailKey(s.keys.Subject, s.addr("b")), "sv"))
	other := events.RSVPLink(&url.URL{Scheme: "http", Host: "x"}, s.keys.Token, "e20000101-00000000", "k", "fi")
	otherTok, _ := url.Parse(other)
	steps := []struct {
		name   string
		form   url.Values
		status int
		taken  int
		field  []string // the 400's fields
	}{
		{"one with two guests", url.Values{"name": {"Aino"}, "email": {s.addr("a")}, "guests": {"2"}}, 202, 3, nil},
		{"the same address again holds one place", url.Values{"name": {"Aino"}, "email": {s.addr("a")}, "guests": {"0"}}, 202, 3, nil},
		{"an RSVP", url.Values{"name": {"Bo"}, "email": {s.addr("b")}, "rsvp": {rsvp.Query().Get("rsvp")}, "lang": {"sv"}}, 202, 4, nil},
		{"two seats asked, one left", url.Values{"name": {"Cai"}, "email": {s.addr("c")}, "guests": {"1"}}, 409, 4, nil},
		{"bad input", url.Values{"name": {""}, "email": {"not-an-address"}, "guests": {"9"}}, 400, 4, []string{"name", "email", "guests"}},
		{"an RSVP for another event", url.Values{"name": {"Eve"}, "email": {s.addr("e")}, "rsvp": {otherTok.Query().Get("rsvp")}}, 400, 4, []string{"rsvp"}},
		{"the last seat", url.Values{"name": {"Dan"}, "email": {s.addr("d")}}, 202, 5, nil},
		{"one more: full", url.Values{"name": {"Eve"}, "email": {s.addr("e")}}, 409, 5, nil},
		{"the honeypot: the same answer, nothing kept", url.Values{"name": {"Bot"}, "email": {s.addr("bot")}, "website": {"x"}}, 202, 5, nil},
	}
	for _, c := range steps {
		t.Run(c.name, func(t *testing.T) {
			status, body := s.do(http.MethodPost, path, c.form, true)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			var out struct {
				Status string
				Error  string
				Errors map[string]string
			}
			_ = json.Unmarshal([]byte(body), &out)
			switch {
			case status == 202 && out.Status != "registered", status == 409 && out.Error == "":
				t.Errorf("answer %s", body)
			}
			for _, f := range c.field {
				if out.Errors[f] == "" {
					t.Errorf("no error at %s: %s", f, body)
				}
			}
			if got := s.taken(ev.ID); got != c.taken {
				t.Errorf("taken %d, want %d", got, c.taken)
			}
		})
	}
	ps, err := s.svc.Participants(s.ctx, ev.ID)
	if err != nil || len(ps) != 3 {
		t.Fatalf("participants %d (%v), want a, b, d", len(ps), err)
	}
	for who, want := range map[string]int{"a": 1, "b": 1, "d": 1, "c": 0, "e": 0, "bot": 0} {
		if got := len(s.mails(s.addr(who), "")); got != want {
			t.Errorf("%s: %d receipts, want %d", who, got, want)
		}
	}
	if m := s.mails(s.addr("b"), "Anmälan"); len(m) != 1 {
		t.Errorf("the RSVP's receipt is not in Swedish")
	}
	tok := cancelToken(t, s.mails(s.addr("a"), "")[0])
	if status, body := s.do(http.MethodGet, "/events/cancel?token="+url.QueryEscape(tok), nil, false); status != 200 || !strings.Contains(body, "<button") || s.taken(ev.ID) != 5 {
		t.Errorf("the cancel page acts or has no button: %d", status)
	}
	for i, want := range []int{2, 2} { // twice: the seats come back once
		if status, body := s.do(http.MethodPost, "/events/cancel", url.Values{"token": {tok}}, true); status != 200 || !strings.Contains(body, "cancelled") {
			t.Fatalf("cancel %d: %d %s", i, status, body)
		}
		if got := s.taken(ev.ID); got != want {
			t.Errorf("after cancel %d taken %d, want %d", i, got, want)
		}
	}
	if status, _ := s.do(http.MethodPost, path, url.Values{"name": {"Cai"}, "email": {s.addr("c")}, "guests": {"1"}}, true); status != 202 || s.taken(ev.ID) != 4 {
		t.Errorf("the freed seats: %d, taken %d", status, s.taken(ev.ID))
	}
	if status, _ := s.do(http.MethodPost, path, url.Values{"name": {"Aino"}, "email": {s.addr("a")}}, true); status != 202 || s.taken(ev.ID) != 5 {
		t.Errorf("a cancelled address signing up again: %d, taken %d", status, s.taken(ev.ID))
	}
	if status, _ := s.do(http.MethodPost, "/events/cancel", url.Values{"token": {tok + "x"}}, true); status != 400 {
		t.Errorf("a forged cancel token: %d", status)
	}
}

// TestSignupForm: the form in each language, the event's details and seats
// left, and a failed submit with each error at its field and a summary.
func TestSignupForm(t *testing.T) {
	s := newSite(t)
	ev := s.event(2, 4)
	for _, c := range []struct{ lang, label, name string }{{"fi", "Sähköposti", "Avajaiset"}, {"sv", "E-post", "Vernissage"}, {"en", "E-mail", "Opening"}} {
		status, body := s.do(http.MethodGet, "/events/signup?event="+ev.ID+"&lang="+c.lang, nil, false)
		for _, want := range []string{`<label for="email">` + c.label, c.name, ev.Date, `<dd>4</dd>`, `name="website"`} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("%s: %d, no %q", c.lang, status, want)
			}
		}
	}
	status, body := s.do(http.MethodPost, "/events/signup?event="+ev.ID+"&lang=en", url.Values{"name": {"Ann"}, "email": {"nope"}, "lang": {"en"}}, false)
	for _, want := range []string{`aria-invalid="true"`, `href="#email"`, `value="Ann"`, "email-error"} {
		if status != 400 || !strings.Contains(body, want) {
			t.Errorf("failed submit: %d, no %q", status, want)
		}
	}
	if status, _ := s.do(http.MethodGet, "/events/signup?event=e20990101-deadbeef", nil, false); status != 404 {
		t.Errorf("an unknown event: %d", status)
	}
}

// TestRemindersTheDayBefore: the schedule the day before mails every
// registered, unrestricted participant once, however often it runs.
func TestRemindersTheDayBefore(t *testing.T) {
	s := newSite(t)
	ev := s.event(2, 10)
	for _, who := range []string{"r1", "r2", "gone", "restricted"} {
		if status, body := s.do(http.MethodPost, "/events/signup?event="+ev.ID, url.Values{"name": {who}, "email": {s.addr(who)}}, true); status != 202 {
			t.Fatalf("%s: %d %s", who, status, body)
		}
	}
	tok := cancelToken(t, s.mails(s.addr("gone"), "")[0])
	if status, _ := s.do(http.MethodPost, "/events/cancel", url.Values{"token": {tok}}, true); status != 200 {
		t.Fatal("cancel")
	}
	store := recordstore.NewStore(s.stack.Clients().DynamoDB, localtest.Catalogue(t, s.stack, "museum"))
	sk := subject.EmailKey(s.keys.Subject, s.addr("restricted"))
	if err := store.Restrict(s.ctx, events.Table, recordstore.Key{PK: "EVENT#" + ev.ID, SK: "PARTICIPANT#" + sk}, time.Now(), "r-test"); err != nil {
		t.Fatal(err)
	}
	runs := func() {
		for range 2 {
			if err := s.stack.RunSchedules(s.ctx, "EventsFunction"); err != nil {
				t.Fatal(err)
			}
		}
	}
	runs() // two days before: nothing yet
	day := helsinki.Today(s.stack.Clock.Now()).AddDate(0, 0, 1).Format("2006-01-02")
	at, _ := time.Parse(time.RFC3339, day+"T09:00:00+02:00")
	if _, err := s.stack.Clock.Set(at); err != nil {
		t.Fatal(err)
	}
	runs()
	for who, want := range map[string]int{"r1": 1, "r2": 1, "gone": 0, "restricted": 0} {
		if got := len(s.mails(s.addr(who), "Muistutus")); got != want {
			t.Errorf("%s: %d reminders, want %d", who, got, want)
		}
	}
}

// TestMailBudget: one address signing up for six events within the hour is
// mailed five receipts; the sixth place is kept all the same.
func TestMailBudget(t *testing.T) {
	s := newSite(t)
	for i := range 6 {
		ev := s.event(5, 3)
		if status, body := s.do(http.MethodPost, "/events/signup?event="+ev.ID, url.Values{"name": {"Flood"}, "email": {s.addr("flood")}}, true); status != 202 {
			t.Fatalf("signup %d: %d %s", i, status, body)
		}
		if s.taken(ev.ID) != 1 {
			t.Errorf("signup %d took no seat", i)
		}
	}
	if got := len(s.mails(s.addr("flood"), "")); got != 5 {
		t.Errorf("%d receipts, want the budget's 5", got)
	}
}
