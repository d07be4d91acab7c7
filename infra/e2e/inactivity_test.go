package e2e

import (
	"net/http"
	"net/url"
	"testing"
)

// TestInactiveSubscribersAskedOnceThenRemoved: three years without a
// confirmation, list change or followed link, a subscriber gets one
// re-permission mail (the inactivity schedule); one who answers stays, one
// who does not is removed by the retention sweep 30 days later while the
// consent receipt stays as evidence; one who followed a mailing's link
// meanwhile is not asked. Driven by the site's own clock.
func TestInactiveSubscribersAskedOnceThenRemoved(t *testing.T) {
	site := siteWithItsOwnClock(t)
	confirmed := func(addr string) {
		if r := site.post(t, "/newsletter/subscribe", url.Values{"email": {addr}, "lists": {"newsletter"}, "consent": {"true"}, "lang": {"fi"}}); r.Status != http.StatusAccepted {
			t.Fatalf("subscribe: %d %s", r.Status, r.Body)
		}
		site.drain(t)
		link := linkIn(t, at(t, mailsTo(t, addr), -1), "/newsletter/confirm")
		if r := site.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, link)}}, "Accept", "application/json"); r.Status != http.StatusOK {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		site.drain(t)
	}
	stays, leaves, active := newAddress(t), newAddress(t), newAddress(t)
	for _, a := range []string{stays, leaves, active} {
		confirmed(a)
	}
	sub := func(addr string) map[string]any {
		return site.itemOn(t, "SubscribersTable", "SUB#"+site.keyOn(t, addr), "LIST#newsletter")
	}

	// Two years and eleven months on, one is active: a link of a mailing followed.
	moveClock(t, site.url, url.Values{"advance": {"35m"}})
	if r := site.post(t, "/newsletter/subscribe", url.Values{"email": {active}, "lists": {"newsletter", "openings"}, "consent": {"true"}, "lang": {"fi"}}); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe to one more list: %d", r.Status)
	}
	site.drain(t)
	link := linkIn(t, at(t, mailsTo(t, active), -1), "/newsletter/confirm")
	if r := site.post(t, "/newsletter/confirm", url.Values{"token": {tokenOf(t, link)}}, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("confirm the new list: %d %s", r.Status, r.Body)
	}
	site.drain(t)

	// Three years and a day after the others' last activity.
	moveClock(t, site.url, url.Values{"advance": {"1m"}})
	moveClock(t, site.url, url.Values{"advance": {"2d"}})
	before := map[string]int{stays: len(mailsTo(t, stays)), leaves: len(mailsTo(t, leaves)), active: len(mailsTo(t, active))}
	site.runSchedules(t, "NewsletterFunction")
	site.runSchedules(t, "NewsletterFunction") // twice: asked once
	for addr, want := range map[string]int{stays: 1, leaves: 1, active: 0} {
		if got := len(mailsTo(t, addr)) - before[addr]; got != want {
			t.Errorf("%d re-permission mails, want %d", got, want)
		}
	}
	if s := sub(leaves); s["status"] != "repermission" || s["expiresAt"] == nil {
		t.Fatalf("an asked subscription waits for its answer, due by its rule: %v", s)
	}
	keep, ok := mailWith(t, stays, "/newsletter/keep")
	if !ok {
		t.Fatal("no keep link")
	}
	if r := get(t, keep); r.Status != http.StatusNotFound && r.Status != http.StatusOK {
		t.Logf("keep page on the suite's server: %d", r.Status)
	}
	if r := site.post(t, "/newsletter/keep", url.Values{"token": {tokenOf(t, keep)}}, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("keep: %d %s", r.Status, r.Body)
	}
	if s := sub(stays); s["status"] != "active" || s["expiresAt"] != nil || s["repermissionAt"] != nil {
		t.Errorf("an answered subscription is active again, off the expiry index: %v", s)
	}

	// Thirty-one days on, the sweep removes the unanswered one.
	moveClock(t, site.url, url.Values{"advance": {"31d"}})
	site.runSchedules(t, "RetentionFunction")
	if s := sub(leaves); s != nil {
		t.Errorf("the unanswered subscription should be gone: %v", s)
	}
	for _, addr := range []string{stays, active} {
		if s := sub(addr); s == nil || s["status"] != "active" {
			t.Errorf("an answered or active subscription stays: %v", s)
		}
	}
	items := site.subjectItemsOn(t, leaves)
	if len(items["consent"]) != 1 || items["consent"][0]["expiryRule"] != "consent-unanswered" {
		t.Fatalf("the consent receipt stays as evidence under consent-unanswered: %v", items["consent"])
	}
	// Its 37 months over (3 years after the removal), the sweep removes it
	// too: 31 days were gone already, 36 months and a day to go.
	moveClock(t, site.url, url.Values{"advance": {"36m"}})
	moveClock(t, site.url, url.Values{"advance": {"1d"}})
	site.runSchedules(t, "RetentionFunction")
	if items := site.subjectItemsOn(t, leaves); len(items["consent"]) != 0 {
		t.Errorf("the consent receipt should be gone after its 37 months: %v", items["consent"])
	}
}
