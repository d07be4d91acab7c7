package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// imageStyle keeps an image inside the mail's width.
const imageStyle = "max-width:100%;height:auto"

// mailHTML overrides goldmark's default HTML renderer for images (alt,
// src and a style that fits the mail) and for raw HTML, which is left
// out without goldmark's "<!-- raw HTML omitted -->" comments. Everything
// else is goldmark's default, safe rendering.
type mailHTML struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (mailHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindRawHTML, skip)
	reg.Register(ast.KindHTMLBlock, skip)
}

func skip(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkSkipChildren, nil
}

// renderImage writes <img alt="…" src="…" style="…">, with the title when
// the source gives one. check has already refused images that are not
// https: or have no alt text.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.Image)
	_, _ = w.WriteString(`<img alt="`)
	_, _ = w.Write(util.EscapeHTML([]byte(altText(n, source))))
	_, _ = w.WriteString(`" src="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
	_, _ = w.WriteString(`" style="` + imageStyle + `"`)
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		_, _ = w.Write(util.EscapeHTML([]byte(decode(n.Title))))
		_ = w.WriteByte('"')
	}
	_, _ = w.WriteString(">")
	return ast.WalkSkipChildren, nil
}
