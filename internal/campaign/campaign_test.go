package campaign

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/mail"
	"rekisteri/internal/token"
)

func TestRenderPassesLinksThroughTheSignedRedirect(t *testing.T) {
	key := []byte("k")
	base, _ := url.Parse("https://museo.example.fi/")
	src := map[string]Source{
		"fi": {Subject: " Syksy ", Body: "Katso [näyttely](https://kamu.example.fi/n?a=1&b=2), [lisää](https://kamu.example.fi/n?a=1&b=2x) ja [posti](mailto:info@example.fi).\n\n![Kuva](https://kamu.example.fi/k.jpg)\n"},
		"en": {Subject: "Autumn", Body: "See <https://kamu.example.fi/n>\n"},
	}
	content, err := Render(src, key, base)
	if err != nil {
		t.Fatal(err)
	}
	fi := content["fi"]
	if fi.Subject != "Syksy" {
		t.Errorf("subject %q", fi.Subject)
	}
	for _, dest := range []string{"https://kamu.example.fi/n?a=1&b=2", "https://kamu.example.fi/n?a=1&b=2x"} {
		want := Redirect(base, key, dest)
		if !strings.Contains(fi.Text, want) {
			t.Errorf("text lacks the redirect of %s:\n%s", dest, fi.Text)
		}
		if !strings.Contains(fi.HTML, strings.ReplaceAll(want, "&", "&amp;")) {
			t.Errorf("HTML lacks the redirect of %s:\n%s", dest, fi.HTML)
		}
		u, _ := url.Parse(want)
		if u.Path != "/newsletter/go" || u.Query().Get("u") != dest || !token.VerifyURL(key, dest, u.Query().Get("s")) || u.Query().Get("a") != mail.ActivityPlaceholder {
			t.Errorf("redirect %s", want)
		}
	}
	if !strings.Contains(fi.HTML, `href="mailto:info@example.fi"`) || !strings.Contains(fi.HTML, `src="https://kamu.example.fi/k.jpg"`) {
		t.Errorf("mailto and images stay direct:\n%s", fi.HTML)
	}
	if !strings.Contains(content["en"].Text, Redirect(base, key, "https://kamu.example.fi/n")) {
		t.Errorf("an autolink passes through the redirect too:\n%s", content["en"].Text)
	}
	if _, err := Render(map[string]Source{"fi": {Subject: "x", Body: "[x](javascript:alert(1))"}}, key, base); err == nil {
		t.Error("a javascript: link must be refused")
	}
}

func TestNewRefusesWhatCannotBeSent(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		src  map[string]Source
		ok   bool
	}{
		{"Finnish only", map[string]Source{"fi": {Subject: "S", Body: "B"}}, true},
		{"three languages", map[string]Source{"fi": {Subject: "S", Body: "B"}, "sv": {Subject: "S", Body: "B"}, "en": {Subject: "S", Body: "B"}}, true},
		{"no Finnish", map[string]Source{"sv": {Subject: "S", Body: "B"}}, false},
		{"Finnish without a body", map[string]Source{"fi": {Subject: "S", Body: " "}}, false},
		{"a language not served", map[string]Source{"fi": {Subject: "S", Body: "B"}, "de": {Subject: "S", Body: "B"}}, false},
		{"a subject of two lines", map[string]Source{"fi": {Subject: "S\r\nBcc: x@example.com", Body: "B"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cp, err := New(now, "k1", "newsletter", "tester", c.src)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok %v", err, c.ok)
			}
			if c.ok && (cp.ID() != "k1" || cp.Status != Queued || cp.Skipped == nil) {
				t.Errorf("campaign %+v", cp)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	for _, c := range []struct {
		in   string
		want cursor
		bad  bool
	}{
		{"", cursor{}, false},
		{"3", cursor{shard: 3}, false},
		{"3|SUB#abc", cursor{shard: 3, lastPK: "SUB#abc"}, false},
		{"8", cursor{shard: 8}, false},
		{"9", cursor{}, true},
		{"x|y", cursor{}, true},
	} {
		got, err := parseCursor(c.in)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("parseCursor(%q) = %+v, %v", c.in, got, err)
		}
		if !c.bad && c.in != "" && got.String() != c.in {
			t.Errorf("%q round-trips as %q", c.in, got.String())
		}
	}
}
