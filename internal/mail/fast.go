package mail

import (
	"strings"
	"text/template/parse"
)

// A compiled template is a parsed one flattened, once per template and
// language, into literal text and parameters with their escapers: every
// mail template is text with {{.name}} in it, and executing it through
// text/template's reflection costs about a tenth of a mail's CPU. It is
// built from the tree html/template has escaped, so an HTML parameter gets
// exactly the escapers html/template chose for its place; a template with
// anything else in it (an if, a range, a function, an escaper this file
// does not have) is not compiled, and Render executes it as before.
// TestCompiledMatchesTemplates holds the two together.
type compiled []segment

type segment struct {
	text string // literal text, when key is ""
	key  string
	esc  []func(string) string
}

// escapers are html/template's, by the names it puts in an escaped tree,
// for a plain string argument (what map[string]string parameters are).
var escapers = map[string]func(string) string{
	"_html_template_htmlescaper":   htmlEscape,
	"_html_template_attrescaper":   htmlEscape, // quoted attribute: the same table
	"_html_template_urlfilter":     urlFilter,
	"_html_template_urlnormalizer": func(s string) string { return processURL(s, true) },
	"_html_template_urlescaper":    func(s string) string { return processURL(s, false) },
}

// compile flattens tree, or reports false when it holds more than text and
// {{.name}} actions (with escapers, when html).
func compile(tree *parse.Tree, html bool) (compiled, bool) {
	if tree == nil || tree.Root == nil {
		return nil, false
	}
	var out compiled
	for _, n := range tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, segment{text: string(n.Text)})
		case *parse.ActionNode:
			p := n.Pipe
			if p == nil || p.IsAssign || len(p.Decl) > 0 || len(p.Cmds) == 0 || len(p.Cmds[0].Args) != 1 {
				return nil, false
			}
			f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 || f.Ident[0] == "" {
				return nil, false
			}
			s := segment{key: f.Ident[0]}
			for _, c := range p.Cmds[1:] {
				if !html || len(c.Args) != 1 {
					return nil, false
				}
				id, ok := c.Args[0].(*parse.IdentifierNode)
				if !ok || escapers[id.Ident] == nil {
					return nil, false
				}
				s.esc = append(s.esc, escapers[id.Ident])
			}
			if html && len(s.esc) == 0 {
				return nil, false // html/template always escapes a parameter
			}
			out = append(out, s)
		default:
			return nil, false
		}
	}
	return out, true
}

// size is about what c renders to with params (escaping can add a little).
func (c compiled) size(params map[string]string) int {
	n := 0
	for _, s := range c {
		if s.key == "" {
			n += len(s.text)
		} else {
			n += len(params[s.key]) + len(params[s.key])/8
		}
	}
	return n
}

// render writes c with params onto b; false when a parameter is missing
// (then the template's own execution gives the error).
func (c compiled) render(b *strings.Builder, params map[string]string) bool {
	for _, s := range c {
		if s.key == "" {
			b.WriteString(s.text)
			continue
		}
		v, ok := params[s.key]
		if !ok {
			return false
		}
		for _, e := range s.esc {
			v = e(v)
		}
		b.WriteString(v)
	}
	return true
}

// htmlReplacement is html/template's htmlReplacementTable: what text and
// quoted attribute values replace. Every entry is ASCII, so a byte scan
// leaves multi-byte and invalid UTF-8 through as html/template's rune scan
// (with bad runes allowed) does.
var htmlReplacement = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

func htmlEscape(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) >= len(htmlReplacement) || htmlReplacement[c] == "" {
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString(htmlReplacement[c])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// urlFilter lets through relative URLs and http, https and mailto ones, as
// html/template's does; anything else becomes its failsafe.
func urlFilter(s string) string {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return "#ZgotmplZ"
		}
	}
	return s
}

// processURL is html/template's processURLOnto: percent-encodes what is not
// unreserved (or, when normalising, reserved or a valid escape).
func processURL(s string, norm bool) string {
	var b strings.Builder
	written := 0
	for i, n := 0, len(s); i < n; i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		const hex = "0123456789abcdef"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
