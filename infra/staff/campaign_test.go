package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/infra/local"
	"rekisteri/internal/campaign"
	"rekisteri/internal/sqsqueue"
)

// campaignSite is a local stack with helpers to make subscribers the way
// the public makes them.
type campaignSite struct {
	t      *testing.T
	ctx    context.Context
	stack  *local.Stack
	base   string
	prefix string
	mailed map[string]int // mails seen per address so far
}

func (s *campaignSite) post(path string, body any, header ...string) (int, string) {
	s.t.Helper()
	var rd *bytes.Reader
	ct := "application/json"
	switch b := body.(type) {
	case url.Values:
		rd, ct = bytes.NewReader([]byte(b.Encode())), "application/x-www-form-urlencoded"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = s.base + path
	}
	req, _ := http.NewRequest(http.MethodPost, target, rd)
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func (s *campaignSite) drain() {
	s.t.Helper()
	if err := s.stack.Drain(s.ctx); err != nil {
		s.t.Fatal(err)
	}
}

// newMails are the mails to addr since the last look.
func (s *campaignSite) newMails(addr string) []local.SentMail {
	s.t.Helper()
	all, err := s.stack.SentMail(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	var to []local.SentMail
	for _, m := range all {
		if strings.EqualFold(m.Parsed.To, addr) {
			to = append(to, m)
		}
	}
	seen := s.mailed[addr]
	s.mailed[addr] = len(to)
	return to[seen:]
}

func (s *campaignSite) linkIn(m local.SentMail, path string) string {
	s.t.Helper()
	for _, l := range m.Links() {
		if u, err := url.Parse(l); err == nil && u.Path == path {
			return l
		}
	}
	s.t.Fatalf("no %s link in %q", path, m.Parsed.Subject)
	return ""
}

// subscriber signs addr up in lang and, with confirm, confirms it.
func (s *campaignSite) subscriber(addr, lang string, confirm bool) {
	s.t.Helper()
	if code, body := s.post("/newsletter/subscribe", map[string]any{"email": addr, "lists": []string{"newsletter"}, "consent": true, "lang": lang}); code != http.StatusAccepted {
		s.t.Fatalf("subscribe %s: %d %s", addr, code, body)
	}
	s.drain()
	ms := s.newMails(addr)
	if len(ms) != 1 {
		s.t.Fatalf("%s: %d confirmation mails", addr, len(ms))
	}
	if !confirm {
		return
	}
	u, _ := url.Parse(s.linkIn(ms[0], "/newsletter/confirm"))
	if code, body := s.post("/newsletter/confirm", map[string]string{"token": u.Query().Get("token"), "lang": lang}); code != http.StatusOK {
		s.t.Fatalf("confirm %s: %d %s", addr, code, body)
	}
	s.drain()
	s.newMails(addr) // the welcome
}

func (s *campaignSite) staff(args ...string) string {
	s.t.Helper()
	var out bytes.Buffer
	if err := run(s.ctx, append(args, "-local", "-stack", s.prefix), &out); err != nil {
		s.t.Fatalf("staff %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func (s *campaignSite) staffFails(args ...string) error {
	s.t.Helper()
	var out bytes.Buffer
	err := run(s.ctx, append(args, "-local", "-stack", s.prefix), &out)
	if err == nil {
		s.t.Fatalf("staff %v should fail: %s", args, out.String())
	}
	return err
}

// sesEvent puts an SES event as SES publishes it on the local path.
func (s *campaignSite) sesEvent(kind, addr, feedbackID string) {
	s.t.Helper()
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	mailPart := map[string]any{"timestamp": at, "messageId": "0110-" + feedbackID, "source": "KAMU <noreply@example.fi>",
		"destination": []string{addr}, "tags": map[string][]string{"list": {"newsletter"}, "class": {"marketing"}}}
	ev := map[string]any{"mail": mailPart}
	switch kind {
	case "hard":
		ev["eventType"] = "Bounce"
		ev["bounce"] = map[string]any{"feedbackId": feedbackID, "bounceType": "Permanent", "bounceSubType": "General", "timestamp": at,
			"bouncedRecipients": []map[string]string{{"emailAddress": addr, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}}}
	case "complaint":
		ev["eventType"] = "Complaint"
		ev["complaint"] = map[string]any{"feedbackId": feedbackID, "complaintFeedbackType": "abuse", "timestamp": at,
			"complainedRecipients": []map[string]string{{"emailAddress": addr}}}
	}
	b, _ := json.Marshal(ev)
	if code, body := s.post(local.SESEventsPath, b); code != http.StatusAccepted {
		s.t.Fatalf("ses event: %d %s", code, body)
	}
	s.drain()
}

var campaignID = regexp.MustCompile(`campaign (k[0-9]{8}-[0-9a-f]{8}) queued`)

// TestStaffCampaign: a campaign to a list with active (three languages),
// pending, unsubscribed, bounced, complained and restricted subscribers
// reaches exactly the active, unrestricted, deliverable ones, once each, in
// their language, with a working one-click unsubscribe and links through
// the activity redirect; redelivered, it sends nothing twice.
func TestStaffCampaign(t *testing.T) {
	prefix := "camp" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: context.Background(), stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	stamp := time.Now().Format("150405")
	addr := func(name string) string { return name + "." + stamp + "@example.com" }

	active := map[string]string{"fi": addr("aino"), "sv": addr("sven"), "en": addr("emma")}
	for lang, a := range active {
		s.subscriber(a, lang, true)
	}
	pending, unsub, bounced, complained, restricted := addr("pekka"), addr("ulla"), addr("bert"), addr("kaisa"), addr("rita")
	s.subscriber(pending, "fi", false)
	for _, a := range []string{unsub, bounced, complained, restricted} {
		s.subscriber(a, "fi", true)
	}
	// ulla unsubscribes from the welcome's link, bert's mail bounces, kaisa complains.
	all, _ := stack.SentMail(s.ctx)
	for _, m := range all {
		if m.Parsed.To == unsub && strings.Contains(m.Parsed.Text, "/newsletter/unsubscribe") {
			u, _ := url.Parse(s.linkIn(m, "/newsletter/unsubscribe"))
			if code, body := s.post("/newsletter/unsubscribe", map[string]string{"token": u.Query().Get("token")}); code != http.StatusOK {
				t.Fatalf("unsubscribe: %d %s", code, body)
			}
			break
		}
	}
	s.sesEvent("hard", bounced, "fb-hard-"+stamp)
	s.sesEvent("complaint", complained, "fb-complaint-"+stamp)
	s.sesEvent("complaint", complained, "fb-complaint-"+stamp) // delivered twice: one withdrawal
	// rita asks for restriction at a service point.
	s.staff("requests", "create", "-type", "restriction", "-email", restricted, "-actor", "tester", "-case", "KAMU/1/2026")
	s.drain()
	s.newMails(restricted)

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fi := write("fi.md", "# Syksyn näyttely\n\nTervetuloa [avajaisiin](https://kamu.example.fi/avajaiset)!\n\n<script>alert(1)</script>\n")
	sv := write("sv.md", "# Höstens utställning\n\nVälkommen till [vernissagen](https://kamu.example.fi/avajaiset)!\n")
	en := write("en.md", "# The autumn exhibition\n\nWelcome to the [opening](https://kamu.example.fi/avajaiset)!\n")

	// Refused before anything is written: an unknown list, an empty one, a dangerous link.
	if err := s.staffFails("campaign", "send", "-list", "nosuch", "-subject", "x", "-body", fi, "-actor", "tester"); !strings.Contains(err.Error(), "no list") {
		t.Errorf("unknown list: %v", err)
	}
	if err := s.staffFails("campaign", "send", "-list", "openings", "-subject", "x", "-body", fi, "-actor", "tester"); !strings.Contains(err.Error(), "no active subscriber") {
		t.Errorf("empty list: %v", err)
	}
	bad := write("bad.md", "Click [here](javascript:alert(1))\n")
	if err := s.staffFails("campaign", "send", "-list", "newsletter", "-subject", "x", "-body", bad, "-actor", "tester"); !strings.Contains(err.Error(), "javascript:") {
		t.Errorf("javascript link: %v", err)
	}

	out := s.staff("campaign", "send", "-list", "newsletter", "-subject", "Syksyn näyttely", "-body", fi,
		"-subject-sv", "Höstens utställning", "-body-sv", sv, "-subject-en", "The autumn exhibition", "-body-en", en, "-actor", "tester")
	m := campaignID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no campaign id in %q", out)
	}
	id := m[1]
	s.drain()

	subjects := map[string]string{"fi": "Syksyn näyttely", "sv": "Höstens utställning", "en": "The autumn exhibition"}
	var emma local.SentMail
	for lang, a := range active {
		ms := s.newMails(a)
		if len(ms) != 1 {
			t.Fatalf("%s (%s): %d campaign mails, want 1", a, lang, len(ms))
		}
		got := ms[0]
		if got.Parsed.Subject != subjects[lang] {
			t.Errorf("%s: subject %q, want %q (their language)", a, got.Parsed.Subject, subjects[lang])
		}
		if !strings.HasPrefix(got.Parsed.Header.Get("List-Unsubscribe"), "<http") || got.Parsed.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe %q / %q", a, got.Parsed.Header.Get("List-Unsubscribe"), got.Parsed.Header.Get("List-Unsubscribe-Post"))
		}
		if strings.Contains(got.Parsed.HTML, "<script") || strings.Contains(got.Parsed.HTML, "alert(1)") || strings.Contains(got.Parsed.HTML, "__ACTIVITY__") {
			t.Errorf("%s: the HTML part is not clean: %s", a, got.Parsed.HTML)
		}
		if strings.Contains(got.Parsed.Text, "https://kamu.example.fi/avajaiset)") || !strings.Contains(got.Parsed.Text, "/newsletter/go?") {
			t.Errorf("%s: links do not pass through the activity redirect: %s", a, got.Parsed.Text)
		}
		for _, want := range []string{"/newsletter/unsubscribe", "/newsletter/web", "/privacy"} {
			s.linkIn(got, want)
		}
		if lang == "en" {
			emma = got
		}
	}
	for _, a := range []string{pending, unsub, bounced, complained, restricted} {
		if ms := s.newMails(a); len(ms) != 0 {
			t.Errorf("%s got the campaign (%q): only active, unrestricted, deliverable subscribers may", a, ms[0].Parsed.Subject)
		}
	}

	// Redelivered: the campaign's message again, and every outbox stream batch again.
	q, err := stack.Clients().SQS.GetQueueUrl(s.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + "-CampaignsQueue")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(sqsqueue.Message{Op: campaign.OpSend, ID: id})
	if _, err := stack.Clients().SQS.SendMessage(s.ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	s.drain()
	for _, a := range active {
		if ms := s.newMails(a); len(ms) != 0 {
			t.Errorf("%s: a redelivered campaign sent %d more", a, len(ms))
		}
	}
	status := s.staff("campaign", "status", id)
	for _, want := range []string{"written", "3/3 sent", "skipped, restricted: 1"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if list := s.staff("campaign", "list"); !strings.Contains(list, id) {
		t.Errorf("campaign list lacks %s:\n%s", id, list)
	}
	if und := s.staff("lists", "undeliverable", "-actor", "tester"); !strings.Contains(und, bounced) || strings.Contains(und, complained) {
		t.Errorf("lists undeliverable: want %s only:\n%s", bounced, und)
	}

	// The activity redirect: to the link's address, signed; a forged one goes nowhere.
	goLink := ""
	for _, l := range emma.Links() {
		if strings.Contains(l, "/newsletter/go?") {
			goLink = l
		}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(goLink)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://kamu.example.fi/avajaiset" {
		t.Errorf("redirect: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	forged := strings.Replace(goLink, url.QueryEscape("https://kamu.example.fi/avajaiset"), url.QueryEscape("https://evil.example/"), 1)
	if resp, err := noFollow.Get(forged); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a forged redirect must be refused: %v %v", err, resp)
	}

	// emma leaves by one click (RFC 8058): the next campaign goes to two.
	if code, body := s.post(strings.Trim(emma.Parsed.Header.Get("List-Unsubscribe"), "<>"), url.Values{"List-Unsubscribe": {"One-Click"}}); code != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d %s", code, body)
	}
	out = s.staff("campaign", "send", "-list", "newsletter", "-subject", "Joulu", "-body", fi, "-actor", "tester")
	id2 := campaignID.FindStringSubmatch(out)[1]
	s.drain()
	got := 0
	for lang, a := range active {
		n := len(s.newMails(a))
		got += n
		if lang == "en" && n != 0 {
			t.Errorf("emma unsubscribed by one click, yet got the next campaign")
		}
	}
	if got != 2 {
		t.Errorf("second campaign: %d mails, want 2", got)
	}
	if st := s.staff("campaign", "status", id2); !strings.Contains(st, "2/2 sent") {
		t.Errorf("second campaign status:\n%s", st)
	}
	fmt.Fprintln(os.Stderr, "campaigns", id, id2)
}

// TestStaffInvitationCampaign: a campaign sent with -event invites to it:
// each mail carries the recipient's own RSVP link, and following it signs
// them up like any signup (the capacity decides).
func TestStaffInvitationCampaign(t *testing.T) {
	prefix := "inv" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: context.Background(), stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	guest := "guest." + prefix + "@example.com"
	if code, body := s.post("/newsletter/subscribe", map[string]any{"email": guest, "lists": []string{"openings"}, "consent": true, "lang": "sv"}); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	s.drain()
	u, _ := url.Parse(s.linkIn(s.newMails(guest)[0], "/newsletter/confirm"))
	if code, body := s.post("/newsletter/confirm", map[string]string{"token": u.Query().Get("token")}); code != http.StatusOK {
		t.Fatalf("confirm: %d %s", code, body)
	}
	s.drain()
	s.newMails(guest)
	day := time.Now().AddDate(0, 0, 20).Format("2006-01-02")
	id := strings.Fields(s.staff("events", "create", "-name", "Avajaiset", "-date", day, "-capacity", "50", "-list", "openings", "-actor", "tester"))[0]
	body := filepath.Join(t.TempDir(), "kutsu.md")
	if err := os.WriteFile(body, []byte("Tervetuloa avajaisiin!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.staffFails("campaign", "send", "-list", "openings", "-subject", "Kutsu", "-body", body, "-event", "nosuch", "-actor", "tester"); !strings.Contains(err.Error(), "no event") {
		t.Errorf("an unknown event: %v", err)
	}
	s.staff("campaign", "send", "-list", "openings", "-subject", "Kutsu avajaisiin", "-body", body, "-event", id, "-actor", "tester")
	s.drain()
	ms := s.newMails(guest)
	if len(ms) != 1 {
		t.Fatalf("%d invitations", len(ms))
	}
	rsvp, err := url.Parse(s.linkIn(ms[0], "/events/signup"))
	if err != nil || rsvp.Query().Get("event") != id || rsvp.Query().Get("rsvp") == "" {
		t.Fatalf("the invitation's RSVP link: %q", rsvp)
	}
	if !strings.Contains(ms[0].Parsed.Text, "Ilmoittaudu: ") {
		t.Errorf("a campaign in Finnish only comes in Finnish, its RSVP link named so:\n%s", ms[0].Parsed.Text)
	}
	path := rsvp.Path + "?event=" + id
	if code, body := s.post(path, map[string]string{"name": "Gösta", "email": guest, "lang": "sv", "rsvp": rsvp.Query().Get("rsvp")}); code != http.StatusAccepted || !strings.Contains(body, "registered") {
		t.Fatalf("the RSVP: %d %s", code, body)
	}
	if list := s.staff("events", "list"); !strings.Contains(list, "1/50") {
		t.Errorf("the RSVP takes a seat:\n%s", list)
	}
}
