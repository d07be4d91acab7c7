package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium; CI installs it with apt.
const chromiumPath = "/usr/bin/chromium"

// TestBrowserSignupConfirm is a person with a real browser: the form, the
// mail's link page and its button, as rendered and submitted by Chromium.
func TestBrowserSignupConfirm(t *testing.T) {
	began := time.Now()
	bctx := startBrowser(t)
	t.Logf("%-40s %6.2fs", "browser start", time.Since(began).Seconds())

	root, _ := filepath.Abs("../..")
	screens := filepath.Join(root, ".local", "screens")
	save := func(name string, png []byte) string {
		if err := os.MkdirAll(screens, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(screens, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fail := func(what string, err error) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 5*time.Second)
		defer scancel()
		if png, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil {
			t.Logf("page at failure: %s", save("browser-failed.png", png))
		}
		t.Fatalf("%s: %v", what, err)
	}
	// shot keeps a picture of the page for people to look at.
	shot := func(name string) string {
		t.Helper()
		png, err := runStep(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			fail("screenshot", err)
		}
		return save(name, png)
	}
	step := time.Now()
	lap := func(what string) {
		t.Logf("%-40s %6.2fs", what, time.Since(step).Seconds())
		step = time.Now()
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, stepLimit)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			fail(what, err)
		}
	}
	// load runs actions that lead to a new page and checks its HTTP status.
	load := func(what string, status int64, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, stepLimit)
		defer cancel()
		resp, err := chromedp.RunResponse(ctx, actions...)
		if err != nil {
			fail(what, err)
		}
		if resp.Status != status {
			fail(what, fmt.Errorf("HTTP %d %s, want %d", resp.Status, resp.URL, status))
		}
	}
	checked := func(sel string) bool {
		t.Helper()
		v, err := runStep(bctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
		if err != nil {
			fail("read "+sel, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := runStep(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail("read "+sel, err)
		}
		return strings.TrimSpace(v)
	}
	waitText := func(want string) {
		t.Helper()
		js, _ := json.Marshal(want)
		wctx, wcancel := context.WithTimeout(bctx, stepLimit)
		defer wcancel()
		if err := chromedp.Do(wctx, chromedp.Poll[chromedp.Void](`document.body && document.body.innerText.includes(`+string(js)+`)`)); err != nil {
			body, _ := runStep(bctx, chromedp.Text(chromedp.CSS("body")))
			fail("wait for "+string(js)+"; the page says:\n"+body, err)
		}
	}
	formURL := server.URL + "/newsletter?lang=en"
	subscribeButton := `form[action^="/newsletter/subscribe"] button[type=submit]`

	// Forgetting the consent box: the form comes back in English with the
	// reason, the answers kept, and nothing is stored or sent.
	forgetful := newAddress(t)
	load("open the form", http.StatusOK, chromedp.Navigate(formURL))
	lap("open the form")
	shot("browser-form.png")
	do("fill the form without consent",
		chromedp.SendKeys(chromedp.CSS("#email"), forgetful),
		chromedp.Click(chromedp.CSS("#list-openings")),
	)
	load("submit without consent", http.StatusBadRequest, chromedp.Click(chromedp.CSS(subscribeButton)))
	waitText("The subscription needs your consent: tick the box.")
	shot("browser-consent-error.png")
	if got := text(`#error-summary ul`); got != "Consent: The subscription needs your consent: tick the box." {
		t.Errorf("the only error should be the consent one, got %q", got)
	}
	if v, err := runStep(bctx, chromedp.Value(chromedp.CSS("#email"))); err != nil || v != forgetful {
		t.Errorf("the address should be kept on the form: %q %v", v, err)
	}
	if !checked("#list-openings") || checked("#consent") {
		t.Error("the chosen list should stay ticked and the consent box unticked")
	}
	for _, l := range []string{"newsletter", "openings"} {
		if sub := subscriptionOf(t, forgetful, l); sub != nil {
			t.Fatalf("without consent nothing may be stored, found %s: %v", l, sub)
		}
	}
	drain(t)
	if n := len(mailsTo(t, forgetful)); n != 0 {
		t.Fatalf("without consent nothing may be sent, got %d mails", n)
	}
	lap("refused without consent")

	// The signup proper.
	addr := newAddress(t)
	load("open the form again", http.StatusOK, chromedp.Navigate(formURL))
	if lang, err := runStep(bctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || lang != "en" {
		t.Errorf("page language: %q %v", lang, err)
	}
	if checked("#consent") {
		t.Fatal("the consent box must not be ticked in advance")
	}
	do("fill the form",
		chromedp.SendKeys(chromedp.CSS("#email"), addr),
		chromedp.Click(chromedp.CSS("#list-openings")),
		chromedp.Click(chromedp.CSS("#consent")),
	)
	if !checked("#list-openings") || !checked("#consent") {
		t.Fatal("clicking the boxes should tick them")
	}
	load("submit", http.StatusAccepted, chromedp.Click(chromedp.CSS(subscribeButton)))
	waitText("Check your e-mail")
	shot("browser-pending.png")
	if got := text("h1"); got != "Check your e-mail" {
		t.Errorf("heading after signup: %q", got)
	}
	if sub := subscriptionOf(t, addr, "openings"); sub == nil || sub["status"] != "pending" {
		t.Fatalf("want a pending openings subscription, got %v", sub)
	}
	if sub := subscriptionOf(t, addr, "newsletter"); sub != nil {
		t.Errorf("only the ticked list may be subscribed, newsletter has %v", sub)
	}
	lap("signup submitted")

	drain(t)
	mails := mailsTo(t, addr)
	if len(mails) != 1 {
		t.Fatalf("want 1 confirmation mail, got %d", len(mails))
	}
	confirm := linkIn(t, mails[0], "/newsletter/confirm")
	lap("confirmation mail")

	load("open the confirmation link", http.StatusOK, chromedp.Navigate(confirm))
	shot("browser-confirm-page.png")
	button := `form[action^="/newsletter/confirm"] button[type=submit]`
	if got := text(button); got != "Confirm" {
		t.Fatalf("the link page should show a Confirm button, got %q", got)
	}
	if got := subscriptionOf(t, addr, "openings")["status"]; got != "pending" {
		t.Fatalf("opening the link must not confirm; status %v", got)
	}
	load("press Confirm", http.StatusOK, chromedp.Click(chromedp.CSS(button)))
	waitText("Your subscription is active")
	if got := subscriptionOf(t, addr, "openings")["status"]; got != "active" {
		t.Fatalf("after Confirm the subscription should be active, status %v", got)
	}
	lap("confirmed")

	t.Logf("final page: %s", shot("browser-confirmed.png"))
	t.Logf("whole test %.2fs", time.Since(began).Seconds())
}

// startBrowser starts headless Chromium for one test, bounded to a minute,
// and stops it when the test ends (printing its output if the test failed).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return startBrowserFor(t, 60*time.Second)
}

// startBrowserFor is startBrowser bounded to limit.
func startBrowserFor(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("this test drives Chromium at %s and it is missing (%v): run `apt-get install chromium`", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	var out lockedBuffer
	// Only the flags below: the defaults of chromedp turn on features that
	// talk to the network. With no user-data-dir flag chromedp makes a fresh
	// temporary profile for this browser and removes it afterwards.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1000, 900),
		chromedp.CombinedOutput(&out),
	)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser to exit
		cancel()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	// The first run starts the browser, which lives as long as the context
	// of that run: so start it here, and give each step its own limit.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return bctx
}

// stepLimit bounds one step of the browser test, well inside its minute.
const stepLimit = 15 * time.Second

// runStep runs one action within stepLimit.
func runStep[T any](bctx context.Context, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(bctx, stepLimit)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// lockedBuffer takes the browser's output from chromedp's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
