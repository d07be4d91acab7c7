package main

import (
	"context"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var seniorAdded = regexp.MustCompile(`added ([0-9a-f]{16}) to the seniors' list`)

// TestStaffSeniors: the seniors' postal list through run(): refusals per
// field write nothing; members with and without e-mail get a record and a
// paper consent receipt (and with e-mail a subscription the campaign
// mails); the print export leaves out the restricted, neutralises
// formulas, is 0600 and audited per person; removal deletes the address at
// once and withdraws the consent on the receipt (channel staff), and an
// unsubscribe link ends the postal membership too.
func TestStaffSeniors(t *testing.T) {
	prefix := "sen" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: context.Background(), stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	stamp := time.Now().Format("150405")
	addr := func(name string) string { return name + "." + stamp + "@example.com" }
	add := func(extra ...string) []string {
		a := map[string]string{"-name": "Aino Vanhanen", "-street": "Kirkkotie 1", "-postcode": "02770", "-city": "Espoo", "-consent": "paper", "-actor": "tiina"}
		for i := 0; i+1 < len(extra); i += 2 {
			a[extra[i]] = extra[i+1]
		}
		args := []string{"seniors", "add"}
		for k, v := range a {
			if v != "" {
				args = append(args, k, v)
			}
		}
		return args
	}

	for _, c := range []struct {
		name  string
		args  []string
		field string
	}{
		{"short postcode", add("-postcode", "0277"), "postcode"},
		{"long postcode", add("-postcode", "027700"), "postcode"},
		{"letters in the postcode", add("-postcode", "O2770"), "postcode"},
		{"no name", add("-name", "  "), "name"},
		{"no street", add("-street", ""), "street"},
		{"no city", add("-city", ""), "city"},
		{"bad e-mail", add("-email", "aino@"), "email"},
		{"no consent", add("-consent", ""), "consent"},
		{"consent not on paper", add("-consent", "web"), "consent"},
		{"unknown language", add("-lang", "de"), "lang"},
		{"no actor", add("-actor", ""), "actor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := s.staffFails(c.args...); !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %s", err, c.field)
			}
		})
	}
	if got := s.staff("seniors", "list"); !strings.Contains(got, "nobody") || len(s.items("SubscribersTable", "senior")) != 0 {
		t.Fatalf("a refused entry wrote something:\n%s", got)
	}

	const evil = `=HYPERLINK("https://evil.example/","x")`
	aino, kalle, rita := addr("aino"), addr("kalle"), addr("rita")
	ids := map[string]string{}
	for _, m := range []struct {
		key  string
		args []string
	}{
		{"aino", add("-email", aino)},
		{"bertil", add("-name", "Bertil Åberg", "-street", "Strandvägen 2", "-postcode", "02100", "-city", "Esbo", "-lang", "sv")},
		{"eve", add("-name", evil, "-street", "Testitie 3", "-city", "Kauniainen", "-postcode", "02700")},
		{"kalle", add("-name", "Kalle Kuulija", "-email", kalle)},
		{"rita", add("-name", "Rita Rajoitettu", "-email", rita, "-city", "Vantaa", "-postcode", "01300")},
	} {
		out := s.staff(m.args...)
		id := seniorAdded.FindStringSubmatch(out)
		if id == nil {
			t.Fatalf("no id in %q", out)
		}
		ids[m.key] = id[1]
	}
	if err := s.staffFails(add("-email", strings.ToUpper(aino))...); !strings.Contains(err.Error(), "already") {
		t.Errorf("the same address twice: %v", err)
	}

	// The tables: a record, a paper receipt; a subscription only with e-mail.
	ainoRec := s.one("SubscribersTable", "senior", "email", aino)
	sk := attrS(ainoRec, "subjectKey")
	if attrS(ainoRec, "street") != "Kirkkotie 1" || attrS(ainoRec, "status") != "active" || !strings.HasPrefix(attrS(ainoRec, "sendTo"), "seniors-post#") || attrS(ainoRec, "addedAt") == "" {
		t.Errorf("Aino's record: %v", ainoRec)
	}
	receipts := s.bySubject("SubscribersTable", "consent", sk)
	if len(receipts) != 1 || attrS(receipts[0], "method") != "paper" || attrS(receipts[0], "actor") != "tiina" || attrS(receipts[0], "channel") != "staff" ||
		attrS(receipts[0], "list") != "seniors" || attrS(receipts[0], "legalBasis") != "consent" || len(attrS(receipts[0], "consentTextVersion")) != 12 || attrS(receipts[0], "noticeVersion") == "" {
		t.Errorf("Aino's receipt: %v", receipts)
	}
	if subs := s.bySubject("SubscribersTable", "subscription", sk); len(subs) != 1 || attrS(subs[0], "status") != "active" || !strings.HasPrefix(attrS(subs[0], "sendTo"), "seniors#") {
		t.Errorf("Aino's subscription: %v", subs)
	}
	bertil := s.one("SubscribersTable", "senior", "name", "Bertil Åberg")
	if len(s.bySubject("SubscribersTable", "subscription", attrS(bertil, "subjectKey"))) != 0 || len(s.bySubject("SubscribersTable", "consent", attrS(bertil, "subjectKey"))) != 1 {
		t.Errorf("Bertil has no e-mail: a receipt and no subscription")
	}

	// Rita asks for restriction at a service point.
	s.staff("requests", "create", "-type", "restriction", "-email", rita, "-actor", "tester", "-case", "KAMU/2/2026")
	s.drain()
	s.newMails(rita) // the reply to her request

	list := s.staff("seniors", "list")
	mustContain(t, "seniors list", list, "Aino Vanhanen", "Espoo", "Bertil Åberg", "Esbo", ids["aino"], "(restricted)")
	if strings.Contains(list, "Kirkkotie") || strings.Contains(list, "02770") {
		t.Errorf("seniors list shows addresses:\n%s", list)
	}

	// The mail version goes to those with an address, by the list's campaign.
	body := filepath.Join(t.TempDir(), "kutsu.md")
	_ = os.WriteFile(body, []byte("# Historiallinen iltapäivä\n\nTervetuloa torstaina!\n"), 0o600)
	s.newMails(aino)
	s.newMails(kalle)
	s.staff("campaign", "send", "-list", "seniors", "-subject", "Iltapäivä", "-body", body, "-actor", "tiina")
	s.drain()
	if ms := s.newMails(aino); len(ms) != 1 || ms[0].Parsed.Subject != "Iltapäivä" {
		t.Fatalf("Aino: %d campaign mails", len(ms))
	}
	if ms := s.newMails(rita); len(ms) != 0 {
		t.Errorf("restricted Rita got the mail version")
	}
	kalleMail := s.newMails(kalle)
	if len(kalleMail) != 1 {
		t.Fatalf("Kalle: %d campaign mails", len(kalleMail))
	}

	// Kalle leaves by the mail's link: the postal list ends for him too.
	if code, b := s.post(strings.Trim(kalleMail[0].Parsed.Header.Get("List-Unsubscribe"), "<>"), url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
		t.Fatalf("one-click: %d %s", code, b)
	}
	k := s.one("SubscribersTable", "senior", "name", "Kalle Kuulija")
	if attrS(k, "status") != "removed" || attrS(k, "street") != "" || attrS(k, "sendTo") != "" || attrS(k, "expiryRule") != "senior-removed" {
		t.Errorf("Kalle unsubscribed, yet his postal record is %v", k)
	}

	// The print export.
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "addresses.csv")
	out := s.staff("seniors", "print-export", "-out", csvPath, "-actor", "tiina")
	mustContain(t, "print-export", out, "3 addresses written", "1 left out")
	f, _ := os.Open(csvPath)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export: %v %v", rows, err)
	}
	assertNoFormulas(t, rows)
	joined := strings.Join(func() []string {
		var r []string
		for _, row := range rows {
			r = append(r, strings.Join(row, "|"))
		}
		return r
	}(), "\n")
	mustContain(t, "export", joined, "name|street|postcode|city", "Aino Vanhanen|Kirkkotie 1|02770|Espoo", "Bertil Åberg|Strandvägen 2|02100|Esbo", "'"+evil)
	if strings.Contains(joined, "Rita") || strings.Contains(joined, "Kalle") {
		t.Errorf("the export holds a restricted or removed member:\n%s", joined)
	}
	if info, _ := os.Stat(csvPath); info.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v", info.Mode().Perm())
	}
	if err := s.staffFails("seniors", "print-export", "-out", csvPath, "-actor", "tiina"); !strings.Contains(err.Error(), "new file") {
		t.Errorf("overwriting the export: %v", err)
	}
	if a := s.audits("disclosed-printing-house", sk); len(a) != 1 || attrS(a[0], "actor") != "tiina" {
		t.Errorf("Aino's disclosure audit: %v", a)
	}
	if a := s.audits("disclosed-printing-house", attrS(s.one("SubscribersTable", "senior", "name", "Rita Rajoitettu"), "subjectKey")); len(a) != 0 {
		t.Errorf("Rita was not disclosed, yet audited: %v", a)
	}

	// Removal by staff.
	if err := s.staffFails("seniors", "remove", "-id", "0123456789abcdef", "-actor", "tiina"); !strings.Contains(err.Error(), "no member") {
		t.Errorf("unknown id: %v", err)
	}
	for _, who := range []string{"aino", "bertil"} {
		mustContain(t, "remove", s.staff("seniors", "remove", "-id", ids[who], "-actor", "tiina"), "removed "+ids[who])
	}
	a := s.one("SubscribersTable", "senior", "subjectKey", sk)
	if attrS(a, "status") != "removed" || attrS(a, "street") != "" || attrS(a, "postcode") != "" || attrS(a, "city") != "" || attrS(a, "email") != "" ||
		attrS(a, "sendTo") != "" || attrS(a, "removedAt") == "" || attrS(a, "expiryRule") != "senior-removed" {
		t.Errorf("removed Aino: %v", a)
	}
	r := s.bySubject("SubscribersTable", "consent", sk)[0]
	if attrS(r, "withdrawnAt") == "" || attrS(r, "withdrawalChannel") != "staff" || attrS(r, "expiryRule") != "consent-evidence" {
		t.Errorf("Aino's receipt after removal: %v", r)
	}
	if sub := s.bySubject("SubscribersTable", "subscription", sk)[0]; attrS(sub, "status") != "unsubscribed" || attrS(sub, "email") != "" || attrS(sub, "sendTo") != "" {
		t.Errorf("Aino's subscription after removal: %v", sub)
	}
	if w := s.audits("consent.withdrawn", sk); len(w) != 1 || attrS(w[0], "actor") != "tiina" {
		t.Errorf("Aino's withdrawal audit: %v", w)
	}
	after := s.staff("seniors", "list")
	if strings.Contains(after, "Aino") || strings.Contains(after, "Bertil") || !strings.Contains(after, "Rita") {
		t.Errorf("seniors list after removals:\n%s", after)
	}
	if err := s.staffFails("seniors", "remove", "-id", ids["aino"], "-actor", "tiina"); !strings.Contains(err.Error(), "no member") {
		t.Errorf("removing twice: %v", err)
	}
	s.assertDeclared("senior", "consent", "subscription", "audit", "mail")
}
