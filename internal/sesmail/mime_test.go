package sesmail

import (
	"bytes"
	"html"
	"mime"
	"net/url"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/mail"
	"rekisteri/internal/register"
)

var env = Envelope{
	From:      "KAMU Espoon kaupunginmuseo <noreply@museo.example.fi>",
	To:        "visitor@example.com",
	MessageID: "confirm.0123456789abcdef01234567@museo.example.fi",
	Date:      time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC),
}

// headerBlock is the top-level header of a raw message.
func headerBlock(t *testing.T, raw []byte) string {
	t.Helper()
	h, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no CRLF CRLF after the header:\n%s", raw)
	}
	return string(h) + "\r\n"
}

func longURL(n int) string {
	base := "https://museo.example.fi/newsletter/confirm?lang=fi&token="
	return base + strings.Repeat("aB3-_.", n)[:n-len(base)]
}

func TestBuild(t *testing.T) {
	unsub := "https://museo.example.fi/newsletter/unsubscribe?lang=sv&token=eyJwIjoidW5zdWJzY3JpYmUifQ.c2lnbmF0dXJl"
	link := longURL(300)
	tests := []struct {
		name   string
		r      mail.Rendered
		isList bool
	}{
		{
			name: "list mail with a UTF-8 subject and a long URL",
			r: mail.Rendered{
				Subject:         "Tervetuloa – tilauksesi on voimassa: Äänitaide & öljyvärit",
				Text:            "Hei,\n\nvahvista tästä:\n" + link + "\n\nKiitos!\n",
				HTML:            `<p>Hei, <a href="` + html.EscapeString(link) + `">vahvista</a> – kiitos!</p>`,
				ListUnsubscribe: unsub,
			},
			isList: true,
		},
		{
			name: "transactional mail without List-Unsubscribe",
			r: mail.Rendered{
				Subject: "Varausvahvistus – KAMU",
				Text:    "Varauksesi on vastaanotettu.\n" + link + "\n",
				HTML:    "<p>Varauksesi on vastaanotettu.</p>",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := Build(env, tc.r)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			head := headerBlock(t, raw)
			if tc.isList {
				if !strings.Contains(head, "\r\nList-Unsubscribe: <"+tc.r.ListUnsubscribe+">\r\n") {
					t.Errorf("no List-Unsubscribe header with the URL in:\n%s", head)
				}
				if !strings.Contains(head, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n") {
					t.Errorf("no List-Unsubscribe-Post header in:\n%s", head)
				}
			} else if strings.Contains(string(raw), "List-Unsubscribe") {
				t.Errorf("a mail without ListUnsubscribe has List-Unsubscribe headers:\n%s", head)
			}
			for _, want := range []string{"\r\nMime-Version: 1.0\r\n", "\r\nMessage-Id: <" + env.MessageID + ">\r\n"} {
				if !strings.Contains("\r\n"+head, want) {
					t.Errorf("header lacks %q:\n%s", strings.TrimSpace(want), head)
				}
			}
			if !bytes.Contains(raw, []byte("Content-Type: multipart/alternative")) {
				t.Errorf("no multipart/alternative in:\n%s", raw)
			}
			// Every line of the message fits RFC 5322's limit, and the
			// body is 7-bit: UTF-8 travels quoted-printable or encoded-word.
			for i, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 998 {
					t.Errorf("line %d is %d characters long", i, len(line))
				}
				for _, c := range []byte(line) {
					if c >= 0x80 {
						t.Fatalf("line %d has an 8-bit byte: %q", i, line)
					}
				}
			}

			p, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Subject != tc.r.Subject {
				t.Errorf("subject = %q, want %q", p.Subject, tc.r.Subject)
			}
			if p.To != env.To {
				t.Errorf("To = %q", p.To)
			}
			// Text travels in canonical form: CRLF line ends.
			if lf(p.Text) != tc.r.Text {
				t.Errorf("text part = %q\nwant        %q", p.Text, tc.r.Text)
			}
			if lf(p.HTML) != tc.r.HTML {
				t.Errorf("html part = %q\nwant        %q", p.HTML, tc.r.HTML)
			}
			if !strings.Contains(p.Text, link) {
				t.Errorf("the %d-character URL did not survive in the text part", len(link))
			}
			if got := p.Header.Get("List-Unsubscribe"); got != (map[bool]string{true: "<" + unsub + ">"})[tc.isList] {
				t.Errorf("parsed List-Unsubscribe = %q", got)
			}
			if d, err := p.Header.Text("Date"); err != nil || d == "" {
				t.Errorf("no Date header (%v)", err)
			}
		})
	}
}

func TestBuildPartsAreTextThenHTML(t *testing.T) {
	raw, err := Build(env, mail.Rendered{Subject: "s", Text: "plain body", HTML: "<p>html body</p>"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	tp := strings.Index(s, "Content-Type: text/plain; charset=utf-8")
	hp := strings.Index(s, "Content-Type: text/html; charset=utf-8")
	// RFC 2046 §5.1.4: the last alternative is the preferred one.
	if tp < 0 || hp < 0 || tp > hp {
		t.Fatalf("want a text/plain part before a text/html part:\n%s", s)
	}
	if n := strings.Count(s, "Content-Transfer-Encoding: quoted-printable"); n != 2 {
		t.Fatalf("%d quoted-printable parts, want 2", n)
	}
}

func TestBuildRejectsBadAddresses(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
	}{
		{"bad from", "not an address", "visitor@example.com"},
		{"empty from", "", "visitor@example.com"},
		{"bad to", "noreply@museo.example.fi", "visitor"},
		{"empty to", "noreply@museo.example.fi", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := env
			e.From, e.To = tc.from, tc.to
			if raw, err := Build(e, mail.Rendered{Subject: "s", Text: "t", HTML: "h"}); err == nil {
				t.Fatalf("Build accepted it:\n%s", raw)
			}
		})
	}
}

func TestConfirmTemplateBuilds(t *testing.T) {
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			tok := "eyJwIjoiY29uZmlybSIsInMiOiJhYmMifQ." + strings.Repeat("Zm9v", 11)
			confirm := "https://museo.example.fi/newsletter/confirm?" + url.Values{"token": {tok}, "lang": {lang}}.Encode()
			unsub := "https://museo.example.fi/newsletter/unsubscribe?" + url.Values{"token": {tok + "u"}, "lang": {lang}}.Encode()
			privacy := "https://museo.example.fi/privacy?register=museum&lang=" + lang
			r, err := mail.Render("newsletter-confirm", lang, map[string]string{
				"lists":          "Museon uutiskirje, Avajaiskutsut",
				"confirmURL":     confirm,
				"unsubscribeURL": unsub,
				"privacyURL":     privacy,
			})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if r.ListUnsubscribe != unsub {
				t.Errorf("ListUnsubscribe = %q, want %q", r.ListUnsubscribe, unsub)
			}
			raw, err := Build(env, r)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if !strings.Contains(headerBlock(t, raw), "\r\nList-Unsubscribe: <"+unsub+">\r\n") {
				t.Errorf("List-Unsubscribe header missing or wrong:\n%s", headerBlock(t, raw))
			}
			p, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Subject != r.Subject || !strings.Contains(p.Subject, "KAMU") {
				t.Errorf("subject = %q", p.Subject)
			}
			// The subject is encoded, not raw UTF-8, and decodes back.
			dec := new(mime.WordDecoder)
			if got, err := dec.DecodeHeader(p.Header.Get("Subject")); err != nil || got != r.Subject {
				t.Errorf("Subject header %q decodes to %q (%v)", p.Header.Get("Subject"), got, err)
			}
			for name, part := range map[string]string{"text": p.Text, "html": html.UnescapeString(p.HTML)} {
				for _, u := range []string{confirm, unsub, privacy} {
					if !strings.Contains(part, u) {
						t.Errorf("%s part lacks %s", name, u)
					}
				}
			}
			if !strings.Contains(p.HTML, `href="`+html.EscapeString(confirm)+`"`) {
				t.Errorf("html part has no link to the confirm URL:\n%s", p.HTML)
			}
		})
	}
}

func TestSubjectsDifferByLanguage(t *testing.T) {
	params := map[string]string{"lists": "x", "confirmURL": "https://e.fi/c", "unsubscribeURL": "https://e.fi/u", "privacyURL": "https://e.fi/p"}
	seen := map[string]string{}
	for _, lang := range register.Languages {
		r, err := mail.Render("newsletter-confirm", lang, params)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[r.Subject]; dup {
			t.Fatalf("%s and %s have the same subject %q", other, lang, r.Subject)
		}
		seen[r.Subject] = lang
	}
}

func TestListMailNeedsUnsubscribeURL(t *testing.T) {
	base := map[string]string{
		"lists":      "Museon uutiskirje",
		"confirmURL": "https://museo.example.fi/newsletter/confirm?token=t",
		"privacyURL": "https://museo.example.fi/privacy",
	}
	tests := []struct {
		name     string
		template string
		unsub    *string
	}{
		{"confirm, absent", "newsletter-confirm", nil},
		{"confirm, empty", "newsletter-confirm", strp("")},
		{"confirm, not http", "newsletter-confirm", strp("mailto:unsubscribe@museo.example.fi")},
		{"confirm, relative", "newsletter-confirm", strp("/newsletter/unsubscribe?token=t")},
		{"welcome, absent", "newsletter-welcome", nil},
		{"welcome, javascript", "newsletter-welcome", strp("javascript:alert(1)")},
	}
	for _, tc := range tests {
		for _, lang := range register.Languages {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				params := map[string]string{}
				for k, v := range base {
					params[k] = v
				}
				if tc.unsub != nil {
					params["unsubscribeURL"] = *tc.unsub
				}
				if r, err := mail.Render(tc.template, lang, params); err == nil {
					t.Fatalf("Render accepted list mail with unsubscribeURL %v: %+v", tc.unsub, r)
				}
			})
		}
	}
}

func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func strp(s string) *string { return &s }
