package mail

import (
	"errors"
	"html"
	"strings"
	"testing"
)

func campaignParams() map[string]string {
	return map[string]string{
		ParamCampaign:    "2026-12-aukiolo",
		ParamActivity:    "eyJzIjoiYWJjIn0.c2lnbmF0dXJlXy0",
		ParamList:        "newsletter",
		ParamUnsubscribe: "https://museo.example.fi/newsletter/unsubscribe?token=u.v&lang=fi",
		ParamWebURL:      "https://museo.example.fi/newsletter/web?c=2026-12-aukiolo&lang=fi",
		ParamPrivacyURL:  "https://museo.example.fi/privacy?register=museum",
	}
}

var campaignContent = CampaignContent{
	Subject: "Joulun aukioloajat & <näyttelyt>",
	HTML: `<h1>Joulu</h1><p>Katso <a href="https://museo.example.fi/newsletter/go?u=x&amp;s=y&amp;a=` + ActivityPlaceholder +
		`">aukioloajat</a>.</p>`,
	Text: "Joulu\n\nKatso aukioloajat: https://museo.example.fi/newsletter/go?u=x&s=y&a=" + ActivityPlaceholder + "\n",
}

func TestRenderCampaign(t *testing.T) {
	const token = "eyJzIjoiYWJjIn0.c2lnbmF0dXJlXy0"
	cases := []struct {
		name, lang string
		edit       func(p map[string]string)
		wantLang   string
		wantFooter string // the visible unsubscribe link's text
		wantErr    error  // nil: renders; errAny: some error
	}{
		{name: "Finnish", lang: "fi", wantLang: "fi", wantFooter: "Peru tilaus"},
		{name: "Swedish", lang: "sv", wantLang: "sv", wantFooter: "Avbeställ"},
		{name: "English", lang: "en", wantLang: "en", wantFooter: "Unsubscribe"},
		{name: "another language: Finnish", lang: "de", wantLang: "fi", wantFooter: "Peru tilaus"},
		{name: "params are escaped", lang: "en", wantLang: "en", wantFooter: "Unsubscribe", edit: func(p map[string]string) {
			p[ParamWebURL] = `javascript:alert(1)`
			p[ParamPrivacyURL] = `https://museo.example.fi/p?a="><script>alert(1)</script>`
		}},
		{name: "no activity token", lang: "fi", edit: func(p map[string]string) { delete(p, ParamActivity) }, wantErr: ErrNoActivity},
		{name: "no unsubscribe URL", lang: "fi", edit: func(p map[string]string) { delete(p, ParamUnsubscribe) }, wantErr: errAny},
		{name: "unsubscribe URL not http", lang: "fi", edit: func(p map[string]string) { p[ParamUnsubscribe] = "javascript:x" }, wantErr: errAny},
		{name: "no web URL", lang: "fi", edit: func(p map[string]string) { delete(p, ParamWebURL) }, wantErr: errAny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := campaignParams()
			if c.edit != nil {
				c.edit(p)
			}
			r, err := RenderCampaign(c.lang, campaignContent, p)
			if c.wantErr != nil {
				if err == nil || (c.wantErr != errAny && !errors.Is(err, c.wantErr)) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != campaignContent.Subject {
				t.Errorf("subject %q", r.Subject)
			}
			if r.ListUnsubscribe != p[ParamUnsubscribe] {
				t.Errorf("List-Unsubscribe %q", r.ListUnsubscribe)
			}
			wantBody := strings.ReplaceAll(campaignContent.HTML, ActivityPlaceholder, token)
			for _, want := range []string{
				`<html lang="` + c.wantLang + `">`,
				"<title>" + html.EscapeString(campaignContent.Subject) + "</title>",
				wantBody, // unescaped
				`<a href="` + html.EscapeString(p[ParamUnsubscribe]) + `" style="color:#0b4f8a">` + c.wantFooter + `</a>`,
			} {
				if !strings.Contains(r.HTML, want) {
					t.Errorf("html lacks %s:\n%s", want, r.HTML)
				}
			}
			if !strings.Contains(r.Text, "a="+token+"\n") || !strings.Contains(r.Text, p[ParamUnsubscribe]) {
				t.Errorf("text lacks the token or the unsubscribe link:\n%s", r.Text)
			}
			if strings.Contains(r.HTML+r.Text, ActivityPlaceholder) {
				t.Error("a placeholder is left")
			}
			if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, `href="javascript:`) {
				t.Errorf("a param went in unescaped:\n%s", r.HTML)
			}
			if !strings.Contains(r.HTML, html.EscapeString(p[ParamWebURL])) && !strings.Contains(r.HTML, "#ZgotmplZ") {
				t.Errorf("no web-version link:\n%s", r.HTML)
			}
			if strings.Contains(r.HTML, "<img") {
				t.Error("the layout must read without images")
			}
		})
	}
}

// TestRenderCampaignEscapesTheToken: a token that is not the URL-safe form
// it should be cannot break out of the link it goes in.
func TestRenderCampaignEscapesTheToken(t *testing.T) {
	p := campaignParams()
	p[ParamActivity] = `x"><script>alert(1)</script>`
	r, err := RenderCampaign("fi", campaignContent, p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.Text, "<script>") {
		t.Fatalf("token inserted raw:\n%s", r.HTML)
	}
}

var errAny = errors.New("any error")

// TestRenderCampaignInvitation: an invitation's mail carries the
// recipient's RSVP link in both parts; a campaign without one shows none.
func TestRenderCampaignInvitation(t *testing.T) {
	const rsvp = "https://museo.example.fi/events/signup?event=e1&lang=fi&rsvp=abc.def"
	for _, c := range []struct {
		name, rsvp, lang, label string
	}{
		{"Finnish invitation", rsvp, "fi", "Ilmoittaudu"},
		{"Swedish invitation", rsvp, "sv", "Anmäl dig"},
		{"no invitation", "", "en", "Sign up"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := campaignParams()
			p[ParamRSVP] = c.rsvp
			r, err := RenderCampaign(c.lang, campaignContent, p)
			if err != nil {
				t.Fatal(err)
			}
			inText := strings.Contains(r.Text, c.label+": "+rsvp)
			inHTML := strings.Contains(r.HTML, `href="https://museo.example.fi/events/signup?event=e1&amp;lang=fi&amp;rsvp=abc.def"`) && strings.Contains(r.HTML, c.label)
			if want := c.rsvp != ""; inText != want || inHTML != want {
				t.Errorf("RSVP link in text %v, in HTML %v, want %v:\n%s\n%s", inText, inHTML, want, r.Text, r.HTML)
			}
		})
	}
}
