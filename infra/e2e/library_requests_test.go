package e2e

// Data-subject requests for library patrons on a stack of their own (its
// clock moved 75 days so a loan falls 60 days overdue and into the weekly
// transfer): a patron made through the form and the desk, loans and a fee
// from the circulation feed; an access request found by the customer
// number (as `staff requests create -register library -customer N` makes
// it) gives a copy listing the loans, the reservation, the fee and the
// collection transfer with the libraries' Art. 15 information and no
// identity code; an erasure keeps what the Public Libraries Act keeps
// (Art. 17(3)(b)) and says so.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"

	"rekisteri/internal/library"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
)

// lrSite is a stack of its own on the suite's emulators, with its own
// clock, and the library register over it as the staff tool opens it.
func lrSite(t *testing.T) (*clockSite, *library.Service) {
	t.Helper()
	return librarySite(t, "lreq")
}

// lrPatron pre-registers an adult through the form and collects the card
// as staff do, with a PIN; it returns the customer number, the PIN and the
// identity code.
func lrPatron(t *testing.T, site *clockSite, svc *library.Service) (number, pin, code string) {
	t.Helper()
	first, last, code := "Riikka"+randomHex(2), "Pyytäjä"+randomHex(2), libraryHetu(time.Date(1979, 3, 9, 0, 0, 0, 0, time.UTC))
	remember(first, last, code)
	r := site.postJSON(t, "/library/register", map[string]string{"first_name": first, "last_name": last, "hetu": code,
		"street": "Pyytäjänpolku 7", "postcode": "02600", "city": "Espoo", "email": newAddress(t), "lang": "en", "channel": "email", "group": "adult"})
	var out struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || out.Reference == "" {
		t.Fatalf("pre-register: %d %s", r.Status, r.Body)
	}
	number, err := svc.Collect(context.Background(), out.Reference, "e2e staff")
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	pin = fmt.Sprintf("%06d", rand.IntN(1e6))
	remember(number, pin)
	if err := svc.SetPIN(context.Background(), number, pin, "e2e staff"); err != nil {
		t.Fatalf("set the PIN: %v", err)
	}
	return number, pin, code
}

// lrNum is a number attribute's text.
func lrNum(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

// libraryPatronWithMatters is a patron with an open loan that the site's
// clock has made 60 days overdue and transferred, a reservation and an
// unpaid fee; it returns the customer number, its subject key and e-mail,
// and the identity code the patron registered with.
func libraryPatronWithMatters(t *testing.T, site *clockSite, svc *library.Service) (p lrPatronOf) {
	t.Helper()
	p.number, p.pin, p.code = lrPatron(t, site, svc)
	number := p.number
	pk := library.PatronPK(number)
	patron := libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron)
	p.subjectKey, p.email = str(patron["subjectKey"]), str(patron["email"])
	now := site.stack.Clock.Now().UTC().Truncate(time.Second)
	run := randomHex(3)
	at := now.Add(-time.Hour).Format(time.RFC3339)
	res := postCirculation(t, site, []map[string]any{
		{"id": "req-" + run + "-loan", "type": "loan", "customer": number, "at": at, "library": "espoo",
			"item": map[string]any{"id": "rq1-" + run, "title": "Sinuhe egyptiläinen", "price": "31.90"}, "due": now.AddDate(0, 0, 14).Format(time.DateOnly)},
		{"id": "req-" + run + "-resv", "type": "reservation", "customer": number, "at": at, "library": "vantaa",
			"item": map[string]any{"id": "rq2-" + run, "title": "Täällä Pohjantähden alla", "price": "25.00"}},
		{"id": "req-" + run + "-fee", "type": "fee", "customer": number, "at": at, "library": "espoo", "amount": "3.40"},
	})
	if res.Accepted != 3 {
		t.Fatalf("circulation: %+v", res)
	}
	// 75 days on, the loan is 61 days past its due date: this week's transfer.
	moveClock(t, site.url, url.Values{"advance": {"75d"}})
	site.runSchedules(t, "LibraryTransferFunction")
	if tr := libraryItem(t, site, "PATRONS_TABLE", pk, library.SKPatron); lrNum(tr["openTransfers"]) != "1" {
		t.Fatalf("the overdue loan was not transferred: openTransfers %q", lrNum(tr["openTransfers"]))
	}
	return p
}

// lrPatronOf is a patron of the test and how they are found.
type lrPatronOf struct {
	number, pin, code, subjectKey, email string
}

// libraryRequest stores a request for the patron of subjectKey as `staff
// requests create -register library` does, and processes it.
func libraryRequest(t *testing.T, site *clockSite, typ, subjectKey, email string) requests.Request {
	t.Helper()
	r := requests.New(site.stack.Clock.Now(), typ, subjectKey, email, "", "en", requests.Staff)
	r.Actor, r.Case, r.Register = "kirjasto-testi", "HELMET/"+randomHex(3), "library"
	if err := site.store(t).Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	site.send(t, "RequestsQueue", requests.OpProcess, r.ID())
	site.drain(t)
	return r
}

// copyOn downloads the access copy mailed to addr from site.
func copyOn(t *testing.T, site *clockSite, addr, format string) string {
	t.Helper()
	link, ok := mailWith(t, addr, "/requests/download")
	if !ok || !strings.HasPrefix(link, site.url) {
		t.Fatalf("no mail with the copy's link from the site: %q", link)
	}
	r := site.post(t, "/requests/download", url.Values{"token": {tokenOf(t, link)}, "format": {format}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("download: %d %s", r.Status, r.Body)
	}
	resp, err := http.Get(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the bucket's link: %d", resp.StatusCode)
	}
	return string(b)
}

// checkLibraryCopy: the copy lists the patron's loans, reservation, fee and
// transfer with the libraries' Art. 15 information, and holds no identity
// code, PIN or session.
func checkLibraryCopy(t *testing.T, p lrPatronOf, js, page string) {
	t.Helper()
	for _, s := range []string{p.code, p.pin, p.subjectKey} {
		if strings.Contains(js, s) || strings.Contains(page, s) {
			t.Error("the copy holds the identity code, the PIN or the subject key")
		}
	}
	var doc struct {
		Register, Controller string
		HoldsData            bool
		Records              []struct {
			Kind, Register string
			Items          []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("the copy's JSON: %v", err)
	}
	lib := register.MustLoad("library")
	if doc.Register != "library" || !doc.HoldsData || !strings.Contains(doc.Controller, lib.Controllers[0].Name.In("en")) {
		t.Errorf("the copy is the libraries': register %q controller %q holds %v", doc.Register, doc.Controller, doc.HoldsData)
	}
	kinds := map[string][]map[string]any{}
	for _, r := range doc.Records {
		kinds[r.Kind] = r.Items
	}
	for kind, n := range map[string]int{"patron": 1, "loan": 2, "fee": 1, "transfer": 1} {
		if len(kinds[kind]) != n {
			t.Errorf("the copy holds %d %s records, want %d", len(kinds[kind]), kind, n)
		}
	}
	if p := kinds["patron"]; len(p) == 1 && (p[0]["identityCode"] != requests.MaskedText || p[0]["pin"] != requests.MaskedText) {
		t.Errorf("the patron's identity code and PIN: %v, %v; want %q", p[0]["identityCode"], p[0]["pin"], requests.MaskedText)
	}
	for _, body := range []string{js, page} {
		for _, want := range []string{"Sinuhe egyptiläinen", "Täällä Pohjantähden alla", "3.40", "31.90"} {
			if !strings.Contains(body, want) {
				t.Errorf("the copy lacks %q (the loans, the fee, the transfer)", want)
			}
		}
	}
	agency := lib.Recipients[1]
	patron, _ := lib.Record("patron")
	for what, want := range map[string]string{"the collection agency": agency.Name.In("en"), "the retention": patron.Retention[0].Text.In("en"),
		"a joint controller's registry office": lib.Controllers[2].Office.Address, "the law": lib.Purposes[0].Name.In("en")} {
		if !strings.Contains(page, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("the readable copy lacks %s", what)
		}
	}
}

func TestLibraryRequestAccessByCustomerNumber(t *testing.T) {
	site, svc := lrSite(t)
	p := libraryPatronWithMatters(t, site, svc)
	r := libraryRequest(t, site, requests.Access, p.subjectKey, p.email)
	got, err := site.store(t).Get(context.Background(), r.ID())
	if err != nil || got.Status != requests.Resolved {
		t.Fatalf("the access request is answered: %v %v %v", got.Status, got.Steps, err)
	}
	checkLibraryCopy(t, p, copyOn(t, site, p.email, "json"), copyOn(t, site, p.email, "html"))
	if m := mailsMentioning(t, p.email, r.ID(), "/requests/download"); len(m) != 1 || !strings.Contains(m[0], "HelMet libraries") || strings.Contains(m[0], "Museum") {
		t.Errorf("the copy's mail is the libraries': %q", m)
	}
}

func TestLibraryRequestErasureKeepsTheUnpaidFee(t *testing.T) {
	site, svc := lrSite(t)
	p := libraryPatronWithMatters(t, site, svc)
	r := libraryRequest(t, site, requests.Erasure, p.subjectKey, p.email)
	got, err := site.store(t).Get(context.Background(), r.ID())
	if err != nil || got.Status != requests.Resolved {
		t.Fatalf("the erasure request is answered: %v %v %v", got.Status, got.Steps, err)
	}
	// Kept under the legal obligation: the patron, the open (transferred)
	// loan, the unpaid fee, the transfer; the reservation may go.
	for kind, want := range map[string]string{"kept.patron": "1", "kept.loan": "1", "kept.fee": "1", "kept.transfer": "1", "deleted.loan": "1"} {
		if got.Outcome[kind] != want {
			t.Errorf("outcome %s = %q, want %q (%v)", kind, got.Outcome[kind], want, got.Outcome)
		}
	}
	if it := libraryItem(t, site, "PATRONS_TABLE", library.PatronPK(p.number), library.SKPatron); str(it["restrictedFor"]) != "legal-obligation" {
		t.Errorf("the patron is kept restricted under the exception: %q", str(it["restrictedFor"]))
	}
	exc, _ := register.MustLoad("library").Exception("legal-obligation")
	reply := mailsMentioning(t, p.email, got.ID(), "17(3)(b)")
	if len(reply) != 1 || !strings.Contains(reply[0], exc.Text.In("en")) || !strings.Contains(reply[0], "Fee 1") ||
		!strings.Contains(reply[0], "Their processing is restricted") || !strings.Contains(reply[0], "HelMet libraries") || strings.Contains(reply[0], "Museum") {
		t.Errorf("the reply, signed by the libraries, names the fee kept and the exception: %q", reply)
	}
}

// lrSelf sends a self-service request to site with the session cookie.
func lrSelf(t *testing.T, site *clockSite, method, path string, form url.Values, cookie string, asJSON bool) response {
	t.Helper()
	req, _ := http.NewRequest(method, site.url+path, strings.NewReader(form.Encode()))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", library.SessionCookie+"="+cookie)
	}
	return do(t, req)
}

// lrSignIn signs the patron in and returns the session cookie and the
// CSRF token its forms carry.
func lrSignIn(t *testing.T, site *clockSite, p lrPatronOf) (cookie, csrf string) {
	t.Helper()
	r := lrSelf(t, site, http.MethodPost, "/library/login", url.Values{"customer": {p.number}, "pin": {p.pin}, "lang": {"en"}}, "", true)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == library.SessionCookie {
			cookie = c.Value
		}
	}
	if r.Status != http.StatusOK || cookie == "" {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	me := lrSelf(t, site, http.MethodGet, "/library/me", nil, cookie, true)
	var v map[string]any
	if err := json.Unmarshal([]byte(me.Body), &v); err != nil || me.Status != http.StatusOK {
		t.Fatalf("GET /library/me: %d %s", me.Status, me.Body)
	}
	csrf, _ = v[library.CSRFField].(string)
	return cookie, csrf
}

func TestLibraryRequestSelfServiceAccess(t *testing.T) {
	site, svc := lrSite(t)
	p := libraryPatronWithMatters(t, site, svc)
	cookie, csrf := lrSignIn(t, site, p)
	for _, tc := range []struct {
		name       string
		form       url.Values
		cookie     string
		asJSON     bool
		status     int
		wantInBody string
	}{
		{"not signed in", url.Values{"type": {"access"}, "csrf": {csrf}}, "", true, http.StatusUnauthorized, ""},
		{"no csrf token", url.Values{"type": {"access"}}, cookie, true, http.StatusForbidden, ""},
		{"erasure is asked at a library", url.Values{"type": {"erasure"}, "csrf": {csrf}}, cookie, true, http.StatusBadRequest, `"type"`},
		{"a rectification says what is wrong", url.Values{"type": {"rectification"}, "csrf": {csrf}}, cookie, true, http.StatusBadRequest, `"details"`},
		{"the form again, the error at its field", url.Values{"type": {"rectification"}, "csrf": {csrf}, "lang": {"en"}}, cookie, false, http.StatusBadRequest, `id="details-error"`},
		{"the page", nil, cookie, false, http.StatusOK, `name="csrf" value="` + csrf + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.form == nil {
				method = http.MethodGet
			}
			r := lrSelf(t, site, method, "/library/me/requests?lang=en", tc.form, tc.cookie, tc.asJSON)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.wantInBody) {
				t.Errorf("%d %s; want %d with %s", r.Status, r.Body, tc.status, tc.wantInBody)
			}
		})
	}
	r := lrSelf(t, site, http.MethodPost, "/library/me/requests", url.Values{"type": {"access"}, "csrf": {csrf}, "lang": {"en"}}, cookie, true)
	var out struct{ Status, ID, Due string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || out.Status != "received" || out.Due == "" {
		t.Fatalf("POST /library/me/requests: %d %s", r.Status, r.Body)
	}
	site.drain(t)
	got, err := site.store(t).Get(context.Background(), out.ID)
	if err != nil || got.Status != requests.Resolved || got.Channel != requests.SelfService || got.Register != "library" || got.SubjectKey != p.subjectKey {
		t.Fatalf("the self-service request is answered: %+v %v", got, err)
	}
	checkLibraryCopy(t, p, copyOn(t, site, p.email, "json"), copyOn(t, site, p.email, "html"))
}

// TestBrowserAccessibilityLibraryRequests: the self-service request form,
// its error state (a rectification that says nothing) and its answer pass
// axe's WCAG 2.1 AA rules, the error at its field.
func TestBrowserAccessibilityLibraryRequests(t *testing.T) {
	svc := selfServiceLibrary(t)
	pt := newSelfServicePatron(t, svc)
	p := newA11yPage(t)
	submit := func(action string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`form[action^="` + action + `"] button[type=submit]`))
	}
	p.load("open the login form", http.StatusOK, chromedp.Navigate(server.URL+"/library/login?lang=sv"))
	p.do("sign in", chromedp.SendKeys(chromedp.CSS("#customer"), pt.number), chromedp.SendKeys(chromedp.CSS("#pin"), pt.pin))
	p.load("sign in", http.StatusOK, submit("/library/login"))
	p.load("open the request form", http.StatusOK, chromedp.Navigate(server.URL+"/library/me/requests?lang=sv"))
	p.axe("library request form")

	p.do("a rectification without details", chromedp.Click(chromedp.CSS("#type-rectification")))
	p.load("send", http.StatusBadRequest, submit("/library/me/requests"))
	p.errorState("library request form error state", "details")
	p.axe("library request form, error state")

	p.do("a copy instead", chromedp.Click(chromedp.CSS("#type-access")))
	p.load("send", http.StatusAccepted, submit("/library/me/requests"))
	p.axe("library request received")
}
