package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"rekisteri/internal/register"
	"rekisteri/internal/requests"
)

// requestDetails is what a visitor types in the free-text field: it must
// come back on the form after a failed submit.
const requestDetails = "Osoitteeni on väärin: oikea on Museokatu 1."

// TestBrowserAccessibilityRequestForm: the data protection request form in
// each language, sent empty (the error state: a summary with focus, each
// error at its field), then sent whole (the 202 page). The pages' CSP
// allows no script, so every step is the form without JavaScript.
func TestBrowserAccessibilityRequestForm(t *testing.T) {
	p := newA11yPage(t)
	submit := chromedp.Click(chromedp.CSS(`form[action^="/requests"] button[type=submit]`))
	for _, lang := range register.Languages {
		p.load("open the form "+lang, http.StatusOK, chromedp.Navigate(server.URL+"/requests?lang="+lang))
		p.checkLang(lang)
		p.axe("request form (" + lang + ")")
		if lang == "en" {
			p.tabOrder("request form (en)", "type-access", "email", "details")
		}

		p.do("type the details only", chromedp.SendKeys(chromedp.CSS("#details"), requestDetails))
		p.load("send it without a type or an address", http.StatusBadRequest, submit)
		st := p.errorState("request form error state ("+lang+")", "type-"+requests.Access, "email")
		if len(st.Links) != 2 {
			t.Errorf("%s: want the two errors (type, e-mail), got %+v", lang, st.Links)
		}
		if lang == "fi" {
			p.shot("a11y-requests-error.png")
		}
		if got := p.value("#details"); got != requestDetails {
			t.Errorf("%s: the details should be kept on the form, got %q", lang, got)
		}
		// Every radio of the group is marked and described, and the
		// group's error is inside its fieldset, after the legend.
		var group struct {
			Radios, Invalid, Described int
			InFieldset                 bool
		}
		p.eval(`(() => {
			const rs = [...document.querySelectorAll('input[name="type"]')];
			const err = document.getElementById("type-error");
			return {radios: rs.length, invalid: rs.filter(r => r.getAttribute("aria-invalid") === "true").length,
				described: rs.filter(r => (r.getAttribute("aria-describedby") || "").split(/\s+/).includes("type-error")).length,
				inFieldset: !!err && !!err.closest("fieldset")};
		})()`, &group)
		if group.Radios != len(requests.Types) || group.Invalid != group.Radios || group.Described != group.Radios || !group.InFieldset {
			t.Errorf("%s: every radio of the type group should be aria-invalid and described by #type-error inside the fieldset: %+v", lang, group)
		}
		var email struct{ Invalid, Described string }
		p.eval(`({invalid: document.getElementById("email").getAttribute("aria-invalid") || "", described: document.getElementById("email").getAttribute("aria-describedby") || ""})`, &email)
		if email.Invalid != "true" || email.Described != "email-hint email-error" {
			t.Errorf("%s: #email should be aria-invalid and described by its hint and its error: %+v", lang, email)
		}
		p.axe("request form, error state (" + lang + ")")
		for _, id := range []string{"type-" + requests.Access, "email"} {
			p.do("follow the summary link to #"+id, chromedp.Click(chromedp.CSS(`#error-summary a[href="#`+id+`"]`)))
			var active string
			p.eval(`document.activeElement.id`, &active)
			if active != id {
				t.Errorf("%s: the summary's link should focus #%s, focus is on %q", lang, id, active)
			}
		}

		addr := newAddress(t)
		p.do("fill the form", chromedp.Click(chromedp.CSS("#type-"+requests.Access)), chromedp.SendKeys(chromedp.CSS("#email"), addr))
		if lang == "sv" {
			// By keyboard: Enter in the address field sends the form.
			p.load("send with Enter", http.StatusAccepted, chromedp.Focus(chromedp.CSS("#email")), chromedp.KeyEvent(kb.Enter))
		} else {
			p.load("send", http.StatusAccepted, submit)
		}
		p.checkLang(lang)
		p.axe("request pending page (" + lang + ")")
	}
}

// TestBrowserAccessibilityRequestLinks: the pages of the links in mail, as a
// person with a browser follows them: the verify page and its button, the
// page after it, a tampered link, the download page and its two buttons,
// and the readable copy itself, in Finnish and in English.
func TestBrowserAccessibilityRequestLinks(t *testing.T) {
	p := newA11yPage(t)
	for _, lang := range []string{"fi", "en"} {
		addr := newAddress(t)
		confirmedSubscriber(t, addr) // so the copy has records to show
		p.load("open the form", http.StatusOK, chromedp.Navigate(server.URL+"/requests?lang="+lang))
		p.do("fill the form", chromedp.Click(chromedp.CSS("#type-"+requests.Access)), chromedp.SendKeys(chromedp.CSS("#email"), addr))
		p.load("send", http.StatusAccepted, chromedp.Click(chromedp.CSS(`form[action^="/requests"] button[type=submit]`)))
		drain(t)
		verify, ok := mailWith(t, addr, "/requests/verify")
		if !ok {
			t.Fatalf("%s: no verification mail", lang)
		}

		p.load("open the verify link", http.StatusOK, chromedp.Navigate(verify))
		p.checkLang(lang)
		p.axe("request verify page (" + lang + ")")
		p.buttons("request verify page ("+lang+")", `form[action^="/requests/verify"] button[type=submit]`, 1)
		// By keyboard: the button is reached with Tab and pressed with Enter.
		p.tabTo(`form[action^="/requests/verify"] button[type=submit]`)
		p.load("press the button with Enter", http.StatusOK, chromedp.KeyEvent(kb.Enter))
		p.checkLang(lang)
		if !regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).MatchString(p.bodyText()) {
			t.Errorf("%s: the verified page should give the due date: %s", lang, p.bodyText())
		}
		p.axe("request verified page (" + lang + ")")

		tampered := strings.Replace(verify, "token=", "token=x", 1)
		p.load("open a tampered link", http.StatusBadRequest, chromedp.Navigate(tampered))
		p.checkLang(lang)
		p.axe("request bad link page (" + lang + ")")
		if n := p.count(`main a[href^="/requests?lang=` + lang + `"]`); n != 1 {
			t.Errorf("%s: the bad link page should link to a new request, %d links", lang, n)
		}
		p.load("open the verify link again", http.StatusOK, chromedp.Navigate(verify))
		p.do("tamper with the form's token", chromedp.SetJavascriptAttribute(chromedp.CSS(`input[name="token"]`), "value", "tampered"))
		p.load("press the button with a tampered token", http.StatusBadRequest,
			chromedp.Click(chromedp.CSS(`form[action^="/requests/verify"] button[type=submit]`)))
		p.axe("request bad link page after the button (" + lang + ")")

		drain(t)
		download, ok := mailWith(t, addr, "/requests/download")
		if !ok {
			t.Fatalf("%s: no mail with the copy's link", lang)
		}
		p.load("open the download link", http.StatusOK, chromedp.Navigate(download))
		p.checkLang(lang)
		p.axe("request download page (" + lang + ")")
		p.buttons("request download page ("+lang+")", `form[action^="/requests/download"] button[type=submit]`, 2)

		// Each button leads to a page with the bucket's link (the page's CSP,
		// form-action 'self', stops a form's redirect to the bucket): the
		// first pressed by keyboard.
		for i, format := range []string{"html", "json"} {
			button := `form[action^="/requests/download"]:has(input[name="format"][value="` + format + `"]) button[type=submit]`
			if i > 0 {
				p.load("open the download link again", http.StatusOK, chromedp.Navigate(download))
			}
			if format == "html" {
				p.tabTo(button)
				p.load("press the "+format+" button with Enter", http.StatusOK, chromedp.KeyEvent(kb.Enter))
			} else {
				p.load("press the "+format+" button", http.StatusOK, chromedp.Click(chromedp.CSS(button)))
			}
			p.checkLang(lang)
			p.axe("request download ready page, " + format + " (" + lang + ")")
			var href string
			p.eval(`(document.querySelector("main a") || {}).href || ""`, &href)
			file := get(t, href)
			if file.Status != http.StatusOK {
				t.Fatalf("%s: the bucket's link for %s: %d", lang, format, file.Status)
			}
			if format == "json" {
				if !strings.HasPrefix(strings.TrimSpace(file.Body), "{") {
					t.Errorf("%s: the JSON copy: %.200s", lang, file.Body)
				}
				continue
			}
			// The readable copy, from the bucket's link, shown in the browser.
			p.copyPage("access copy from the bucket ("+lang+")", lang, file.Body, 1)
		}
	}
}

// TestBrowserAccessibilityRequestCopy: the readable copy as BuildCopy makes
// it with a record of every kind a person can have, every attribute
// filled (the widest tables), and with nothing held, in each language.
func TestBrowserAccessibilityRequestCopy(t *testing.T) {
	p := newA11yPage(t)
	reg := register.MustLoad("museum")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var every []requests.Holding
	for _, k := range reg.Records {
		if !slices.Contains(k.Attributes, "subjectKey") {
			continue // not a person's
		}
		item := map[string]types.AttributeValue{"expiresAt": &types.AttributeValueMemberN{Value: "1924992000"}}
		for _, a := range k.Attributes {
			if _, set := item[a]; !set {
				item[a] = &types.AttributeValueMemberS{Value: "esimerkki-" + a}
			}
		}
		item["kind"] = &types.AttributeValueMemberS{Value: k.Kind}
		every = append(every, requests.Holding{Kind: k.Kind, Table: k.Table, Items: []map[string]types.AttributeValue{item, item}})
	}
	for _, lang := range register.Languages {
		for _, c := range []struct {
			name     string
			holdings []requests.Holding
			tables   int
		}{{"every kind", every, len(every)}, {"nothing held", nil, 0}} {
			cp, err := requests.BuildCopy(reg, requests.Request{PK: "REQUEST#r0123456789ab", Lang: lang}, c.holdings, now)
			if err != nil {
				t.Fatal(err)
			}
			p.copyPage(fmt.Sprintf("access copy, %s (%s)", c.name, lang), lang, string(cp.HTML), c.tables)
		}
	}
}

// copyPage serves a readable copy as a page of its own and checks it in the
// browser: axe clean as it opens at the test's window and on a 320 px wide
// screen (WCAG 1.4.10: the page reflows, only a table scrolls, and a table
// that scrolls can be scrolled by keyboard), in its language, with tables
// records of at least tables.
func (p *a11yPage) copyPage(name, lang, html string, tables int) {
	p.t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	}))
	defer srv.Close()
	p.load("open "+name, http.StatusOK, chromedp.Navigate(srv.URL+"/copy.html"))
	p.checkLang(lang)
	if n := p.count("table caption + thead th[scope=col]"); n < tables {
		p.t.Errorf("%s: want at least %d tables of records with captions and column headers, got %d", name, tables, n)
	}
	if tables > 0 && p.count("table tbody th[scope=row]") < tables {
		p.t.Errorf("%s: each record's row should have a row header", name)
	}
	p.axeOnly(name)
	p.do("a narrow screen", chromedp.EmulateViewport(320, 640))
	defer p.do("the usual screen", chromedp.ResetViewport())
	p.axeOnly(name + " at 320 px")
	var wide struct {
		Page, Window int
		Tables       []string
	}
	p.eval(`(() => ({page: document.documentElement.scrollWidth, window: window.innerWidth,
		tables: [...document.querySelectorAll(".wide")].filter(d => d.scrollWidth > d.clientWidth)
			.filter(d => d.tabIndex < 0).map(d => d.querySelector("caption") ? d.querySelector("caption").textContent : "?")}))()`, &wide)
	if wide.Page > wide.Window {
		p.t.Errorf("%s: at 320 px the page is %d px wide: it should reflow, only tables scroll", name, wide.Page)
	}
	if len(wide.Tables) > 0 {
		p.t.Errorf("%s: tables that scroll sideways but cannot take keyboard focus: %v", name, wide.Tables)
	}
	if tables > 0 {
		// By keyboard: Tab to the first table's region, the arrow key scrolls it.
		p.tabTo(".wide")
		p.do("scroll it with the arrow key", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
		wctx, wcancel := context.WithTimeout(p.bctx, 3*time.Second)
		_ = chromedp.Do(wctx, chromedp.Poll[chromedp.Void](`document.activeElement.scrollLeft > 0`)) // scrolling may be smooth
		wcancel()
		var region struct {
			Scrolled          int
			Role, Name, Style string
		}
		p.eval(`(() => { const d = document.activeElement, s = getComputedStyle(d), l = document.getElementById(d.getAttribute("aria-labelledby") || "");
			return {scrolled: Math.round(d.scrollLeft), role: d.getAttribute("role") || "", name: l ? l.textContent : "", style: s.outlineStyle}; })()`, &region)
		if region.Scrolled == 0 || region.Role != "region" || region.Name == "" || region.Style == "none" {
			p.t.Errorf("%s: a table's region should take focus (shown), be named by its caption and scroll by keyboard: %+v", name, region)
		}
	}
	if tables > 0 {
		p.shot("a11y-requests-copy-" + lang + "-320.png")
	}
}

// axeOnly is axe without the site's footer check: for a page that is a file
// of its own (the readable copy), not one of the site's pages.
func (p *a11yPage) axeOnly(name string) {
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
}

func (p *a11yPage) checkLang(want string) {
	p.t.Helper()
	var lang string
	p.eval(`document.documentElement.lang`, &lang)
	if lang != want {
		p.t.Errorf("the page's language is %q, want %q", lang, want)
	}
}

func (p *a11yPage) count(sel string) int {
	p.t.Helper()
	var n int
	js := fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)
	p.eval(js, &n)
	return n
}

// buttons checks a link page's n buttons: each has a distinct visible name,
// and its form the token to send.
func (p *a11yPage) buttons(name, sel string, n int) {
	p.t.Helper()
	var labels []string
	p.eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(b => b.form.querySelector('input[name="token"]').value !== "").map(b => b.innerText.trim())`, sel), &labels)
	if len(labels) != n || slices.Contains(labels, "") || len(slices.Compact(slices.Sorted(slices.Values(labels)))) != n {
		p.t.Errorf("%s: want %d buttons with distinct names, each with its token, got %q", name, n, labels)
	}
}

// tabTo presses Tab from the top of the page until sel has focus.
func (p *a11yPage) tabTo(sel string) {
	p.t.Helper()
	p.do("start from the top", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0)`))
	for range 30 {
		p.do("press Tab", chromedp.KeyEvent(kb.Tab))
		var at bool
		p.eval(fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel), &at)
		if at {
			return
		}
	}
	p.fail("tab to "+sel, fmt.Errorf("30 presses of Tab never reached it"))
}

// tabOrder presses Tab through the page and checks that the controls want
// come in that order, each with a visible focus indicator, and that the
// hidden honeypot field is never reached.
func (p *a11yPage) tabOrder(name string, want ...string) {
	p.t.Helper()
	p.do("start from the top", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	var order []string
	for range 20 {
		p.do("press Tab", chromedp.KeyEvent(kb.Tab))
		var f struct {
			ID, Tag, Outline string
		}
		p.eval(`(() => { const e = document.activeElement; const s = getComputedStyle(e);
			return {id: e.id, tag: e.tagName.toLowerCase() + (e.type ? "[" + e.type + "]" : ""), outline: s.outlineStyle + " " + s.outlineWidth}; })()`, &f)
		if f.Tag == "body" {
			break
		}
		order = append(order, "#"+f.ID+" "+f.Tag)
		if f.ID == "website" {
			p.t.Errorf("%s: Tab reaches the hidden honeypot field", name)
		}
		if strings.HasPrefix(f.Outline, "none") || strings.HasSuffix(f.Outline, " 0px") {
			p.t.Errorf("%s: %s %s has no visible focus indicator (outline %s)", name, f.ID, f.Tag, f.Outline)
		}
	}
	i := 0
	for _, o := range order {
		if i < len(want) && strings.HasPrefix(o, "#"+want[i]+" ") {
			i++
		}
	}
	if i < len(want) {
		p.t.Errorf("%s: Tab should reach %v in order; it goes %v", name, want, order)
	}
	if !slices.ContainsFunc(order, func(o string) bool { return strings.HasSuffix(o, "button[submit]") }) {
		p.t.Errorf("%s: Tab never reaches the submit button: %v", name, order)
	}
	p.t.Logf("%s: Tab goes %s", name, strings.Join(order, ", "))
}
