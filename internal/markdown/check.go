package markdown

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// check walks the parsed tree and returns the first link or image that
// may not be sent: a link that is not https:, http: or mailto:, an image
// that is not absolute https:, or an image without alt text.
func check(doc ast.Node, source []byte) error {
	return ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if dest := destination(n.Destination); !linkAllowed(dest) {
				return ast.WalkStop, linkError(dest)
			}
		case *ast.AutoLink:
			dest := string(n.URL(source))
			if n.AutoLinkType == ast.AutoLinkEmail {
				dest = "mailto:" + dest
			}
			if !linkAllowed(dest) {
				return ast.WalkStop, linkError(string(n.URL(source)))
			}
		case *ast.Image:
			dest := destination(n.Destination)
			if !imageAllowed(dest) {
				return ast.WalkStop, fmt.Errorf("markdown: image %q is not allowed: use an absolute https: address (https://…)", dest)
			}
			if strings.TrimSpace(altText(n, source)) == "" {
				return ast.WalkStop, fmt.Errorf("markdown: image %q has no alt text: describe the image between the brackets, ![like this](%s)", dest, dest)
			}
		}
		return ast.WalkContinue, nil
	})
}

// destination resolves backslash escapes and entity references in a raw
// link or image destination, as goldmark does when it writes the href or
// src, so that the check sees what a mail client would.
func destination(raw []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(raw))))
}

func linkError(dest string) error {
	return fmt.Errorf("markdown: link %q is not allowed: use an https:, http: or mailto: address", dest)
}

// linkAllowed reports whether dest is an absolute http: or https: URL with
// a host, or a mailto: URL with an address.
func linkAllowed(dest string) bool {
	if rest, ok := cutPrefixFold(dest, "mailto:"); ok {
		return strings.TrimSpace(rest) != "" && !strings.ContainsAny(rest, "<>\"")
	}
	return webURL(dest, "https") || webURL(dest, "http")
}

// imageAllowed reports whether dest is an absolute https: URL with a host.
func imageAllowed(dest string) bool {
	return webURL(dest, "https")
}

// webURL reports whether dest starts with scheme:// (in any case) and
// names a host.
func webURL(dest, scheme string) bool {
	if _, ok := cutPrefixFold(dest, scheme+"://"); !ok {
		return false
	}
	u, err := url.Parse(dest)
	return err == nil && strings.EqualFold(u.Scheme, scheme) && u.Host != "" && u.Hostname() != ""
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
