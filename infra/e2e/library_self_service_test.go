package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/register"
)

// selfServiceLibrary is the library register over the suite's stack, as
// the staff tool opens it (`staff library collect` calls its Collect and
// SetPIN).
func selfServiceLibrary(t *testing.T) *library.Service {
	t.Helper()
	env := stack.Env["LibraryFunction"]
	base, _ := url.Parse(server.URL)
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB:   stack.Clients().DynamoDB,
		Keys: keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]),
		Tables: library.Tables{Patrons: env["PATRONS_TABLE"], Loans: env["LOANS_TABLE"], Transfers: env["TRANSFERS_TABLE"],
			Statistics: env["STATISTICS_TABLE"], Mail: env["MAIL_TABLE"], Audit: env["AUDIT_TABLE"], Bookings: env["BOOKINGS_TABLE"]},
		BaseURL: base, Now: stack.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// selfServiceHetu is a valid identity code of an adult born in the 1980s,
// with a fresh individual number.
func selfServiceHetu() string {
	return libraryHetu(time.Date(1980+rand.IntN(10), time.Month(1+rand.IntN(12)), 1+rand.IntN(28), 0, 0, 0, 0, time.UTC))
}

// selfServicePatron is a patron made the way people are: pre-registered
// through the form, the card collected at the desk, the PIN typed there.
type selfServicePatron struct {
	number, pin, hetu, first, last, email string
}

func newSelfServicePatron(t *testing.T, svc *library.Service) selfServicePatron {
	t.Helper()
	p := selfServicePatron{pin: fmt.Sprintf("%08d", rand.IntN(1e8)), hetu: selfServiceHetu(),
		first: "Iida" + randomHex(2), last: "Itsepalvelu" + randomHex(2), email: newAddress(t)}
	remember(p.first, p.last, p.hetu)
	r := post(t, "/library/register", fmt.Sprintf(`{"first_name":%q,"last_name":%q,"hetu":%q,"street":"Lukijankuja 3","postcode":"00500",`+
		`"city":"Helsinki","email":%q,"lang":"fi","channel":"email","group":"adult"}`, p.first, p.last, p.hetu, p.email))
	var out struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || out.Reference == "" {
		t.Fatalf("pre-register: %d %s", r.Status, r.Body)
	}
	var err error
	if p.number, err = svc.Collect(context.Background(), out.Reference, "e2e staff"); err != nil {
		t.Fatalf("collect: %v", err)
	}
	remember(p.number)
	if err := svc.SetPIN(context.Background(), p.number, p.pin, "e2e staff"); err != nil {
		t.Fatalf("set the PIN: %v", err)
	}
	return p
}

// ssRequest sends a request with the session cookie (when given),
// answering JSON when asJSON.
func ssRequest(t *testing.T, method, path string, form url.Values, cookie string, asJSON bool) response {
	t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, server.URL+path, nil)
	} else {
		req, _ = http.NewRequest(method, server.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", library.SessionCookie+"="+cookie)
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	return do(t, req)
}

// ssCookie is the session cookie an answer sets, parsed.
func ssCookie(r response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == library.SessionCookie {
			return c
		}
	}
	return nil
}

var ssCSRFRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// ssLogsSince are the suite's log lines from offset on.
func ssLogsSince(offset int) string {
	captureMu.Lock()
	defer captureMu.Unlock()
	return logs.String()[offset:]
}

func ssLogOffset() int {
	captureMu.Lock()
	defer captureMu.Unlock()
	return logs.Len()
}

// TestLibrarySelfService: a patron pre-registered, collected and given a
// PIN at the desk signs in with customer number and PIN through HTTP. A
// wrong PIN and an unknown number get one answer; the declared number of
// wrong PINs locks the number, which then answers the same, even to its
// right PIN, until the lock has passed. The session is a cookie with its
// flags; /library/me shows the patron's details but never the identity
// code; a change is refused without the form's token or with a bad
// postcode, and made and shown with both right; signing out ends the
// session, and so does time. No PIN or number reaches a log line.
func TestLibrarySelfService(t *testing.T) {
	svc := selfServiceLibrary(t)
	from := ssLogOffset()
	p := newSelfServicePatron(t, svc)
	var bodies []string
	keep := func(r response) response { bodies = append(bodies, r.Body); return r }
	try := func(number, pin string) response {
		return keep(ssRequest(t, http.MethodPost, "/library/login", url.Values{"customer": {number}, "pin": {pin}}, "", true))
	}
	wrongPIN := fmt.Sprintf("%08d", (ssAtoi(p.pin)+1)%1e8)

	unknown := try("99"+p.number[2:], p.pin)
	if unknown.Status != http.StatusUnauthorized || ssCookie(unknown) != nil {
		t.Fatalf("unknown number: %d %s", unknown.Status, unknown.Body)
	}
	for i := 1; i < library.MaxFailedLogins; i++ {
		if r := try(p.number, wrongPIN); r.Status != unknown.Status || r.Body != unknown.Body {
			t.Fatalf("wrong PIN %d: %d %s, want the unknown number's %d %s", i, r.Status, r.Body, unknown.Status, unknown.Body)
		}
	}
	if r := try(p.number, p.pin); r.Status != http.StatusOK {
		t.Fatalf("the right PIN after %d wrong ones: %d %s", library.MaxFailedLogins-1, r.Status, r.Body)
	}
	for range library.MaxFailedLogins {
		try(p.number, wrongPIN)
	}
	if r := try(p.number, p.pin); r.Status != unknown.Status || r.Body != unknown.Body {
		t.Fatalf("locked after %d wrong PINs, the right PIN: %d %s, want the unknown number's answer", library.MaxFailedLogins, r.Status, r.Body)
	}
	advance(t, "1h") // past the lockout's 15 minutes
	form := keep(ssRequest(t, http.MethodPost, "/library/login", url.Values{"customer": {p.number}, "pin": {p.pin}, "lang": {"en"}}, "", false))
	c := ssCookie(form)
	if form.Status != http.StatusSeeOther || form.Header.Get("Location") != "/library/me?lang=en" || c == nil {
		t.Fatalf("sign in after the lock: %d %v", form.Status, form.Header)
	}
	// The suite's base URL is plain http on 127.0.0.1: the one place the
	// cookie goes without Secure (a browser would not keep it otherwise).
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/library" || c.Secure ||
		c.MaxAge != int(library.SessionLifetime/time.Second) {
		t.Errorf("the session cookie: %+v", c)
	}

	page := keep(ssRequest(t, http.MethodGet, "/library/me?lang=en", nil, c.Value, false))
	if page.Status != http.StatusOK {
		t.Fatalf("GET /library/me: %d", page.Status)
	}
	for _, want := range []string{escape(p.first), escape(p.last), "Lukijankuja 3", p.number, "Held in the register (not shown online)."} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	m := ssCSRFRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no form token on the page")
	}
	csrf := m[1]
	change := url.Values{"street": {"Uusi Lukijankuja 7 A 2"}, "postcode": {"00510"}, "city": {"Helsinki"}, "phone": {"050 765 4321"},
		"email": {p.email}, "lang": {"sv"}, "channel": {"sms"}}
	if r := keep(ssRequest(t, http.MethodPost, "/library/me?lang=en", change, c.Value, false)); r.Status != http.StatusForbidden {
		t.Errorf("a change without the form's token: %d", r.Status)
	}
	change.Set("csrf", csrf)
	change.Set("postcode", "5100")
	if r := keep(ssRequest(t, http.MethodPost, "/library/me?lang=en", change, c.Value, false)); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, `id="postcode-error"`) {
		t.Errorf("a bad postcode: %d", r.Status)
	}
	change.Set("postcode", "00510")
	if r := keep(ssRequest(t, http.MethodPost, "/library/me?lang=en", change, c.Value, false)); r.Status != http.StatusSeeOther {
		t.Fatalf("the change: %d %s", r.Status, r.Body)
	}
	js := keep(ssRequest(t, http.MethodGet, "/library/me", nil, c.Value, true))
	var me map[string]any
	if err := json.Unmarshal([]byte(js.Body), &me); err != nil || js.Status != http.StatusOK {
		t.Fatalf("GET /library/me as JSON: %d %s", js.Status, js.Body)
	}
	for k, want := range map[string]string{"street": "Uusi Lukijankuja 7 A 2", "postcode": "00510", "phone": "+358507654321", "lang": "sv",
		"channel": "sms", "customer": p.number, "identityCodeHeld": "true"} {
		if fmt.Sprint(me[k]) != want {
			t.Errorf("after the change %s = %v, want %s", k, me[k], want)
		}
	}

	out := keep(ssRequest(t, http.MethodPost, "/library/logout", url.Values{"csrf": {csrf}}, c.Value, false))
	if cleared := ssCookie(out); out.Status != http.StatusSeeOther || cleared == nil || cleared.MaxAge >= 0 {
		t.Errorf("sign out: %d %v", out.Status, cleared)
	}
	if r := keep(ssRequest(t, http.MethodGet, "/library/me", nil, c.Value, true)); r.Status != http.StatusUnauthorized {
		t.Errorf("the cookie after signing out: %d", r.Status)
	}

	again := ssCookie(keep(ssRequest(t, http.MethodPost, "/library/login", url.Values{"customer": {p.number}, "pin": {p.pin}}, "", false)))
	if again == nil {
		t.Fatal("no session after signing in again")
	}
	advance(t, "1h") // past the session's 15 minutes
	if r := keep(ssRequest(t, http.MethodGet, "/library/me?lang=fi", nil, again.Value, false)); r.Status != http.StatusSeeOther ||
		r.Header.Get("Location") != "/library/login?lang=fi&from=expired" {
		t.Errorf("an expired session: %d %v", r.Status, r.Header.Get("Location"))
	}

	for _, b := range bodies {
		if strings.Contains(b, p.hetu) || strings.Contains(b, p.pin) {
			t.Fatalf("an answer shows the identity code or the PIN: %s", b)
		}
	}
	lines := ssLogsSince(from)
	for what, v := range map[string]string{"PIN": p.pin, "wrong PIN": wrongPIN, "customer number": p.number, "identity code": p.hetu} {
		if strings.Contains(lines, v) {
			t.Errorf("a log line holds the %s", what)
		}
	}
}

func ssAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

// TestBrowserAccessibilityLibrarySelfService: the login form, its error
// state after a wrong PIN, the self-service page and its error state pass
// axe's WCAG 2.1 AA rules, each error at its field.
func TestBrowserAccessibilityLibrarySelfService(t *testing.T) {
	svc := selfServiceLibrary(t)
	pt := newSelfServicePatron(t, svc)
	p := newA11yPage(t)
	submit := func(action string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`form[action^="` + action + `"] button[type=submit]`))
	}
	p.load("open the login form", http.StatusOK, chromedp.Navigate(server.URL+"/library/login?lang=fi"))
	p.axe("library login form")

	p.do("type a wrong PIN", chromedp.SendKeys(chromedp.CSS("#customer"), pt.number), chromedp.SendKeys(chromedp.CSS("#pin"), "1234"))
	p.load("sign in", http.StatusUnauthorized, submit("/library/login"))
	p.errorState("library login error state", "pin")
	if p.value("#pin") != "" || p.value("#customer") != pt.number {
		t.Error("after a refusal the number should be kept and the PIN not shown back")
	}
	p.axe("library login form, error state")

	p.do("type the right PIN", chromedp.SendKeys(chromedp.CSS("#pin"), pt.pin))
	p.load("sign in", http.StatusOK, submit("/library/login"))
	p.axe("library self-service page")

	p.do("a bad postcode", chromedp.SetValue(chromedp.CSS("#postcode"), "123"))
	p.load("save", http.StatusBadRequest, submit("/library/me"))
	p.errorState("library self-service error state", "postcode")
	p.axe("library self-service page, error state")
}

// TestLibraryLoginThrottled: the login and self-service routes are under
// the HTTP API's throttling from template.yaml (DefaultRouteSettings, the
// same bucket as every route): past its burst they answer 429 before any
// PIN is checked.
func TestLibraryLoginThrottled(t *testing.T) {
	th := stack.TemplateThrottle()
	frozen := time.Now()
	th.Now = func() time.Time { return frozen }
	h := stack.HandlerWithThrottle(th)
	statuses := map[int]int{}
	for i := range int(th.Burst) + 5 {
		req := httptest.NewRequest(http.MethodGet, "/library/login?lang=en", nil)
		switch i % 3 {
		case 1: // an empty login: refused for its fields, nothing read
			req = httptest.NewRequest(http.MethodPost, "/library/login", strings.NewReader("customer=&pin="))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case 2:
			req = httptest.NewRequest(http.MethodGet, "/library/me", nil)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		statuses[rec.Code]++
	}
	if statuses[http.StatusTooManyRequests] != 5 || statuses[http.StatusTooManyRequests]+statuses[http.StatusOK]+
		statuses[http.StatusBadRequest]+statuses[http.StatusSeeOther] != int(th.Burst)+5 {
		t.Fatalf("burst %v: want %v answers then 5 × 429, got %v", th.Burst, th.Burst, statuses)
	}
}
