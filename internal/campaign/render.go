package campaign

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"rekisteri/internal/mail"
	"rekisteri/internal/markdown"
	"rekisteri/internal/token"
)

var href = regexp.MustCompile(`href="([^"]*)"`)

// Render renders each language's source into the stored content: the
// Markdown sanitised (internal/markdown), and every http(s) link of the
// HTML and the text passed through the signed activity redirect
// /newsletter/go, whose a= is mail.ActivityPlaceholder until the mailer
// puts in the recipient's token. The redirect's signature covers the
// destination only, so the redirect cannot be used to send anyone
// elsewhere, and nothing in it says which mailing or link it was.
func Render(src map[string]Source, tokenKey []byte, base *url.URL) (map[string]mail.CampaignContent, error) {
	out := map[string]mail.CampaignContent{}
	for lang, s := range src {
		body, err := markdown.Render(s.Body)
		if err != nil {
			return nil, fmt.Errorf("the %s body: %w", lang, err)
		}
		html, text := redirectLinks(body.HTML, body.Text, tokenKey, base)
		out[lang] = mail.CampaignContent{Subject: strings.TrimSpace(s.Subject), HTML: html, Text: text}
	}
	return out, nil
}

// Check renders the sources as Render would, for the staff tool to refuse a
// draft at once.
func Check(src map[string]Source) error {
	for _, lang := range Langs {
		if s, ok := src[lang]; ok {
			if _, err := markdown.Render(s.Body); err != nil {
				return fmt.Errorf("the %s body: %w", lang, err)
			}
		}
	}
	return nil
}

// Redirect is the activity redirect to destination u.
func Redirect(base *url.URL, tokenKey []byte, u string) string {
	r := *base
	r.Path = strings.TrimRight(r.Path, "/") + "/newsletter/go"
	r.RawQuery = "u=" + url.QueryEscape(u) + "&s=" + token.SignURL(tokenKey, u) + "&a=" + mail.ActivityPlaceholder
	return r.String()
}

func redirectLinks(h, text string, key []byte, base *url.URL) (string, string) {
	var links []string
	h = href.ReplaceAllStringFunc(h, func(m string) string {
		u := html.UnescapeString(href.FindStringSubmatch(m)[1])
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return m // mailto: stays as it is
		}
		links = append(links, u)
		return `href="` + html.EscapeString(Redirect(base, key, u)) + `"`
	})
	// The text part names each link's address; the longest first, so that
	// one address that begins another is not replaced inside it.
	sort.Slice(links, func(i, j int) bool { return len(links[i]) > len(links[j]) })
	done := map[string]bool{}
	var pairs []string
	for _, u := range links {
		if !done[u] {
			done[u] = true
			pairs = append(pairs, u, Redirect(base, key, u))
		}
	}
	return h, strings.NewReplacer(pairs...).Replace(text)
}
