package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStaffMedia: media contacts through run(): refusals per field; each
// new contact is stored with a subscription to the list media and mailed
// the Art. 14 notice at once (with its source and the objection link); an
// import stores the good rows, names the bad ones by row and field, and
// keeps formula characters as text; a press release reaches them; the
// link in it is an objection (Art. 21(1)), not a consent withdrawal, and
// stops the releases at once; neither list is on the public form.
func TestStaffMedia(t *testing.T) {
	prefix := "med" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: context.Background(), stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	stamp := time.Now().Format("150405")
	addr := func(name string) string { return name + "." + stamp + "@example.com" }
	add := func(email, name, outlet, source string) []string {
		args := []string{"media", "add", "-actor", "tiedottaja"}
		for k, v := range map[string]string{"-email": email, "-name": name, "-outlet": outlet, "-source": source} {
			if v != "" {
				args = append(args, k, v)
			}
		}
		return args
	}
	maija := addr("maija")
	for _, c := range []struct {
		name, field string
		args        []string
	}{
		{"bad e-mail", "email", add("maija@@example", "Maija Media", "Länsiväylä", "lansivayla.fi/toimitus")},
		{"no name", "name", add(maija, "", "Länsiväylä", "lansivayla.fi/toimitus")},
		{"no outlet", "outlet", add(maija, "Maija Media", "", "lansivayla.fi/toimitus")},
		{"no source", "source", add(maija, "Maija Media", "Länsiväylä", "")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := s.staffFails(c.args...); !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %s", err, c.field)
			}
		})
	}
	if n := len(s.items("SubscribersTable", "media-contact")); n != 0 {
		t.Fatalf("refused entries stored %d contacts", n)
	}

	mustContain(t, "media add", s.staff(add(maija, "Maija Media", "Länsiväylä", "lansivayla.fi/toimitus")...), "notice")
	if err := s.staffFails(add(maija, "Maija Media", "Länsiväylä", "x")...); !strings.Contains(err.Error(), "already") {
		t.Errorf("the same address twice: %v", err)
	}
	s.drain()
	notice := s.newMails(maija)
	if len(notice) != 1 {
		t.Fatalf("Maija: %d notices", len(notice))
	}
	mustContain(t, "the Art. 14 notice", notice[0].Parsed.Text, "Maija Media", "Länsiväylä", "lansivayla.fi/toimitus", "6 artiklan 1 e", "29 §", "30 vuorokauden", "21 artikla", "/privacy", "tietosuoja@espoo.fi")
	s.linkIn(notice[0], "/newsletter/unsubscribe")
	contact := s.one("SubscribersTable", "media-contact", "email", maija)
	sk := attrS(contact, "subjectKey")
	if attrS(contact, "status") != "active" || attrS(contact, "noticeSentAt") == "" || attrS(contact, "addedAt") == "" || attrS(contact, "source") != "lansivayla.fi/toimitus" {
		t.Errorf("Maija's record: %v", contact)
	}
	if subs := s.bySubject("SubscribersTable", "subscription", sk); len(subs) != 1 || attrS(subs[0], "list") != "media" || !strings.HasPrefix(attrS(subs[0], "sendTo"), "media#") {
		t.Errorf("Maija's subscription: %v", subs)
	}
	if r := s.bySubject("SubscribersTable", "art14-notice", sk); len(r) != 1 || attrS(r[0], "email") != "" || attrS(r[0], "expiryRule") != "art14-notice" {
		t.Errorf("Maija's notice receipt: %v", r)
	}
	if len(s.bySubject("SubscribersTable", "consent", sk)) != 0 || len(s.audits("media.added", sk)) != 1 {
		t.Errorf("a media contact has no consent receipt, and one audit entry of being added")
	}

	// An import: good rows stored, bad ones named by row and field.
	const formula = `=cmd|' /C calc'!A0`
	pekka, sven, olli := addr("pekka"), addr("sven"), addr("olli")
	file := filepath.Join(t.TempDir(), "media.csv")
	_ = os.WriteFile(file, []byte("email,name,outlet,source\r\n"+
		pekka+",Pekka Painaja,Helsingin Sanomat,hs.fi/yhteystiedot\r\n"+
		"not-an-address,Huono Rivi,Lehti,lehti.fi\r\n"+
		sven+",\""+strings.ReplaceAll(formula, `"`, `""`)+"\",\"Hufvudstadsbladet, kultur\",hbl.fi\r\n"+
		olli+",Olli Ohut,Yle,\r\n"+
		maija+",Maija Media,Länsiväylä,again\r\n"), 0o600)
	var out strings.Builder
	err := run(s.ctx, []string{"media", "import", file, "-local", "-stack", prefix, "-actor", "tiedottaja"}, &out)
	if err == nil {
		t.Fatalf("an import with refused rows must say so:\n%s", out.String())
	}
	mustContain(t, "import", out.String(), "2 media contacts added", "3 rows refused", "row 3: email", "row 5: source", "row 6: a media contact already")
	if got := attrS(s.one("SubscribersTable", "media-contact", "email", sven), "name"); got != formula {
		t.Errorf("a formula is stored as text: %q", got)
	}
	if len(s.items("SubscribersTable", "media-contact")) != 3 {
		t.Errorf("contacts after the import: %d, want 3", len(s.items("SubscribersTable", "media-contact")))
	}
	list := s.staff("media", "list")
	mustContain(t, "media list", list, "Maija Media", "Pekka Painaja", "Hufvudstadsbladet, kultur", pekka)

	// A press release to the list, and Maija objects by its link.
	s.drain()
	for _, a := range []string{maija, pekka, sven} {
		s.newMails(a)
	}
	body := filepath.Join(t.TempDir(), "tiedote.md")
	_ = os.WriteFile(body, []byte("# Uusi näyttely\n\nKAMU avaa näyttelyn.\n"), 0o600)
	s.staff("campaign", "send", "-list", "media", "-subject", "Tiedote", "-body", body, "-actor", "tiedottaja")
	s.drain()
	var release []string
	for _, a := range []string{maija, pekka, sven} {
		ms := s.newMails(a)
		if len(ms) != 1 {
			t.Fatalf("%s: %d releases", a, len(ms))
		}
		release = append(release, s.linkIn(ms[0], "/newsletter/unsubscribe"))
	}
	u, _ := url.Parse(release[0])
	if code, b := s.post("/newsletter/unsubscribe", map[string]string{"token": u.Query().Get("token")}); code != http.StatusOK {
		t.Fatalf("objection: %d %s", code, b)
	}
	contact = s.one("SubscribersTable", "media-contact", "subjectKey", sk)
	if attrS(contact, "status") != "objected" || attrS(contact, "objectedAt") == "" || attrS(contact, "objectionChannel") != "objection" ||
		attrS(contact, "email") != "" || attrS(contact, "expiryRule") != "media-contact-objected" {
		t.Errorf("Maija objected: %v", contact)
	}
	if sub := s.bySubject("SubscribersTable", "subscription", sk)[0]; attrS(sub, "status") != "unsubscribed" || attrS(sub, "sendTo") != "" || attrS(sub, "email") != "" {
		t.Errorf("Maija's subscription after objecting: %v", sub)
	}
	if len(s.audits("objection", sk)) != 1 || len(s.audits("consent.withdrawn", sk)) != 0 || len(s.bySubject("SubscribersTable", "consent", sk)) != 0 {
		t.Errorf("the objection is recorded as one, with no consent receipt made or withdrawn")
	}
	s.staff("campaign", "send", "-list", "media", "-subject", "Toinen", "-body", body, "-actor", "tiedottaja")
	s.drain()
	if ms := s.newMails(maija); len(ms) != 0 {
		t.Errorf("Maija objected, yet got the next release")
	}
	if ms := s.newMails(pekka); len(ms) != 1 {
		t.Errorf("Pekka: %d releases after Maija's objection", len(ms))
	}
	if strings.Contains(s.staff("media", "list"), "Maija") {
		t.Errorf("media list still shows Maija")
	}
	s.assertDeclared("media-contact", "art14-notice", "subscription", "audit", "mail")

	// Pekka asks for erasure: his contact and subscription go; the record
	// that he was told (Art. 14) stays as accountability evidence, restricted.
	psk := attrS(s.one("SubscribersTable", "media-contact", "email", pekka), "subjectKey")
	s.staff("requests", "create", "-type", "erasure", "-email", pekka, "-actor", "tester", "-case", "KAMU/3/2026")
	s.drain()
	if n := len(s.bySubject("SubscribersTable", "media-contact", psk)) + len(s.bySubject("SubscribersTable", "subscription", psk)); n != 0 {
		t.Errorf("after erasure %d of Pekka's contact records are left", n)
	}
	if kept := s.bySubject("SubscribersTable", "art14-notice", psk); len(kept) != 1 || attrS(kept[0], "restrictedAt") == "" {
		t.Errorf("Pekka's Art. 14 record after erasure: %v", kept)
	}

	// Neither staff list is on the public form, nor can be signed up to.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/newsletter", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var form struct{ Lists []struct{ ID string } }
	_ = json.NewDecoder(resp.Body).Decode(&form)
	resp.Body.Close()
	if len(form.Lists) != 2 || form.Lists[0].ID != "newsletter" || form.Lists[1].ID != "openings" {
		t.Errorf("the public form offers %v", form.Lists)
	}
	resp, err = http.Get(srv.URL + "/newsletter")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), `value="media"`) || strings.Contains(string(page), `value="seniors"`) || !strings.Contains(string(page), `value="openings"`) {
		t.Errorf("the form's page offers a staff list")
	}
	for _, l := range []string{"media", "seniors"} {
		code, b := s.post("/newsletter/subscribe", map[string]any{"email": addr("x" + l), "lists": []string{l}, "consent": true}, "Accept", "application/json")
		if code != http.StatusBadRequest || !strings.Contains(b, "lists") {
			t.Errorf("subscribe to %s: %d %s", l, code, b)
		}
	}
}
