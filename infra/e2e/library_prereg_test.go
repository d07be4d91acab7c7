package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/hetu"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/register"
)

// preregHetu is a valid temporary identity code (900–999) of someone years
// old on the suite's day; random, so each test is a new person. It is
// remembered: the final scans look for it in logs, queues, answers, mail
// and every stored item (TestZZIdentityCodesNowhereInClear).
func preregHetu(years int) string {
	code := hetu.Make(helsinki.Today(now()).AddDate(-years, 0, -rand.IntN(300)), 900+rand.IntN(100))
	remember(code)
	testCodes = append(testCodes, code)
	return code
}

func preregForm(addr, code string) map[string]string {
	remember("Kirjastonkatu 7", "Lukutoukka")
	return map[string]string{"first_name": "Aino", "last_name": "Lukutoukka", "hetu": code, "street": "Kirjastonkatu 7",
		"postcode": "02100", "city": "Espoo", "phone": "040 765 4321", "email": addr, "channel": "email", "group": "adult", "lang": "en"}
}

func preregister(t *testing.T, form map[string]string) (string, response) {
	t.Helper()
	b, _ := json.Marshal(form)
	r := post(t, "/library/register", string(b))
	var out struct{ Status, Reference string }
	_ = json.Unmarshal([]byte(r.Body), &out)
	return out.Reference, r
}

// TestLibraryPreregistration: a pre-registration over HTTP is 202 with a
// reference, stored sealed and stamped for deletion after 3 months, and
// mails the reference and where to collect the card — never the identity
// code; a bot's honeypot gets the same answer and nothing is kept.
func TestLibraryPreregistration(t *testing.T) {
	addr := newAddress(t)
	code := preregHetu(33)
	ref, r := preregister(t, preregForm(addr, code))
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"status":"received"`) || library.NormalizeReference(ref) != ref {
		t.Fatalf("pre-register: %d %s", r.Status, r.Body)
	}
	it := item(t, "PatronsTable", library.PreregPK(ref), library.SKPrereg)
	if it == nil || it["kind"] != "preregistration" || it["status"] != "pending" || it["expiryRule"] != "preregistration-uncollected" ||
		it["phone"] != "+358407654321" || it["identityCode"] == nil || it["subjectKey"] == nil {
		t.Fatalf("stored: %v", it)
	}
	if b, _ := json.Marshal(it); strings.Contains(strings.ToUpper(string(b)), code) {
		t.Fatal("the identity code is stored in clear")
	}
	drain(t)
	mails := mailsTo(t, addr)
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.Parsed.Subject, ref) || !strings.Contains(m.Parsed.Text, ref) || !strings.Contains(m.Parsed.Text, "any library") ||
		!strings.Contains(m.Parsed.Text, "3 months") || !strings.Contains(m.Parsed.Text, "/privacy?lang=en&register=library") {
		t.Errorf("the receipt mail:\n%s\n%s", m.Parsed.Subject, m.Parsed.Text)
	}
	if strings.Contains(strings.ToUpper(string(m.Raw)+m.Parsed.Text+m.Parsed.HTML), code) {
		t.Error("the mail holds the identity code")
	}

	bot := preregForm(newAddress(t), preregHetu(30))
	bot["website"] = "http://spam.example"
	ref, r = preregister(t, bot)
	if r.Status != http.StatusAccepted || ref == "" || item(t, "PatronsTable", library.PreregPK(ref), library.SKPrereg) != nil {
		t.Errorf("the honeypot: %d %s, stored %v", r.Status, r.Body, ref)
	}

	// The form's page in every language, without JavaScript.
	for _, lang := range register.Languages {
		if p := get(t, "/library/register?lang="+lang); p.Status != http.StatusOK || !strings.Contains(p.Body, `name="guardian_hetu"`) || !strings.Contains(p.Body, `<html lang="`+lang+`"`) {
			t.Errorf("the form in %s: %d", lang, p.Status)
		}
	}
}

// TestLibraryPreregistrationRefusesBadFields: every bad field is a 400 at
// that field, and nothing is stored or mailed.
func TestLibraryPreregistrationRefusesBadFields(t *testing.T) {
	addr := newAddress(t)
	adult, child, young := preregHetu(44), preregHetu(6), preregHetu(16)
	bad := adult[:10] + map[bool]string{true: "A", false: "B"}[adult[10] != 'A']
	withGuardian := func(kv ...string) map[string]string {
		f := preregForm(addr, child)
		f["group"], f["guardian_first_name"], f["guardian_last_name"], f["guardian_hetu"] = "child", "Aila", "Lukutoukka", adult
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return f
	}
	with := func(kv ...string) map[string]string {
		f := preregForm(addr, adult)
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return f
	}
	tests := []struct {
		name  string
		form  map[string]string
		field string
	}{
		{"an identity code with a wrong check character", with("hetu", bad), "hetu"},
		{"a child without a guardian", withGuardian("guardian_first_name", "", "guardian_last_name", "", "guardian_hetu", ""), "guardian_hetu"},
		{"a guardian under 18", withGuardian("guardian_hetu", young), "guardian_hetu"},
		{"a postcode of four digits", with("postcode", "0210"), "postcode"},
		{"a phone of letters", with("phone", "soita"), "phone"},
		{"a bad e-mail", with("email", "aino@"), "email"},
		{"e-mail as the channel without an address", with("email", ""), "email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r := preregister(t, tc.form)
			var out struct{ Errors map[string]string }
			if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusBadRequest || out.Errors[tc.field] == "" {
				t.Fatalf("%d %s, want an error at %s", r.Status, r.Body, tc.field)
			}
			if strings.Contains(strings.ToUpper(r.Body), adult) || strings.Contains(strings.ToUpper(r.Body), child) {
				t.Error("an error answer holds an identity code")
			}
		})
	}
	ref, r := preregister(t, withGuardian())
	if r.Status != http.StatusAccepted {
		t.Fatalf("the child with a guardian: %d %s", r.Status, r.Body)
	}
	// Collected at the desk: two patrons, linked both ways until the child is 15.
	got, err := librarySvc(t).CollectAll(context.Background(), ref, "e2e-desk")
	if err != nil || got.GuardianNumber == "" || got.GuardianExisted {
		t.Fatalf("collect the child: %+v %v", got, err)
	}
	remember(got.CustomerNumber, got.GuardianNumber)
	for _, k := range [][2]string{
		{library.PatronPK(got.CustomerNumber), library.SKPatron}, {library.PatronPK(got.GuardianNumber), library.SKPatron},
		{library.PatronPK(got.CustomerNumber), library.GuardianSK(got.GuardianNumber)}, {library.PatronPK(got.GuardianNumber), library.DependantSK(got.CustomerNumber)},
	} {
		if it := item(t, "PatronsTable", k[0], k[1]); it == nil || (k[1] != library.SKPatron && it["expiryRule"] != "guardian-link-minor") {
			t.Errorf("%s %s: %v", k[0], k[1], it)
		}
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != 1 {
		t.Errorf("only the good pre-registration mails: %d mails", n)
	}
}

// TestLibraryPreregistrationMailBudget: an address nobody verified gets at
// most the declared number of receipts; every request is answered 202 and
// stored all the same.
func TestLibraryPreregistrationMailBudget(t *testing.T) {
	b, ok := register.MustLoad("museum").MailBudget(library.BudgetPrereg)
	if !ok {
		t.Fatal("no mail budget declared for POST /library/register")
	}
	addr := newAddress(t)
	var refs []string
	for range b.Count + 2 {
		ref, r := preregister(t, preregForm(addr, preregHetu(50)))
		if r.Status != http.StatusAccepted {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		refs = append(refs, ref)
	}
	for _, ref := range refs {
		if item(t, "PatronsTable", library.PreregPK(ref), library.SKPrereg) == nil {
			t.Errorf("pre-registration %s not stored", ref)
		}
	}
	drain(t)
	if n := len(mailsTo(t, addr)); n != b.Count {
		t.Errorf("%d mails to one address, want the budget's %d", n, b.Count)
	}
}

// librarySvc is the library register as the staff tool opens it, on the
// suite's stack.
func librarySvc(t *testing.T) *library.Service {
	t.Helper()
	env := stack.Env["LibraryFunction"]
	base, _ := url.Parse(server.URL)
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB:   stack.Clients().DynamoDB,
		Keys: keyring.New(stack.Clients().Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]),
		Tables: library.Tables{Patrons: stack.Resolve("PatronsTable"), Loans: stack.Resolve("LoansTable"), Transfers: stack.Resolve("TransfersTable"),
			Statistics: stack.Resolve("StatisticsTable"), Mail: stack.Resolve("MailTable"), Audit: stack.Resolve("AuditTable"), Bookings: stack.Resolve("BookingsTable")},
		BaseURL: base, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestBrowserAccessibilityLibraryPreregistration: the pre-registration
// form, its error state (no identity code shown back), the receipt page,
// and the PIN link's page, its error state and the page after it.
func TestBrowserAccessibilityLibraryPreregistration(t *testing.T) {
	p := newA11yPage(t)
	submit := chromedp.Click(chromedp.CSS(`form[action^="/library/register"] button[type=submit]`))
	for _, lang := range []string{"sv", "en", "fi"} {
		p.load("open the form "+lang, http.StatusOK, chromedp.Navigate(server.URL+"/library/register?lang="+lang))
		p.axe("library pre-registration form (" + lang + ")")
	}
	child := preregHetu(5)
	p.do("fill part of a child's registration",
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Eetu"),
		chromedp.SendKeys(chromedp.CSS("#hetu"), child),
		chromedp.Click(chromedp.CSS("#group-child")),
		chromedp.SendKeys(chromedp.CSS("#postcode"), "021"),
	)
	p.load("send", http.StatusBadRequest, submit)
	p.errorState("library pre-registration error state", "last_name", "street", "postcode", "city", "channel-email", "guardian_first_name", "guardian_last_name", "guardian_hetu")
	if p.value("#first_name") != "Eetu" || !p.checked("#group-child") || p.value("#hetu") != "" || strings.Contains(p.html(), child) {
		t.Error("the answers should be kept, the identity code never shown back")
	}
	p.axe("library pre-registration form, error state")

	addr := newAddress(t)
	p.load("open the form again", http.StatusOK, chromedp.Navigate(server.URL+"/library/register?lang=en"))
	p.do("fill the form",
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Aino"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "Lukutoukka"),
		chromedp.SendKeys(chromedp.CSS("#hetu"), preregHetu(28)),
		chromedp.Click(chromedp.CSS("#group-adult")),
		chromedp.SendKeys(chromedp.CSS("#street"), "Kirjastonkatu 7"),
		chromedp.SendKeys(chromedp.CSS("#postcode"), "02100"),
		chromedp.SendKeys(chromedp.CSS("#city"), "Espoo"),
		chromedp.SendKeys(chromedp.CSS("#email"), addr),
		chromedp.Click(chromedp.CSS("#channel-email")),
	)
	p.load("send", http.StatusAccepted, submit)
	p.axe("library pre-registration received page")
	ref := regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{10}\b`).FindString(p.bodyText())
	if ref == "" {
		t.Fatalf("no reference on the received page: %s", p.bodyText())
	}

	svc := librarySvc(t)
	number, err := svc.Collect(context.Background(), ref, "e2e-desk")
	if err != nil {
		t.Fatal(err)
	}
	remember(number)
	if err := svc.SendPINLink(context.Background(), number, "e2e-desk"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	var link string
	for _, m := range mailsTo(t, addr) {
		if strings.Contains(m.Parsed.Text, "/library/pin?") {
			link = linkIn(t, m, "/library/pin")
		}
	}
	if link == "" {
		t.Fatal("no PIN link mailed")
	}
	p.load("open the PIN link", http.StatusOK, chromedp.Navigate(link))
	p.axe("library PIN page")
	pinSubmit := chromedp.Click(chromedp.CSS(`form[action^="/library/pin"] button[type=submit]`))
	p.do("two PINs that differ", chromedp.SendKeys(chromedp.CSS("#pin"), "2580"), chromedp.SendKeys(chromedp.CSS("#pin2"), "2581"))
	p.load("send", http.StatusBadRequest, pinSubmit)
	p.errorState("library PIN error state", "pin2")
	p.axe("library PIN page, error state")
	p.do("the same PIN twice", chromedp.SendKeys(chromedp.CSS("#pin"), "2580"), chromedp.SendKeys(chromedp.CSS("#pin2"), "2580"))
	p.load("send", http.StatusOK, pinSubmit)
	p.axe("library PIN set page")
	p.load("open the used link", http.StatusGone, chromedp.Navigate(link))
	p.axe("library PIN link used page")
	if r := get(t, "/library/pin?token=broken&lang=sv"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Länken") {
		t.Errorf("a broken link: %d", r.Status)
	}
}
