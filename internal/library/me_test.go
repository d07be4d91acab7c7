package library_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/library"
)

// ssMe is GET /library/me as JSON.
func ssMe(t *testing.T, h http.Handler, c *http.Cookie) map[string]any {
	t.Helper()
	a := ssSend(h, http.MethodGet, "/library/me", nil, true, c)
	var out map[string]any
	if err := json.Unmarshal([]byte(a.body), &out); a.status != http.StatusOK || err != nil {
		t.Fatalf("GET /library/me: %d %s", a.status, a.body)
	}
	return out
}

// TestLibraryMePage: the page shows the patron's contact details, current
// loans, reservations and fees and whom they answer for; the identity code
// only as held; without a session, the way to the login form.
func TestLibraryMePage(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "3141")
	child := s.patronBorn(svc, "2718", s.now().AddDate(-10, 0, 0).Format(time.DateOnly))
	grown := s.patronBorn(svc, "2719", s.now().AddDate(-15, 0, -1).Format(time.DateOnly)) // turned 15 yesterday
	pk := library.PatronPK(n)
	at := s.now().Format(time.RFC3339)
	for _, r := range []struct {
		kind, state string
		item        map[string]any
	}{
		{library.KindLoan, "open", map[string]any{"pk": pk, "sk": library.LoanSK("i1"), "kind": library.KindLoan, "subjectKey": "s", "itemId": "i1",
			"title": "Seitsemän veljestä", "owner": "espoo", "type": "loan", "status": "open", "loanedAt": at, "dueDate": "2030-01-15", "renewals": 0}},
		{library.KindLoan, "reserved", map[string]any{"pk": pk, "sk": "resv#i2", "kind": library.KindLoan, "subjectKey": "s", "itemId": "i2",
			"title": "Kalevala", "owner": "vantaa", "type": "reservation", "status": "reserved", "reservedAt": at}},
		{library.KindFee, "unpaid", map[string]any{"pk": pk, "sk": library.FeeSK("f1"), "kind": library.KindFee, "subjectKey": "s",
			"owner": "helsinki", "reason": "late", "amount": "2.40", "status": "unpaid", "createdAt": at}},
		{library.KindGuardianLink, "active", map[string]any{"pk": pk, "sk": library.DependantSK(child), "kind": library.KindGuardianLink,
			"subjectKey": "s", "patronKey": "c", "responsibleKey": "g", "role": "guardian", "createdAt": at, "lastUsedAt": at}},
		// The sweep has not yet deleted the link of a child who turned 15: the page no longer shows it.
		{library.KindGuardianLink, "active", map[string]any{"pk": pk, "sk": library.DependantSK(grown), "kind": library.KindGuardianLink,
			"subjectKey": "s", "patronKey": "c2", "responsibleKey": "g", "role": "guardian", "createdAt": at, "lastUsedAt": at}},
		{library.KindLoan, "open", map[string]any{"pk": library.PatronPK(child), "sk": library.LoanSK("i3"), "kind": library.KindLoan,
			"subjectKey": "s", "itemId": "i3", "title": "Muumipeikko ja pyrstötähti", "owner": "kauniainen", "type": "loan", "status": "open",
			"loanedAt": at, "dueDate": "2030-02-01", "renewals": 0}},
	} {
		if err := svc.PutRecordForTest(s.ctx, r.kind, r.state, r.item); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name   string
		asJSON bool
		status int
		where  string
	}{{"page", false, http.StatusSeeOther, "/library/login?lang=fi"}, {"JSON", true, http.StatusUnauthorized, ""}} {
		a := ssSend(h, http.MethodGet, "/library/me", nil, tc.asJSON)
		if a.status != tc.status || a.header.Get("Location") != tc.where {
			t.Errorf("not signed in, %s: %d %q", tc.name, a.status, a.header.Get("Location"))
		}
	}

	c, _ := ssLogin(t, h, n, "3141")
	got := ssMe(t, h, c)
	for k, want := range map[string]string{"customer": n, "firstName": "Aino", "street": "Kirjastokatu 1", "postcode": "00100",
		"email": "aino.lukija@example.com", "lang": "fi", "channel": "email", "identityCodeHeld": "true"} {
		if fmt.Sprint(got[k]) != want {
			t.Errorf("%s = %v, want %s", k, got[k], want)
		}
	}
	all := fmt.Sprint(got)
	for _, want := range []string{"Seitsemän veljestä", "2030-01-15", "Kalevala", "2.40", "Aino Lukija", child, "Muumipeikko ja pyrstötähti"} {
		if !strings.Contains(all, want) {
			t.Errorf("the JSON lacks %q: %s", want, all)
		}
	}
	if strings.Contains(all, grown) {
		t.Error("a child of 15 is still shown to the guardian")
	}
	page := ssSend(h, http.MethodGet, "/library/me?lang=en", nil, false, c)
	for _, want := range []string{"Seitsemän veljestä", "2030-01-15", "Kalevala", "2.40 €", "unpaid", "Held in the register (not shown online).",
		"Persons you are responsible for", "Muumipeikko ja pyrstötähti", "2030-02-01", `name="csrf"`, `action="/library/logout?lang=en"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, never := range []string{"ciphertext", "sealId", "sessionHash", "$argon2id"} {
		if strings.Contains(page.body+all, never) {
			t.Errorf("the answers show %q", never)
		}
	}
}

// TestLibraryMeUpdate: each bad field is a 400 at that field and changes
// nothing; a good change is stored, shown, audited and stamps the last use.
func TestLibraryMeUpdate(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "1618")
	c, csrf := ssLogin(t, h, n, "1618")
	good := func(change ...string) url.Values {
		v := url.Values{library.CSRFField: {csrf}, "street": {"Uusikatu 2 B 5"}, "postcode": {"00200"}, "city": {"Espoo"},
			"phone": {"040 123 4567"}, "email": {"aino.uusi@example.com"}, "lang": {"sv"}, "channel": {"sms"}}
		for i := 0; i+1 < len(change); i += 2 {
			v.Set(change[i], change[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"bad postcode", good("postcode", "0200"), []string{"postcode"}},
		{"bad phone", good("phone", "12345"), []string{"phone"}},
		{"bad e-mail", good("email", "aino@"), []string{"email"}},
		{"e-mail channel without an e-mail", good("email", "", "channel", "email"), []string{"channel"}},
		{"text messages without a phone", good("phone", ""), []string{"channel"}},
		{"no street, unknown language and channel", good("street", "", "lang", "de", "channel", "pigeon"), []string{"street", "lang", "channel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ssSend(h, http.MethodPost, "/library/me", tc.form, true, c)
			var out struct{ Errors map[string]string }
			if err := json.Unmarshal([]byte(a.body), &out); a.status != http.StatusBadRequest || err != nil || len(out.Errors) != len(tc.fields) {
				t.Fatalf("%d %s, want 400 at %v", a.status, a.body, tc.fields)
			}
			for _, f := range tc.fields {
				if out.Errors[f] == "" {
					t.Errorf("no error at %s: %v", f, out.Errors)
				}
			}
			p := ssSend(h, http.MethodPost, "/library/me?lang=en", tc.form, false, c)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error-summary"`) ||
				!strings.Contains(p.body, `id="`+tc.fields[0]+`-error"`) {
				t.Errorf("the page: %d, no summary or no error at %s", p.status, tc.fields[0])
			}
			if it := s.item(n); it["street"] != "Kirjastokatu 1" {
				t.Errorf("a refused change was stored: %v", it["street"])
			}
		})
	}

	s.advance(time.Minute)
	a := ssSend(h, http.MethodPost, "/library/me?lang=en", good(), false, c)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/library/me?lang=en&saved=1" {
		t.Fatalf("update: %d %v %s", a.status, a.header.Get("Location"), a.body)
	}
	got := ssMe(t, h, c)
	for k, want := range map[string]string{"street": "Uusikatu 2 B 5", "postcode": "00200", "city": "Espoo", "phone": "+358401234567",
		"email": "aino.uusi@example.com", "lang": "sv", "channel": "sms"} {
		if fmt.Sprint(got[k]) != want {
			t.Errorf("%s = %v, want %s", k, got[k], want)
		}
	}
	if it := s.item(n); it["lastUsedAt"] != s.now().Format(time.RFC3339) {
		t.Errorf("lastUsedAt %v, want the update's time", it["lastUsedAt"])
	}
	if saved := ssSend(h, http.MethodGet, "/library/me?lang=en&saved=1", nil, false, c); !strings.Contains(saved.body, "Your details are saved.") {
		t.Error("the page after saving does not say so")
	}

	// Removing the e-mail with letters as the channel removes it.
	if a := ssSend(h, http.MethodPost, "/library/me", good("email", "", "channel", "letter"), true, c); a.status != http.StatusOK {
		t.Fatalf("update: %d %s", a.status, a.body)
	}
	if it := s.item(n); it["email"] != nil || it["delivery"] != "letter" {
		t.Errorf("email %v delivery %v", it["email"], it["delivery"])
	}

	// Each change is in the audit log, naming the patron by subject key only.
	out, err := s.stack.Clients().DynamoDB.Query(s.ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.plat.Table("audit")),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "AUDIT#" + s.now().UTC().Format("2006-01-02")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	_ = attributevalue.UnmarshalListOfMaps(out.Items, &entries)
	found := 0
	for _, e := range entries {
		if e["event"] == library.EventSelfServiceUpdate && e["subjectKey"] == ssSubjectOf(n) {
			found++
			if b, _ := json.Marshal(e); strings.Contains(string(b), "Uusikatu") || strings.Contains(string(b), n) {
				t.Errorf("the audit entry holds personal data: %s", b)
			}
		}
	}
	if found != 2 {
		t.Errorf("%d audit entries of the changes, want 2", found)
	}
}

// TestLibraryMeActForDependant: a guardian sees a child's page and changes
// its contact details (/library/me?child=N, a place in their list, never
// a number); a child who has turned 15 is no longer theirs to act for, and
// nobody acts for a patron they do not answer for.
func TestLibraryMeActForDependant(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	g := s.patron(svc, "1001")
	child := s.patronBorn(svc, "1002", s.now().AddDate(-9, 0, 0).Format(time.DateOnly))
	grown := s.patronBorn(svc, "1003", s.now().AddDate(-16, 0, 0).Format(time.DateOnly))
	at := s.now().Format(time.RFC3339)
	link := func(to string) map[string]any {
		return map[string]any{"pk": library.PatronPK(g), "sk": library.DependantSK(to), "kind": library.KindGuardianLink,
			"subjectKey": "s", "patronKey": "c", "responsibleKey": "g", "role": "guardian", "createdAt": at, "lastUsedAt": at}
	}
	// grown sorts before or after child by number; either way only child counts.
	for _, to := range []string{child, grown} {
		if err := svc.PutRecordForTest(s.ctx, library.KindGuardianLink, "active", link(to)); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.PutRecordForTest(s.ctx, library.KindLoan, "open", map[string]any{"pk": library.PatronPK(child), "sk": library.LoanSK("k1"),
		"kind": library.KindLoan, "subjectKey": "s", "itemId": "k1", "title": "Tatu ja Patu", "owner": "espoo", "type": "loan", "status": "open",
		"loanedAt": at, "dueDate": "2030-03-03", "renewals": 0}); err != nil {
		t.Fatal(err)
	}
	c, csrf := ssLogin(t, h, g, "1001")
	if page := ssSend(h, http.MethodGet, "/library/me?lang=en", nil, false, c); !strings.Contains(page.body, `href="/library/me?lang=en&amp;child=1"`) ||
		strings.Contains(page.body, "child=2") {
		t.Errorf("the guardian's page should link to the one child's page only")
	}
	a := ssSend(h, http.MethodGet, "/library/me?child=1", nil, true, c)
	var v map[string]any
	if err := json.Unmarshal([]byte(a.body), &v); a.status != http.StatusOK || err != nil || v["customer"] != child ||
		!strings.Contains(a.body, "Tatu ja Patu") {
		t.Fatalf("the child's page: %d %s", a.status, a.body)
	}
	for _, q := range []string{"2", "0", "x", child} {
		if a := ssSend(h, http.MethodGet, "/library/me?child="+q, nil, true, c); a.status != http.StatusNotFound {
			t.Errorf("child=%s: %d, want 404", q, a.status)
		}
	}
	change := url.Values{library.CSRFField: {csrf}, "street": {"Lapsentie 9"}, "postcode": {"02600"}, "city": {"Espoo"},
		"lang": {"fi"}, "channel": {"letter"}}
	if a := ssSend(h, http.MethodPost, "/library/me?lang=en&child=1", change, false, c); a.status != http.StatusSeeOther ||
		a.header.Get("Location") != "/library/me?lang=en&saved=1&child=1" {
		t.Fatalf("the change for the child: %d %v %s", a.status, a.header.Get("Location"), a.body)
	}
	if it := s.item(child); it["street"] != "Lapsentie 9" || it["delivery"] != "letter" || it["lastUsedAt"] != s.now().Format(time.RFC3339) {
		t.Errorf("the child's record: %v %v %v", it["street"], it["delivery"], it["lastUsedAt"])
	}
	if it := s.item(g); it["street"] != "Kirjastokatu 1" {
		t.Errorf("the guardian's own record changed: %v", it["street"])
	}
	if a := ssSend(h, http.MethodPost, "/library/me?child=2", change, true, c); a.status != http.StatusNotFound {
		t.Errorf("a change for the grown child: %d", a.status)
	}
	if it := s.item(grown); it["street"] != "Kirjastokatu 1" {
		t.Errorf("the grown child's record changed: %v", it["street"])
	}
	// The child signed in answers for nobody.
	cc, _ := ssLogin(t, h, child, "1002")
	if a := ssSend(h, http.MethodGet, "/library/me?child=1", nil, true, cc); a.status != http.StatusNotFound {
		t.Errorf("the child acting for someone: %d", a.status)
	}
}
