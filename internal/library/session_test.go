package library_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/infra/local"
	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// ssSite is the library register over a local stack's tables, served
// straight from its routes, with a clock the test moves.
type ssSite struct {
	t     *testing.T
	ctx   context.Context
	stack *local.Stack
	cat   *record.Catalogue
	plat  *record.Catalogue
	mu    sync.Mutex
	at    time.Time
	keys  keyring.Keys
}

func newSSSite(t *testing.T) *ssSite {
	t.Helper()
	stack := localtest.Stack(t, "lss")
	env := stack.Env["LibraryFunction"]
	keys, err := keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]).Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &ssSite{t: t, ctx: context.Background(), stack: stack, cat: localtest.Catalogue(t, stack, "library"),
		plat: localtest.Catalogue(t, stack, "museum"), at: time.Now().UTC().Truncate(time.Second), keys: keys}
}

func (s *ssSite) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at
}

func (s *ssSite) advance(d time.Duration) {
	s.mu.Lock()
	s.at = s.at.Add(d)
	s.mu.Unlock()
}

// service is the register as served at base.
func (s *ssSite) service(base string) *library.Service {
	s.t.Helper()
	u, _ := url.Parse(base)
	env := s.stack.Env["LibraryFunction"]
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB:   s.stack.Clients().DynamoDB,
		Keys: keyring.New(s.stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]),
		Tables: library.Tables{Patrons: s.cat.Table("patrons"), Loans: s.cat.Table("loans"), Transfers: s.cat.Table("transfers"),
			Statistics: s.cat.Table("statistics"), Mail: s.plat.Table("mail"), Audit: s.plat.Table("audit"), Bookings: s.plat.Table("bookings")},
		BaseURL: u, Now: s.now,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return svc
}

// ssNumber is a fresh customer number no other test uses.
func ssNumber() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e13))
	return fmt.Sprintf("9%013d", n)
}

// ssSubjectOf is a test patron's subject key: not its number.
func ssSubjectOf(number string) string {
	return "test-subject-" + strings.Map(func(r rune) rune { return 'a' + r - '0' }, number)
}

// patron writes an adult patron with pin, as collection does, and returns
// its customer number.
func (s *ssSite) patron(svc *library.Service, pin string) string {
	s.t.Helper()
	return s.patronBorn(svc, pin, "1990-05-01")
}

// patronBorn is patron born on the day (YYYY-MM-DD).
func (s *ssSite) patronBorn(svc *library.Service, pin, born string) string {
	s.t.Helper()
	n := ssNumber()
	h, err := library.HashPIN(pin)
	if err != nil {
		s.t.Fatal(err)
	}
	at := s.now().Format(time.RFC3339)
	p := &library.Patron{PK: library.PatronPK(n), SK: library.SKPatron, SubjectKey: ssSubjectOf(n), CustomerNumber: n,
		FirstName: "Aino", LastName: "Lukija", SealID: "seal-" + n, PIN: h,
		IdentityCode: &fieldcrypt.Sealed{Version: 1, KeyID: "test", EncryptedKey: []byte("k"), Nonce: []byte("n"), Ciphertext: []byte("c")},
		Street:       "Kirjastokatu 1", Postcode: "00100", City: "Helsinki", Email: "aino.lukija@example.com", BirthDate: born,
		CustomerGroup: library.GroupAdult, Lang: "fi", Delivery: library.ChannelEmail, CreatedAt: at, LastUsedAt: at}
	if err := svc.PutPatronForTest(s.ctx, p); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// item is the stored patron record of number.
func (s *ssSite) item(number string) map[string]any {
	s.t.Helper()
	out, err := s.stack.Clients().DynamoDB.GetItem(s.ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.cat.Table("patrons")), Key: dynamo.Key(library.PatronPK(number), library.SKPatron), ConsistentRead: aws.Bool(true)})
	if err != nil {
		s.t.Fatal(err)
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		s.t.Fatal(err)
	}
	return m
}

type ssAnswer struct {
	status  int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

// ssSend is one request to h, with cookies and the form (JSON answers when asJSON).
func ssSend(h http.Handler, method, path string, form url.Values, asJSON bool, cookies ...*http.Cookie) ssAnswer {
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	res := w.Result()
	return ssAnswer{status: w.Code, body: w.Body.String(), header: w.Header(), cookies: res.Cookies()}
}

func (a ssAnswer) cookie() *http.Cookie {
	for _, c := range a.cookies {
		if c.Name == library.SessionCookie {
			return c
		}
	}
	return nil
}

// ssLogin signs number in with pin and answers the session cookie and the
// CSRF token (JSON), failing the test unless it works.
func ssLogin(t *testing.T, h http.Handler, number, pin string) (*http.Cookie, string) {
	t.Helper()
	a := ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {number}, "pin": {pin}}, true)
	var out map[string]string
	if err := json.Unmarshal([]byte(a.body), &out); a.status != http.StatusOK || err != nil || a.cookie() == nil {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	return a.cookie(), out[library.CSRFField]
}

// TestLibraryLoginRefusalsLookAlike: a wrong PIN, an unknown number, a
// locked number (even with its right PIN), a malformed number and a patron
// without a PIN all get one answer — the same status and the same text, in
// JSON and on the page — and no cookie.
func TestLibraryLoginRefusalsLookAlike(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	wrong := s.patron(svc, "4821")
	locked := s.patron(svc, "1357")
	for range library.MaxFailedLogins {
		ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {locked}, "pin": {"0000"}}, true)
	}
	noPIN := ssNumber()
	if err := svc.PutPatronForTest(s.ctx, &library.Patron{PK: library.PatronPK(noPIN), SK: library.SKPatron, CustomerNumber: noPIN,
		SubjectKey: "test-subject-" + noPIN, FirstName: "Ei", LastName: "Tunnuslukua", LastUsedAt: s.now().Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, customer, pin string }{
		{"wrong PIN", wrong, "4822"},
		{"unknown number", ssNumber(), "4821"},
		{"locked number, right PIN", locked, "1357"},
		{"locked number, wrong PIN", locked, "9999"},
		{"malformed number", "12#34", "4821"},
		{"patron without a PIN", noPIN, "00000000"},
	}
	var firstJSON, firstPage string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {tc.customer}, "pin": {tc.pin}}, true)
			p := ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {tc.customer}, "pin": {tc.pin}, "lang": {"en"}}, false)
			for _, a := range []ssAnswer{j, p} {
				if a.status != http.StatusUnauthorized || a.cookie() != nil {
					t.Fatalf("answer %d, cookie %v: want 401 and no cookie", a.status, a.cookie())
				}
				if strings.Contains(a.body, tc.pin) {
					t.Error("the PIN is shown back")
				}
			}
			page := strings.ReplaceAll(p.body, tc.customer, "NUMBER") // the number typed is shown back in its field
			if firstJSON == "" {
				firstJSON, firstPage = j.body, page
			}
			if j.body != firstJSON {
				t.Errorf("JSON answer\n%s\ndiffers from the first case's\n%s", j.body, firstJSON)
			}
			if page != firstPage {
				t.Errorf("the page differs from the first case's")
			}
			if !strings.Contains(p.body, "locked for 15 minutes after 5 wrong attempts") || !strings.Contains(p.body, `aria-invalid="true"`) {
				t.Errorf("the page does not state the refusal at the PIN field: %s", p.body)
			}
		})
	}
	// The locked number's counter did not move while it was locked, and
	// nothing was created for the unknown one.
	if it := s.item(locked); it["lockedUntil"] == nil || fmt.Sprint(it["failedLogins"]) != "0" {
		t.Errorf("locked patron: failedLogins %v lockedUntil %v", it["failedLogins"], it["lockedUntil"])
	}
	if it := s.item(cases[1].customer); len(it) != 0 {
		t.Errorf("a refused unknown number left an item: %v", it)
	}
}

// TestLibraryLockout: MaxFailedLogins wrong PINs in a row lock the number
// for LockoutPeriod; fewer do not, and a right PIN resets the count.
func TestLibraryLockout(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "2468")
	try := func(pin string) int {
		return ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {n}, "pin": {pin}}, true).status
	}
	steps := []struct {
		name    string
		wrong   int // wrong PINs first
		advance time.Duration
		want    int // then the right PIN
	}{
		{"one below the limit, then the right PIN", library.MaxFailedLogins - 1, 0, http.StatusOK},
		{"the count was reset: the limit again", library.MaxFailedLogins - 1, 0, http.StatusOK},
		{"the limit locks", library.MaxFailedLogins, 0, http.StatusUnauthorized},
		{"still locked a second before the end", 0, library.LockoutPeriod - 2*time.Second, http.StatusUnauthorized},
		{"open again after the period", 0, 2 * time.Second, http.StatusOK},
	}
	for _, st := range steps {
		for range st.wrong {
			if got := try("1111"); got != http.StatusUnauthorized {
				t.Fatalf("%s: a wrong PIN answered %d", st.name, got)
			}
		}
		s.advance(st.advance)
		if got := try("2468"); got != st.want {
			t.Fatalf("%s: the right PIN answered %d, want %d (record %v)", st.name, got, st.want, s.item(n))
		}
	}
	it := s.item(n)
	if fmt.Sprint(it["failedLogins"]) != "0" || it["lockedUntil"] != nil {
		t.Errorf("after a sign-in: failedLogins %v lockedUntil %v", it["failedLogins"], it["lockedUntil"])
	}
}

// TestLibrarySessionCookie: the cookie's flags, Secure everywhere but plain
// http on this machine; signing in stamps the last use and its retention.
func TestLibrarySessionCookie(t *testing.T) {
	s := newSSSite(t)
	for _, tc := range []struct {
		base   string
		secure bool
	}{
		{"https://kirjasto.example", true},
		{"http://kirjasto.example", true},
		{"http://localhost:8080", false},
		{"http://127.0.0.1:1", false},
	} {
		t.Run(tc.base, func(t *testing.T) {
			svc := s.service(tc.base)
			n := s.patron(svc, "8642")
			s.advance(time.Hour)
			a := ssSend(svc.Routes(), http.MethodPost, "/library/login", url.Values{"customer": {n}, "pin": {"8642"}, "lang": {"sv"}}, false)
			c := a.cookie()
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/library/me?lang=sv" || c == nil {
				t.Fatalf("login: %d %v %v", a.status, a.header, c)
			}
			if !c.HttpOnly || c.Secure != tc.secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/library" ||
				c.MaxAge != int(library.SessionLifetime/time.Second) {
				t.Errorf("cookie %+v", c)
			}
			if strings.Contains(c.Value, "8642") {
				t.Error("the PIN is in the cookie")
			}
			it := s.item(n)
			if it["lastUsedAt"] != s.now().Format(time.RFC3339) || it["sessionHash"] == nil {
				t.Errorf("lastUsedAt %v sessionHash %v", it["lastUsedAt"], it["sessionHash"])
			}
			// patron-inactive: 3 years after the last use, on 1 January.
			if exp, _ := it["expiresAt"].(float64); time.Unix(int64(exp), 0).Before(s.now().AddDate(3, 0, 0)) {
				t.Errorf("expiresAt %v is not 3 years after the sign-in", it["expiresAt"])
			}
		})
	}
}

// TestLibraryCSRF: a form that acts without the session's token, with a
// wrong one or with another session's is refused (403) and changes
// nothing; the session's own works.
func TestLibraryCSRF(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "5555")
	other := s.patron(svc, "6666")
	_, otherCSRF := ssLogin(t, h, other, "6666")
	c, csrf := ssLogin(t, h, n, "5555")
	change := url.Values{"street": {"Uusikatu 2"}, "postcode": {"00200"}, "city": {"Helsinki"}, "lang": {"fi"}, "channel": {"letter"}}
	with := func(token string) url.Values {
		v := url.Values{}
		for k, vs := range change {
			v[k] = vs
		}
		if token != "" {
			v.Set(library.CSRFField, token)
		}
		return v
	}
	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", "x" + csrf[1:]}, {"another session's", otherCSRF}} {
		for _, path := range []string{"/library/me", "/library/logout"} {
			a := ssSend(h, http.MethodPost, path, with(tc.token), false, c)
			if a.status != http.StatusForbidden {
				t.Errorf("%s %s: %d", tc.name, path, a.status)
			}
		}
	}
	if it := s.item(n); it["street"] != "Kirjastokatu 1" || it["sessionHash"] == nil {
		t.Fatalf("a refused form changed the record: %v", it["street"])
	}
	if a := ssSend(h, http.MethodPost, "/library/me", with(csrf), false, c); a.status != http.StatusSeeOther {
		t.Fatalf("the session's own token: %d %s", a.status, a.body)
	}
	if it := s.item(n); it["street"] != "Uusikatu 2" {
		t.Errorf("street %v", it["street"])
	}
}

// TestLibrarySessionEnds: the session ends after its lifetime, on signing
// out (the old cookie is then of no use) and on signing in elsewhere.
func TestLibrarySessionEnds(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "7777")
	signedIn := func(c *http.Cookie) bool {
		return ssSend(h, http.MethodGet, "/library/me", nil, true, c).status == http.StatusOK
	}

	c, _ := ssLogin(t, h, n, "7777")
	if !signedIn(c) {
		t.Fatal("not signed in after login")
	}
	s.advance(library.SessionLifetime + time.Second)
	if signedIn(c) {
		t.Error("the session outlived its lifetime")
	}
	if a := ssSend(h, http.MethodGet, "/library/me?lang=en", nil, false, c); a.status != http.StatusSeeOther ||
		a.header.Get("Location") != "/library/login?lang=en&from=expired" {
		t.Errorf("an expired session's page: %d %v", a.status, a.header.Get("Location"))
	}

	c, csrf := ssLogin(t, h, n, "7777")
	out := ssSend(h, http.MethodPost, "/library/logout", url.Values{library.CSRFField: {csrf}}, false, c)
	if out.status != http.StatusSeeOther || out.cookie() == nil || out.cookie().MaxAge >= 0 {
		t.Fatalf("logout: %d %v", out.status, out.cookie())
	}
	if signedIn(c) {
		t.Error("the cookie still works after signing out")
	}

	first, _ := ssLogin(t, h, n, "7777")
	second, _ := ssLogin(t, h, n, "7777")
	if signedIn(first) || !signedIn(second) {
		t.Error("signing in again should end the earlier session")
	}
}
