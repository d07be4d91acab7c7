// Package markdown renders the Markdown body of a mailing (a campaign to
// the museum's lists) into the two parts of the mail: a sanitised HTML
// fragment and a plain-text version.
//
// The source is parsed once with goldmark (CommonMark, no extensions) and
// the same tree gives both parts. Raw HTML never reaches either part: HTML
// blocks (such as <script>…</script> or <iframe …>) are left out entirely,
// and inline tags (such as <span onclick=…> or <img onerror=…>) are dropped
// while the ordinary text between them stays, as text. Links and images
// whose destination a mail client should not open are refused with an
// error instead of being dropped silently, so that the draft is fixed
// before it is sent.
package markdown

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxSource is the largest Markdown source Render accepts, in bytes.
const MaxSource = 100_000

// Body is one language's rendered mailing body.
type Body struct {
	// HTML is a fragment (no <html> or <body>) for the caller to wrap in
	// the mail layout.
	HTML string
	// Text is the plain-text part.
	Text string
}

// md is goldmark in its default, safe mode (no html.WithUnsafe), with the
// mail renderer of mailHTML taking over images and raw HTML.
var md = goldmark.New(
	goldmark.WithRendererOptions(
		renderer.WithNodeRenderers(util.Prioritized(mailHTML{}, 100)),
	),
)

// Render renders Markdown source into a sanitised HTML fragment (no
// <html>/<body>; the caller wraps it in the mail layout) and a plain-text
// version.
//
// Rules:
//   - raw HTML is left out of both parts (see the package comment);
//   - links may only go to https:, http: or mailto: addresses, anything
//     else (javascript:, data:, relative or //host links) is an error;
//   - images must have an absolute https: address and alt text; the
//     <img> gets style="max-width:100%;height:auto";
//   - links get no target and no tracking parameters;
//   - in the text part, headings are underlined ("=" for the first level,
//     "-" for the others), blocks are separated by a blank line, list items
//     start with "- " or "1. ", links are written "text (url)" (just the
//     url when the text is the url), images "[alt]", emphasis markers are
//     dropped and entities decoded;
//   - an empty or whitespace-only source, or one over MaxSource bytes, is
//     an error.
//
// The same source always gives the same Body.
func Render(src string) (Body, error) {
	if strings.TrimSpace(src) == "" {
		return Body{}, fmt.Errorf("markdown: the body is empty")
	}
	if len(src) > MaxSource {
		return Body{}, fmt.Errorf("markdown: the body is %d bytes, over the limit of %d bytes: shorten it", len(src), MaxSource)
	}
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	if err := check(doc, source); err != nil {
		return Body{}, err
	}
	plain := plainText(doc, source)
	if strings.TrimSpace(plain) == "" {
		return Body{}, fmt.Errorf("markdown: the body has nothing to show: raw HTML is left out of mailings, write the text in Markdown")
	}
	var html bytes.Buffer
	if err := md.Renderer().Render(&html, source, doc); err != nil {
		return Body{}, fmt.Errorf("markdown: rendering the body failed: %w", err)
	}
	return Body{HTML: html.String(), Text: plain}, nil
}
