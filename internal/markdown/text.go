package markdown

import (
	"bufio"
	"bytes"
	stdhtml "html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// thematicBreak stands for a horizontal rule in the text part.
const thematicBreak = "----------"

// plainText writes the text part from the parsed tree: blocks separated
// by a blank line, headings underlined, list items with "- " or "1. ",
// block quotes with "> ", code indented by four spaces, links as
// "text (url)", images as "[alt]". Raw HTML is left out.
func plainText(doc ast.Node, source []byte) string {
	s := textWriter{source}.blocks(doc, "\n\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}

type textWriter struct{ source []byte }

// blocks writes the block children of parent, joined by sep.
func (t textWriter) blocks(parent ast.Node, sep string) string {
	var parts []string
	for c := parent.FirstChild(); c != nil; c = c.NextSibling() {
		if s := t.block(c); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep)
}

func (t textWriter) block(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return trimLines(t.inlines(n))
	case *ast.Heading:
		title := strings.Join(strings.Fields(t.inlines(n)), " ")
		if title == "" {
			return ""
		}
		mark := "-"
		if n.Level == 1 {
			mark = "="
		}
		return title + "\n" + strings.Repeat(mark, utf8.RuneCountInString(title))
	case *ast.ThematicBreak:
		return thematicBreak
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		return t.code(n)
	case *ast.Blockquote:
		return prefixLines(t.blocks(n, "\n\n"), "> ", ">")
	case *ast.List:
		return t.list(n)
	case *ast.HTMLBlock, *ast.LinkReferenceDefinition:
		return ""
	default:
		return t.blocks(n, "\n\n")
	}
}

// code writes a code block's lines as they are, indented by four spaces.
func (t textWriter) code(n ast.Node) string {
	lines := n.Lines()
	out := make([]string, 0, lines.Len())
	for i := range lines.Len() {
		seg := lines.At(i)
		line := strings.TrimRight(string(seg.Value(t.source)), " \t\r\n")
		if line != "" {
			line = "    " + line
		}
		out = append(out, line)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}

// list writes one item a line (tight list) or a blank line between items
// (loose list); an item's further lines are indented under its text.
func (t textWriter) list(l *ast.List) string {
	sep := "\n\n"
	if l.IsTight {
		sep = "\n"
	}
	var items []string
	num := l.Start
	for c := l.FirstChild(); c != nil; c = c.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		first, rest, more := strings.Cut(t.blocks(c, sep), "\n")
		item := marker + first
		if more {
			item += "\n" + prefixLines(rest, strings.Repeat(" ", len(marker)), "")
		}
		items = append(items, strings.TrimRight(item, " "))
	}
	return strings.Join(items, sep)
}

// inlines writes the inline children of parent as plain text.
func (t textWriter) inlines(parent ast.Node) string {
	var b strings.Builder
	for c := parent.FirstChild(); c != nil; c = c.NextSibling() {
		t.inline(&b, c)
	}
	return b.String()
}

func (t textWriter) inline(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Value(t.source)
		if n.IsRaw() {
			b.Write(v)
		} else {
			b.WriteString(decode(v))
		}
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte('\n')
		}
	case *ast.String:
		if n.IsRaw() || n.IsCode() {
			b.Write(n.Value)
		} else {
			b.WriteString(decode(n.Value))
		}
	case *ast.CodeSpan:
		var code strings.Builder
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			t.inline(&code, c)
		}
		b.WriteString(strings.ReplaceAll(code.String(), "\n", " "))
	case *ast.Link:
		b.WriteString(linkText(t.inlines(n), destination(n.Destination)))
	case *ast.AutoLink:
		// The label of an autolink is its address (for an e-mail
		// autolink, the address without mailto:).
		b.WriteString(string(n.URL(t.source)))
	case *ast.Image:
		b.WriteString("[" + altText(n, t.source) + "]")
	case *ast.RawHTML:
		// Left out, like in the HTML part.
	default:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			t.inline(b, c)
		}
	}
}

// linkText writes a link as "text (url)", or just the url when the text
// is the url or empty. A mailto: link whose text is its address is written
// as the address alone.
func linkText(label, url string) string {
	label = strings.TrimSpace(label)
	switch {
	case label == "" || label == url:
		return url
	case "mailto:"+label == url:
		return label
	default:
		return label + " (" + url + ")"
	}
}

// altText is an image's description as plain text on one line.
func altText(img *ast.Image, source []byte) string {
	return strings.Join(strings.Fields(textWriter{source}.inlines(img)), " ")
}

// decode resolves backslash escapes and entity references in Markdown
// text, the way goldmark does for the HTML part, and returns plain text.
func decode(v []byte) string {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	gmhtml.DefaultWriter.Write(w, v)
	_ = w.Flush()
	return stdhtml.UnescapeString(buf.String())
}

// trimLines drops the spaces at the end of each line and blank lines at
// the start and end.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// prefixLines puts prefix before each line of s, or blank before an empty
// line.
func prefixLines(s, prefix, blank string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = blank
		} else {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
