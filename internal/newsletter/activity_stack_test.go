package newsletter_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/audience"
	"rekisteri/internal/clock"
	"rekisteri/internal/mail"
	"rekisteri/internal/token"
)

// TestRedirect: /newsletter/go sends on only to what was signed, and a
// valid activity token stamps the subscriber's active subscriptions (the
// time only) and starts their soft bounces again; anything less still
// sends on and stamps nothing.
func TestRedirect(t *testing.T) {
	h := newHarness(t, "nlg")
	const dest = "https://www.example.fi/nayttelyt?id=7&lang=fi"
	signed := func(u string) string { return token.SignURL(h.tokenKey, u) }
	activity := func(sk string, expires time.Time) string {
		return token.Sign(h.tokenKey, token.Claims{Purpose: token.Activity, Subject: sk, Expires: expires.Unix()})
	}
	tests := []struct {
		name      string
		u, s, a   func(h *harness, email string) string
		wantCode  int
		wantStamp bool
	}{
		{"signed, with a valid activity token", func(*harness, string) string { return dest }, func(*harness, string) string { return signed(dest) },
			func(h *harness, email string) string { return activity(h.sk(email), h.s.Clock.Now().Add(time.Hour)) }, 303, true},
		{"signed, without a token", func(*harness, string) string { return dest }, func(*harness, string) string { return signed(dest) },
			func(*harness, string) string { return "" }, 303, false},
		{"signed, the placeholder left in (the web version)", func(*harness, string) string { return dest }, func(*harness, string) string { return signed(dest) },
			func(*harness, string) string { return mail.ActivityPlaceholder }, 303, false},
		{"signed, an expired token", func(*harness, string) string { return dest }, func(*harness, string) string { return signed(dest) },
			func(h *harness, email string) string { return activity(h.sk(email), h.s.Clock.Now().Add(-time.Hour)) }, 303, false},
		{"signed, an unsubscribe token", func(*harness, string) string { return dest }, func(*harness, string) string { return signed(dest) },
			func(h *harness, email string) string {
				return token.Sign(h.tokenKey, token.Claims{Purpose: token.Unsubscribe, Subject: h.sk(email), Lists: []string{"newsletter"}})
			}, 303, false},
		{"signature of another URL", func(*harness, string) string { return "https://evil.example/" }, func(*harness, string) string { return signed(dest) },
			func(h *harness, email string) string { return activity(h.sk(email), h.s.Clock.Now().Add(time.Hour)) }, 400, false},
		{"no signature", func(*harness, string) string { return dest }, func(*harness, string) string { return "" },
			func(h *harness, email string) string { return activity(h.sk(email), h.s.Clock.Now().Add(time.Hour)) }, 400, false},
		{"a signed javascript: URL", func(*harness, string) string { return "javascript:alert(1)" }, func(*harness, string) string { return signed("javascript:alert(1)") },
			func(*harness, string) string { return "" }, 400, false},
		{"a signed scheme-relative URL", func(*harness, string) string { return "//evil.example/" }, func(*harness, string) string { return signed("//evil.example/") },
			func(*harness, string) string { return "" }, 400, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			email := h.email(tc.name)
			h.subscribe(email, true, "newsletter", "openings")
			h.unsubscribe(email, "openings")
			h.queue(h.sesRecord(softFixture, email, "go-soft-"+strings.ReplaceAll(tc.name, " ", "-"), nil))
			before := h.sub(email, "newsletter")
			h.s.Clock.Advance(clock.Step{N: 1, Unit: 'h'})
			u, s, a := tc.u(h, email), tc.s(h, email), tc.a(h, email)
			rec := h.do("GET", "/newsletter/go?u="+url.QueryEscape(u)+"&s="+url.QueryEscape(s)+"&a="+url.QueryEscape(a)+"&lang=sv", "", "")
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			loc := rec.Header().Get("Location")
			if tc.wantCode == 303 && loc != u {
				t.Errorf("Location %q, want %q", loc, u)
			}
			if tc.wantCode == 400 {
				if loc != "" {
					t.Errorf("a refused link redirects to %q", loc)
				}
				for _, want := range []string{`<html lang="sv">`, "<main>", "<title>"} {
					if !strings.Contains(rec.Body.String(), want) {
						t.Errorf("the error page lacks %s", want)
					}
				}
			}
			after := h.sub(email, "newsletter")
			stamped := h.str(after, "lastActiveAt") != h.str(before, "lastActiveAt")
			if stamped != tc.wantStamp {
				t.Errorf("lastActiveAt %s → %s: stamped %v, want %v", h.str(before, "lastActiveAt"), h.str(after, "lastActiveAt"), stamped, tc.wantStamp)
			}
			wantSoft := map[bool]string{true: "0", false: "1"}[tc.wantStamp]
			if got := h.str(after, audience.SoftBounces); got != wantSoft {
				t.Errorf("softBounces %s, want %s", got, wantSoft)
			}
			if gone := h.sub(email, "openings"); h.str(gone, "lastActiveAt") != h.str(gone, "unsubscribedAt") {
				t.Errorf("an unsubscribed subscription was stamped")
			}
		})
	}
}

// TestWebVersion: a campaign's web version is its stored HTML in the
// site's layout, in the asked language or else Finnish, without the
// activity placeholder; an unknown campaign is a 404 page.
func TestWebVersion(t *testing.T) {
	h := newHarness(t, "nlw")
	table := h.s.Env["NewsletterFunction"]["CAMPAIGNS_TABLE"]
	pk, sk := mail.CampaignKey("c0123456789abcdef")
	link := `<a href="https://museo.example.fi/newsletter/go?u=https%3A%2F%2Fwww.example.fi%2F&amp;s=abc&amp;a=` + mail.ActivityPlaceholder + `">Näyttely</a>`
	item, err := attributevalue.MarshalMap(map[string]any{
		"pk": pk, "sk": sk, "kind": "campaign", "list": "newsletter", "status": "written",
		"content": map[string]mail.CampaignContent{
			"fi": {Subject: "Joulukuun uutiskirje", HTML: "<h2>Tervetuloa</h2><p>" + link + "</p>", Text: "Tervetuloa"},
			"sv": {Subject: "Decembers nyhetsbrev", HTML: "<h2>Välkommen</h2><p>" + link + "</p>", Text: "Välkommen"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		wantCode    int
		want        []string
	}{
		{"in Swedish", "campaign=c0123456789abcdef&lang=sv", 200,
			[]string{`<html lang="sv">`, "<title>Decembers nyhetsbrev</title>", "<main>", "<h2>Välkommen</h2>", `&amp;a=">Näyttely</a>`}},
		{"in English, which it lacks: Finnish", "campaign=c0123456789abcdef&lang=en", 200,
			[]string{`<html lang="fi">`, "<title>Joulukuun uutiskirje</title>", "<h2>Tervetuloa</h2>"}},
		{"no language: Finnish", "campaign=c0123456789abcdef", 200, []string{`<html lang="fi">`, "<h2>Tervetuloa</h2>"}},
		{"an unknown campaign", "campaign=nosuchcampaign&lang=en", 404, []string{`<html lang="en">`, "<main>", "Message not found"}},
		{"not a campaign id", "campaign=../x&lang=fi", 404, []string{`<html lang="fi">`, "<main>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			rec := h.do("GET", "/newsletter/web?"+tc.query, "", "")
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantCode)
			}
			body := rec.Body.String()
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %s:\n%s", want, body)
				}
			}
			if strings.Contains(body, mail.ActivityPlaceholder) {
				t.Error("the page holds the activity placeholder")
			}
		})
	}
}
