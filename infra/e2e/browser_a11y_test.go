package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeTags are the axe-core rules run on every page: WCAG 2.0, 2.1 and 2.2,
// levels A and AA (WCAG 2.1 AA is what Act 306/2019 requires).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource is axe-core as pinned in infra/emulators/package-lock.json.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("..", "emulators", "node_modules", "axe-core", "axe.min.js"))
		axeJS, axeErr = string(b), err
	})
	if axeErr != nil {
		t.Fatalf("axe-core is missing (%v): run `npm ci --prefix infra/emulators`", axeErr)
	}
	return axeJS
}

type axeResult struct {
	Version    string         `json:"version"`
	Passes     int            `json:"passes"`
	Incomplete int            `json:"incomplete"`
	Violations []axeViolation `json:"violations"`
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// a11yPage is a browser on one of our pages, for one test.
type a11yPage struct {
	t    *testing.T
	bctx context.Context
}

func newA11yPage(t *testing.T) *a11yPage {
	return &a11yPage{t: t, bctx: startBrowserFor(t, 150*time.Second)}
}

func (p *a11yPage) fail(what string, err error) {
	p.t.Helper()
	p.shot("a11y-failed.png")
	p.t.Fatalf("%s: %v", what, err)
}

// shot keeps a picture of the page in .local/screens.
func (p *a11yPage) shot(name string) string {
	p.t.Helper()
	png, err := runStep(p.bctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	root, _ := filepath.Abs("../..")
	dir := filepath.Join(root, ".local", "screens")
	_ = os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
	return path
}

func (p *a11yPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.bctx, stepLimit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

// load runs actions that lead to a new page and checks its status.
func (p *a11yPage) load(what string, status int64, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.bctx, stepLimit)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		p.fail(what, err)
	}
	if resp.Status != status {
		p.fail(what, fmt.Errorf("HTTP %d %s, want %d", resp.Status, resp.URL, status))
	}
}

func (p *a11yPage) eval(js string, out any) {
	p.t.Helper()
	raw, err := runStep(p.bctx, chromedp.Evaluate[[]byte](js))
	if err != nil {
		p.fail("evaluate", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.fail("decode "+string(raw), err)
	}
}

// axe runs axe-core's WCAG A and AA rules on the page and fails the test on
// any violation, and checks the page's footer links.
func (p *a11yPage) axe(name string) {
	p.t.Helper()
	res := p.axeRun(name)
	p.t.Logf("axe-core %s on %-40s %d violations, %d rules passed, %d to review by hand", res.Version, name+":", len(res.Violations), res.Passes, res.Incomplete)
	if res.Passes == 0 {
		p.t.Errorf("axe-core passed no rule on %s: did it run?", name)
	}
	for _, v := range res.Violations {
		p.t.Errorf("%s: axe %s (%s) %s:\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	if len(res.Violations) > 0 {
		p.shot("a11y-" + strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(name) + ".png")
	}
	// Every page links to the privacy notice and the accessibility statement.
	var footer bool
	p.eval(`!!document.querySelector('footer a[href^="/privacy?"]') && !!document.querySelector('footer a[href^="/accessibility?"]')`, &footer)
	if !footer {
		p.t.Errorf("%s lacks the footer links to the privacy notice and the accessibility statement", name)
	}
}

// axeRun injects axe-core and runs it. The page's CSP allows no script: axe
// goes in through the DevTools protocol, which the CSP does not govern, and
// the page's own behaviour stays script-free.
func (p *a11yPage) axeRun(name string) axeResult {
	p.t.Helper()
	if _, err := runStep(p.bctx, chromedp.Evaluate[chromedp.Void](axeSource(p.t))); err != nil {
		p.fail("inject axe-core", err)
	}
	var loaded bool
	p.eval(`typeof axe === "object" && typeof axe.run === "function"`, &loaded)
	if !loaded {
		p.fail("inject axe-core", fmt.Errorf("axe is not defined on %s after injection", name))
	}
	tags, _ := json.Marshal(axeTags)
	js := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}}).then(r => ({
		version: r.testEngine.version, passes: r.passes.length, incomplete: r.incomplete.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary)}))}))`
	ctx, cancel := context.WithTimeout(p.bctx, 30*time.Second)
	defer cancel()
	var res axeResult
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal(raw, &res)
	}
	if err != nil {
		p.fail("axe.run on "+name, err)
	}
	return res
}

type summaryLink struct {
	Href      string   `json:"href"`
	Text      string   `json:"text"`
	Found     bool     `json:"found"`
	Invalid   string   `json:"invalid"`
	Described []string `json:"described"`
}

type errorState struct {
	Summary bool          `json:"summary"`
	Active  string        `json:"active"`
	Heading string        `json:"heading"`
	Links   []summaryLink `json:"links"`
	Invalid []summaryLink `json:"invalidControls"`
}

// errorState checks a form sent back with errors: the summary has focus, links
// to every field in want (by id), and every field it links to, and every
// control marked invalid, is described by an error naming its field.
func (p *a11yPage) errorState(name string, want ...string) errorState {
	p.t.Helper()
	wctx, wcancel := context.WithTimeout(p.bctx, 5*time.Second)
	err := chromedp.Do(wctx, chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.id === "error-summary"`))
	wcancel()
	var st errorState
	p.eval(`(() => {
		const describe = el => (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)
			.map(id => { const d = document.getElementById(id); return d ? d.textContent : "MISSING #" + id; });
		const s = document.getElementById("error-summary");
		const links = s ? [...s.querySelectorAll('a[href^="#"]')].map(a => {
			const el = document.getElementById(a.getAttribute("href").slice(1));
			return {href: a.getAttribute("href"), text: a.textContent, found: !!el,
				invalid: el ? (el.getAttribute("aria-invalid") || "") : "", described: el ? describe(el) : []};
		}) : [];
		const invalid = [...document.querySelectorAll('[aria-invalid="true"]')].map(el =>
			({href: "#" + el.id, text: "", found: true, invalid: "true", described: describe(el)}));
		return {summary: !!s, active: document.activeElement ? document.activeElement.id : "",
			heading: s && s.querySelector("h2") ? s.querySelector("h2").textContent : "", links, invalidControls: invalid};
	})()`, &st)
	if !st.Summary {
		p.fail(name, fmt.Errorf("no error summary"))
	}
	if err != nil || st.Active != "error-summary" {
		p.t.Errorf("%s: the error summary should have focus after the failed submit; focus is on %q", name, st.Active)
	}
	if st.Heading == "" {
		p.t.Errorf("%s: the summary has no heading", name)
	}
	var names, hrefs []string
	for _, l := range st.Links {
		field, _, ok := strings.Cut(l.Text, ": ")
		if !ok {
			p.t.Errorf("%s: summary item %q does not name its field", name, l.Text)
		}
		names = append(names, field)
		hrefs = append(hrefs, l.Href)
		if !l.Found || l.Invalid != "true" {
			p.t.Errorf("%s: %s (%q) should lead to a control marked aria-invalid=true (found %v, aria-invalid %q)", name, l.Href, l.Text, l.Found, l.Invalid)
		}
		if !slices.ContainsFunc(l.Described, func(d string) bool { return strings.Contains(d, field+": ") }) {
			p.t.Errorf("%s: %s should be described by an error naming %q; aria-describedby gives %q", name, l.Href, field, l.Described)
		}
	}
	for _, id := range want {
		if !slices.Contains(hrefs, "#"+id) {
			p.t.Errorf("%s: the summary should link to #%s; it links to %v", name, id, hrefs)
		}
	}
	for _, c := range st.Invalid {
		if !slices.ContainsFunc(c.Described, func(d string) bool {
			return slices.ContainsFunc(names, func(n string) bool { return strings.Contains(d, n+": ") })
		}) {
			p.t.Errorf("%s: invalid control %s is not described by an error naming its field: %q", name, c.Href, c.Described)
		}
	}
	p.t.Logf("%s: focus on the summary, %d errors linked (%s)", name, len(st.Links), strings.Join(names, "; "))
	return st
}

func (p *a11yPage) value(sel string) string {
	p.t.Helper()
	v, err := runStep(p.bctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		p.fail("read "+sel, err)
	}
	return v
}

func (p *a11yPage) checked(sel string) bool {
	p.t.Helper()
	v, err := runStep(p.bctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
	if err != nil {
		p.fail("read "+sel, err)
	}
	return v
}

func (p *a11yPage) html() string {
	p.t.Helper()
	var s string
	p.eval(`document.documentElement.outerHTML`, &s)
	return s
}

func (p *a11yPage) bodyText() string {
	p.t.Helper()
	var s string
	p.eval(`document.body.innerText`, &s)
	return s
}

// TestBrowserAccessibilityNewsletter: the signup form and its error state,
// the pages after it, the confirm and unsubscribe link pages and a broken link.
func TestBrowserAccessibilityNewsletter(t *testing.T) {
	p := newA11yPage(t)
	submit := chromedp.Click(chromedp.CSS(`form[action^="/newsletter/subscribe"] button[type=submit]`))

	p.load("open the form", http.StatusOK, chromedp.Navigate(server.URL+"/newsletter?lang=fi"))
	p.axe("newsletter form")

	p.do("tick a list only", chromedp.Click(chromedp.CSS("#list-openings")))
	p.load("send it empty", http.StatusBadRequest, submit)
	p.errorState("newsletter error state", "email", "consent")
	p.shot("a11y-newsletter-error.png")
	if !p.checked("#list-openings") {
		t.Error("the chosen list should stay ticked")
	}
	p.axe("newsletter form, error state")
	// A summary link takes the visitor to the field, without script.
	p.do("follow the summary link", chromedp.Click(chromedp.CSS(`#error-summary a[href="#email"]`)))
	var active string
	p.eval(`document.activeElement.id`, &active)
	if active != "email" {
		t.Errorf("following the summary's link should focus the field, focus is on %q", active)
	}

	addr := newAddress(t)
	p.do("fill the form", chromedp.SendKeys(chromedp.CSS("#email"), addr), chromedp.Click(chromedp.CSS("#consent")))
	p.load("subscribe", http.StatusAccepted, submit)
	p.axe("newsletter pending page")

	drain(t)
	mails := mailsTo(t, addr)
	if len(mails) != 1 {
		t.Fatalf("want 1 confirmation mail, got %d", len(mails))
	}
	p.load("open the confirm link", http.StatusOK, chromedp.Navigate(linkIn(t, mails[0], "/newsletter/confirm")))
	p.axe("confirm page")
	p.load("confirm", http.StatusOK, chromedp.Click(chromedp.CSS(`form[action^="/newsletter/confirm"] button`)))
	p.axe("confirmed page")

	drain(t)
	var unsub string
	for _, m := range mailsTo(t, addr) {
		for _, l := range m.Links() {
			if strings.Contains(l, "/newsletter/unsubscribe?") {
				unsub = l
			}
		}
	}
	if unsub == "" {
		t.Fatal("no unsubscribe link in the welcome mail")
	}
	p.load("open the unsubscribe link", http.StatusOK, chromedp.Navigate(unsub))
	p.axe("unsubscribe page")
	p.load("unsubscribe", http.StatusOK, chromedp.Click(chromedp.CSS(`form[action^="/newsletter/unsubscribe"] button`)))
	p.axe("unsubscribed page")

	p.load("a broken link", http.StatusBadRequest, chromedp.Navigate(server.URL+"/newsletter/confirm?token=broken&lang=en"))
	p.axe("broken link page")
}

// TestBrowserAccessibilitySurvey: the survey, its error state and thanks.
func TestBrowserAccessibilitySurvey(t *testing.T) {
	p := newA11yPage(t)
	submit := chromedp.Click(chromedp.CSS(`form[action^="/feedback"] button[type=submit]`))
	p.load("open the survey", http.StatusOK, chromedp.Navigate(server.URL+"/feedback?lang=sv"))
	p.axe("survey")

	p.do("answer badly",
		chromedp.SendKeys(chromedp.CSS("#home_municipality"), "Espoo"),
		chromedp.SendKeys(chromedp.CSS("#home_postcode"), "12"),
		chromedp.Click(chromedp.CSS("#contact_me")),
		chromedp.Click(chromedp.CSS("#age_group-45-64")),
	)
	p.load("send", http.StatusBadRequest, submit)
	p.errorState("survey error state", "visit_date", "home_municipality", "home_postcode", "email")
	p.shot("a11y-survey-error.png")
	if p.value("#home_postcode") != "12" || !p.checked("#contact_me") || !p.checked("#age_group-45-64") {
		t.Error("the answers should be kept on the form")
	}
	p.axe("survey, error state")

	p.load("open the survey again", http.StatusOK, chromedp.Navigate(server.URL+"/feedback?lang=en"))
	p.do("answer", chromedp.SetValue(chromedp.CSS("#visit_date"), today()))
	p.load("send", http.StatusAccepted, submit)
	p.axe("survey thanks page")
}

// bookingCode is a valid synthetic identity code typed into the browser's
// booking form: the page after an error must never show it back.
const bookingCode = "281299-908K"

func init() { remember(bookingCode) }

// TestBrowserAccessibilityBookings: the booking form, its error state (the
// identity code not shown back), the receipt page, the staff decision page
// before and after the decision, and the customer's cancel pages.
func TestBrowserAccessibilityBookings(t *testing.T) {
	p := newA11yPage(t)
	submit := chromedp.Click(chromedp.CSS(`form[action^="/bookings"] button[type=submit]`))
	p.load("open the form", http.StatusOK, chromedp.Navigate(server.URL+"/bookings?lang=en"))
	p.axe("bookings form")

	p.do("fill part of an invoice booking",
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Maija"),
		chromedp.Click(chromedp.CSS("#payment-invoice")),
		chromedp.SendKeys(chromedp.CSS("#hetu"), bookingCode),
	)
	p.load("send", http.StatusBadRequest, submit)
	p.errorState("bookings error state", "date", "start", "end", "participants", "last_name", "email", "street", "postcode", "city")
	p.shot("a11y-bookings-error.png")
	if p.value("#first_name") != "Maija" || !p.checked("#payment-invoice") {
		t.Error("the answers should be kept on the form")
	}
	if p.value("#hetu") != "" || strings.Contains(p.html(), bookingCode) {
		t.Error("the identity code must never be shown back")
	}
	var note struct {
		Text, Described string
	}
	p.eval(`({text: (document.getElementById("hetu-note") || {}).textContent || "", described: document.getElementById("hetu").getAttribute("aria-describedby") || ""})`, &note)
	if !strings.Contains(note.Text, "Personal identity code") || !strings.Contains(note.Described, "hetu-note") {
		t.Errorf("the empty identity code field should say why, and be described by it: %+v", note)
	}
	p.axe("bookings form, error state")

	// A whole card booking, as a visitor sends it.
	addr := newAddress(t)
	p.load("open the form again", http.StatusOK, chromedp.Navigate(server.URL+"/bookings?lang=en"))
	p.do("fill the form",
		chromedp.SetValue(chromedp.CSS("#resource"), "meeting-room"),
		chromedp.SetValue(chromedp.CSS("#date"), freeDay()),
		chromedp.SetValue(chromedp.CSS("#start"), "13:00"),
		chromedp.SetValue(chromedp.CSS("#end"), "14:00"),
		chromedp.SendKeys(chromedp.CSS("#participants"), "4"),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Maija"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "Meikäläinen"),
		chromedp.SendKeys(chromedp.CSS("#email"), addr),
		chromedp.Click(chromedp.CSS("#payment-card")),
	)
	p.load("send", http.StatusAccepted, submit)
	p.axe("booking received page")
	ref := regexp.MustCompile(`KAMU-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(p.bodyText())
	if ref == "" {
		t.Fatalf("no reference on the received page: %s", p.bodyText())
	}

	decision := staffDecisionLink(t, ref)
	p.load("open the decision link", http.StatusOK, chromedp.Navigate(decision))
	p.axe("staff decision page")
	p.load("decline without a reason", http.StatusBadRequest, chromedp.Click(chromedp.CSS(`form:has(input[value="decline"]) button`)))
	p.errorState("staff decision error state", "reason")
	p.axe("staff decision page, error state")
	p.load("accept", http.StatusOK, chromedp.Click(chromedp.CSS(`form:has(input[value="accept"]) button`)))
	p.axe("staff page after Accept")
	p.load("open the decision link again", http.StatusOK, chromedp.Navigate(decision))
	p.axe("decided staff page")

	mails := mailsTo(t, addr)
	if len(mails) == 0 {
		t.Fatal("no receipt")
	}
	cancel := linkIn(t, mails[0], "/bookings/cancel")
	p.load("open the cancel link", http.StatusOK, chromedp.Navigate(cancel))
	p.axe("cancel page")
	p.load("cancel", http.StatusOK, chromedp.Click(chromedp.CSS(`form[action^="/bookings/cancel"] button`)))
	p.axe("cancelled page")
	p.load("open the cancel link again", http.StatusOK, chromedp.Navigate(cancel))
	p.axe("cancel page of a cancelled booking")
}

// TestBrowserAccessibilityNotices: the privacy notice and the accessibility
// statement in each language.
func TestBrowserAccessibilityNotices(t *testing.T) {
	p := newA11yPage(t)
	for _, lang := range []string{"fi", "sv", "en"} {
		p.load("privacy notice "+lang, http.StatusOK, chromedp.Navigate(server.URL+"/privacy?register=museum&lang="+lang))
		p.axe("privacy notice (" + lang + ")")
		p.load("accessibility statement "+lang, http.StatusOK, chromedp.Navigate(server.URL+"/accessibility?lang="+lang))
		p.axe("accessibility statement (" + lang + ")")
	}
	// The footer's link is the link that works.
	p.load("follow the footer", http.StatusOK, chromedp.Click(chromedp.CSS(`footer a[href^="/privacy?"]`)))

	// The check itself works under the pages' CSP: a field that loses its
	// label is a violation axe reports.
	p.load("open a form", http.StatusOK, chromedp.Navigate(server.URL+"/newsletter?lang=en"))
	p.do("break the form", chromedp.Evaluate[chromedp.Void](`document.querySelector('label[for="email"]').remove()`))
	res := p.axeRun("a form with a field unlabelled on purpose")
	if !slices.ContainsFunc(res.Violations, func(v axeViolation) bool { return v.ID == "label" }) {
		t.Errorf("axe-core should report the unlabelled field: %+v", res.Violations)
	}
}
