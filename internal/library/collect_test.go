package library_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local"
	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/register"
)

type librarySite struct {
	t     *testing.T
	ctx   context.Context
	stack *local.Stack
	svc   *library.Service
}

func newLibrarySite(t *testing.T) *librarySite {
	ctx := context.Background()
	stack := localtest.Stack(t, "lib")
	env := stack.Env["LibraryFunction"]
	base, _ := url.Parse("http://127.0.0.1:1")
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB:   stack.Clients().DynamoDB,
		Keys: keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]),
		Tables: library.Tables{Patrons: stack.Resolve("PatronsTable"), Loans: stack.Resolve("LoansTable"), Transfers: stack.Resolve("TransfersTable"),
			Statistics: stack.Resolve("StatisticsTable"), Mail: stack.Resolve("MailTable"), Audit: stack.Resolve("AuditTable"), Bookings: stack.Resolve("BookingsTable")},
		BaseURL: base, Now: stack.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &librarySite{t: t, ctx: ctx, stack: stack, svc: svc}
}

// hetuBorn is a valid temporary identity code (900–999) of someone years
// old on the stack's day, random so that each test is a new person.
func (s *librarySite) hetuBorn(years int) string {
	day := helsinki.Today(s.stack.Clock.Now()).AddDate(-years, 0, -rand.IntN(300))
	sign := "-"
	if day.Year() >= 2000 {
		sign = "A"
	}
	n := 900 + rand.IntN(100)
	v, _ := strconv.Atoi(day.Format("020106") + strconv.Itoa(n))
	return day.Format("020106") + sign + strconv.Itoa(n) + string("0123456789ABCDEFHJKLMNPRSTUVWXY"[v%31])
}

func (s *librarySite) do(method, path string, body any) (int, string) {
	s.t.Helper()
	var req *http.Request
	if body == nil {
		req = httptest.NewRequest(method, path, nil)
	} else {
		b, _ := json.Marshal(body)
		req = httptest.NewRequest(method, path, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	s.stack.Handler().ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func (s *librarySite) register(form map[string]string) string {
	s.t.Helper()
	code, body := s.do(http.MethodPost, "/library/register", form)
	var out struct{ Status, Reference string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || code != http.StatusAccepted || out.Status != "received" || out.Reference == "" {
		s.t.Fatalf("register: %d %s", code, body)
	}
	return out.Reference
}

func (s *librarySite) item(pk, sk string) map[string]any {
	s.t.Helper()
	out, err := s.stack.Clients().DynamoDB.GetItem(s.ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.stack.Resolve("PatronsTable")), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		s.t.Fatal(err)
	}
	return m
}

func person(first, code, email string) map[string]string {
	return map[string]string{"first_name": first, "last_name": "Lukija", "hetu": code, "street": "Kirjastokatu 1",
		"postcode": "02100", "city": "Espoo", "email": email, "channel": "email", "group": "adult", "lang": "fi"}
}

// sealedNotPlain says item holds attr sealed and none of codes anywhere.
func (s *librarySite) sealedNotPlain(what string, item map[string]any, attr string, codes ...string) {
	s.t.Helper()
	sealed, _ := item[attr].(map[string]any)
	if sealed == nil || sealed["ciphertext"] == nil || sealed["keyId"] == nil {
		s.t.Errorf("%s: %s should be sealed, is %T", what, attr, item[attr])
	}
	b, _ := json.Marshal(item)
	for _, c := range codes {
		if strings.Contains(strings.ToUpper(string(b)), c) {
			s.t.Errorf("%s holds an identity code in clear", what)
		}
	}
}

// audited says the audit log holds event for ref by actor today, and none
// of personal in any entry.
func (s *librarySite) audited(event, ref, actor string, personal ...string) {
	s.t.Helper()
	out, err := s.stack.Clients().DynamoDB.Query(s.ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.stack.Resolve("AuditTable")), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "AUDIT#" + s.stack.Clock.Now().UTC().Format(time.DateOnly)}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	var entries []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &entries); err != nil {
		s.t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e["event"] == event && e["ref"] == ref && e["actor"] == actor
		b, _ := json.Marshal(e)
		for _, p := range personal {
			if strings.Contains(string(b), p) {
				s.t.Errorf("an audit entry holds personal data: %s", b)
			}
		}
	}
	if !found {
		s.t.Errorf("no audit entry %s of %s by %s among %d", event, ref, actor, len(entries))
	}
}

// TestLibraryCollectAdult: a pre-registration collects into a patron with
// a valid customer number, the sealed code and its seal id copied as they
// are, its retention stamped (patron-inactive), the pre-registration gone;
// collecting it again finds nothing, and the person is a patron once.
func TestLibraryCollectAdult(t *testing.T) {
	s := newLibrarySite(t)
	code := s.hetuBorn(40)
	ref := s.register(person("Aino", code, "aino-collect@example.com"))
	pre := s.item("prereg#"+ref, "prereg")
	if pre == nil || pre["status"] != "pending" || pre["expiryRule"] != "preregistration-uncollected" {
		t.Fatalf("the pre-registration: %v", pre)
	}
	s.sealedNotPlain("the pre-registration", pre, "identityCode", code)

	number, err := s.svc.Collect(s.ctx, strings.ToLower(ref[:5])+"-"+ref[5:], "desk-1")
	if err != nil || !library.ValidCustomerNumber(number) {
		t.Fatalf("collect: %q %v", number, err)
	}
	p := s.item(library.PatronPK(number), library.SKPatron)
	if p == nil || p["customerNumber"] != number || p["firstName"] != "Aino" || p["sealId"] != pre["sealId"] || p["subjectKey"] != pre["subjectKey"] ||
		p["birthDate"] != pre["birthDate"] || p["status"] != "active" || p["expiryRule"] != "patron-inactive" || p["createdAt"] != p["lastUsedAt"] {
		t.Fatalf("the patron: %v", p)
	}
	if fmt.Sprint(p["identityCode"]) != fmt.Sprint(pre["identityCode"]) {
		t.Error("the sealed identity code should be copied as it is, never opened")
	}
	s.sealedNotPlain("the patron", p, "identityCode", code)
	if s.item("prereg#"+ref, "prereg") != nil {
		t.Error("the pre-registration should be gone once collected")
	}
	s.audited("library-card-collected", ref, "desk-1", code, number, "Aino")
	if _, err := s.svc.Collect(s.ctx, ref, "desk-1"); !errors.Is(err, library.ErrNoPreregistration) {
		t.Errorf("a second collection: %v", err)
	}
	again := s.register(person("Aino", code, "aino-collect@example.com"))
	if _, err := s.svc.Collect(s.ctx, again, "desk-1"); !errors.Is(err, library.ErrAlreadyPatron) {
		t.Errorf("the same person pre-registered again: %v", err)
	}
	if _, err := s.svc.Collect(s.ctx, "not-a-ref", "desk-1"); !errors.Is(err, library.ErrNoPreregistration) {
		t.Errorf("a mistyped reference: %v", err)
	}
}

// TestLibraryCollectChildWithGuardian: a child collects with a new
// guardian patron and the links both ways, lapsing on the child's 15th
// birthday; a sibling's collection links to the same guardian.
func TestLibraryCollectChildWithGuardian(t *testing.T) {
	s := newLibrarySite(t)
	gcode := s.hetuBorn(41)
	child := func(first string) (string, string) {
		code := s.hetuBorn(8)
		f := person(first, code, "")
		f["channel"], f["group"] = "letter", "child"
		f["guardian_first_name"], f["guardian_last_name"], f["guardian_hetu"], f["guardian_email"] = "Aino", "Lukija", gcode, "aino-guardian@example.com"
		return s.register(f), code
	}
	ref, code := child("Eetu")
	got, err := s.svc.CollectAll(s.ctx, ref, "desk-2")
	if err != nil || got.GuardianNumber == "" || got.GuardianExisted || !library.ValidCustomerNumber(got.GuardianNumber) {
		t.Fatalf("collect: %+v %v", got, err)
	}
	c := s.item(library.PatronPK(got.CustomerNumber), library.SKPatron)
	g := s.item(library.PatronPK(got.GuardianNumber), library.SKPatron)
	if c == nil || g == nil || c["customerGroup"] != "child" || g["customerGroup"] != "adult" || g["email"] != "aino-guardian@example.com" || g["birthDate"] == "" {
		t.Fatalf("child %v\nguardian %v", c, g)
	}
	s.sealedNotPlain("the child", c, "identityCode", code, gcode)
	s.sealedNotPlain("the guardian", g, "identityCode", code, gcode)
	if c["sealId"] == g["sealId"] || c["subjectKey"] == g["subjectKey"] {
		t.Error("each person has a seal id and a subject key of their own")
	}
	birth, _ := time.Parse(time.DateOnly, c["birthDate"].(string))
	lapse := birth.AddDate(library.GuardianAge, 0, 0)
	for _, l := range []map[string]any{
		s.item(library.PatronPK(got.CustomerNumber), library.GuardianSK(got.GuardianNumber)),
		s.item(library.PatronPK(got.GuardianNumber), library.DependantSK(got.CustomerNumber)),
	} {
		if l == nil || l["kind"] != "guardian-link" || l["expiryRule"] != "guardian-link-minor" || l["role"] != "guardian" || l["patronKey"] != c["subjectKey"] || l["responsibleKey"] != g["subjectKey"] {
			t.Fatalf("link %v", l)
		}
		if at := time.Unix(int64(l["expiresAt"].(float64)), 0).UTC(); at.Before(lapse) || at.After(lapse.Add(48*time.Hour)) {
			t.Errorf("the link lapses %s, want the 15th birthday %s", at, lapse.Format(time.DateOnly))
		}
	}
	ref2, _ := child("Ella")
	got2, err := s.svc.CollectAll(s.ctx, ref2, "desk-2")
	if err != nil || !got2.GuardianExisted || got2.GuardianNumber != got.GuardianNumber {
		t.Fatalf("the sibling: %+v %v (guardian %s)", got2, err, got.GuardianNumber)
	}
	if s.item(library.PatronPK(got.GuardianNumber), library.DependantSK(got2.CustomerNumber)) == nil {
		t.Error("the guardian should be linked to the second child too")
	}
}

// TestLibraryPINLink: the link mailed sets a PIN once; CheckPIN accepts it.
func TestLibraryPINLink(t *testing.T) {
	s := newLibrarySite(t)
	addr := fmt.Sprintf("pin-%d@example.com", rand.IntN(1e9))
	number, err := s.svc.Collect(s.ctx, s.register(person("Pia", s.hetuBorn(30), addr)), "desk-3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.svc.SetPIN(s.ctx, number, "12a4", "desk-3"); !errors.Is(err, library.ErrPINInvalid) {
		t.Errorf("a PIN with a letter: %v", err)
	}
	if err := s.svc.SendPINLink(s.ctx, number, "desk-3"); err != nil {
		t.Fatal(err)
	}
	if err := s.stack.Drain(s.ctx); err != nil {
		t.Fatal(err)
	}
	mails, err := s.stack.SentMail(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, m := range mails {
		for _, l := range m.Links() {
			if strings.EqualFold(m.Parsed.To, addr) && strings.Contains(l, "/library/pin?") {
				link = l
			}
		}
		if strings.EqualFold(m.Parsed.To, addr) && strings.Contains(m.Parsed.Text, number) {
			t.Error("a mail holds the customer number")
		}
	}
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no PIN link mailed to %s", addr)
	}
	tok := u.Query().Get("token")
	if code, body := s.do(http.MethodGet, u.RequestURI(), nil); code != http.StatusOK {
		t.Fatalf("the link's page: %d %s", code, body)
	}
	steps := []struct {
		name  string
		body  map[string]string
		code  int
		field string
	}{
		{"too short", map[string]string{"token": tok, "pin": "123", "pin2": "123"}, 400, "pin"},
		{"not the same twice", map[string]string{"token": tok, "pin": "4321", "pin2": "4322"}, 400, "pin2"},
		{"a broken token", map[string]string{"token": tok + "x", "pin": "4321", "pin2": "4321"}, 400, ""},
		{"set", map[string]string{"token": tok, "pin": "4321", "pin2": "4321"}, 200, ""},
		{"the link again", map[string]string{"token": tok, "pin": "9999", "pin2": "9999"}, 410, ""},
	}
	for _, st := range steps {
		code, body := s.do(http.MethodPost, "/library/pin", st.body)
		if code != st.code || (st.field != "" && !strings.Contains(body, `"`+st.field+`"`)) {
			t.Errorf("%s: %d %s", st.name, code, body)
		}
	}
	p := s.item(library.PatronPK(number), library.SKPatron)
	ok, err := library.CheckPIN(fmt.Sprint(p["pin"]), "4321")
	if err != nil || !ok || p["pinLinkId"] != nil || p["pinSetAt"] == nil {
		t.Fatalf("the stored PIN: ok %v %v; %v", ok, err, p)
	}
	if strings.Contains(fmt.Sprint(p), "4321") {
		t.Error("the PIN is stored in clear")
	}
	if code, _ := s.do(http.MethodGet, u.RequestURI(), nil); code != http.StatusGone {
		t.Errorf("the used link's page: %d", code)
	}
	if err := s.svc.SetPIN(s.ctx, number, "87654321", "desk-3"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := library.CheckPIN(fmt.Sprint(s.item(library.PatronPK(number), library.SKPatron)["pin"]), "87654321"); !ok {
		t.Error("the PIN set at the desk does not check")
	}
}
