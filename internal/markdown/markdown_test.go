package markdown

import (
	"strings"
	"testing"
)

// forbidden must never appear in either part of any rendered body.
var forbidden = []string{"<script", "onerror", "onclick", "<iframe", "javascript:", "target="}

type renderCase struct {
	name    string
	src     string
	err     string   // the error, exactly; "" when Render must succeed
	html    []string // substrings of Body.HTML
	notHTML []string // not substrings of Body.HTML
	text    []string // substrings of Body.Text
	notText []string // not substrings of Body.Text
	exact   string   // Body.Text exactly, when not ""
}

const sample = "# Näyttely avautuu\n\nTervetuloa *avajaisiin* &amp; **kahville** klo 18.\nRivi kaksi.\n\n## Ohjelma\n\n- puhe\n- musiikki\n\n1. ensin\n2. sitten\n\n> Lainaus\n\nKoodi `x < y`:\n\n    go run .\n\n---\n\nLue [lisää](https://museo.fi/nayttely) tai <https://museo.fi>, kirjoita [info@museo.fi](mailto:info@museo.fi).\n\n![Museon julkisivu](https://museo.fi/kuva.jpg)\n"

const sampleText = "Näyttely avautuu\n================\n\nTervetuloa avajaisiin & kahville klo 18.\nRivi kaksi.\n\nOhjelma\n-------\n\n- puhe\n- musiikki\n\n1. ensin\n2. sitten\n\n> Lainaus\n\nKoodi x < y:\n\n    go run .\n\n----------\n\nLue lisää (https://museo.fi/nayttely) tai https://museo.fi, kirjoita info@museo.fi.\n\n[Museon julkisivu]\n"

func linkErr(dest string) string {
	return `markdown: link "` + dest + `" is not allowed: use an https:, http: or mailto: address`
}

func imageErr(dest string) string {
	return `markdown: image "` + dest + `" is not allowed: use an absolute https: address (https://…)`
}

var cases = []renderCase{
	// 1. Raw HTML never reaches the output.
	{name: "html block script", src: "Hei\n\n<script>alert(1)</script>\n", exact: "Hei\n", notText: []string{"alert"}},
	{name: "inline img onerror", src: "Hei <img src=x onerror=alert(1)> taas", html: []string{"<p>Hei  taas</p>"}, notHTML: []string{"<img"}, exact: "Hei  taas\n"},
	{name: "iframe block", src: "Hei\n\n<iframe src=\"https://evil.example\"></iframe>\n", exact: "Hei\n", notHTML: []string{"evil"}},
	{name: "inline span onclick keeps its text", src: `Hei <span onclick="alert(1)">teksti</span>`, html: []string{"<p>Hei teksti</p>"}, notHTML: []string{"<span"}, exact: "Hei teksti\n"},
	{name: "no omitted-HTML comments", src: "Hei <b>x</b>", notHTML: []string{"<!--", "<b>"}},
	{name: "only raw HTML", src: "<script>alert(1)</script>", err: "markdown: the body has nothing to show: raw HTML is left out of mailings, write the text in Markdown"},

	// 2. Links: https, http and mailto only.
	{name: "https link", src: "[a](https://museo.fi/x)", html: []string{`<a href="https://museo.fi/x">a</a>`}},
	{name: "http link", src: "[a](http://museo.fi/x)", html: []string{`<a href="http://museo.fi/x">a</a>`}},
	{name: "mailto link", src: "[kirjoita](mailto:info@museo.fi)", html: []string{`<a href="mailto:info@museo.fi">kirjoita</a>`}, exact: "kirjoita (mailto:info@museo.fi)\n"},
	{name: "email autolink", src: "<info@museo.fi>", html: []string{`<a href="mailto:info@museo.fi">info@museo.fi</a>`}, exact: "info@museo.fi\n"},
	{name: "javascript link", src: "[a](javascript:alert(1))", err: linkErr("javascript:alert(1)")},
	{name: "javascript link any case", src: "[a](JavaScript:alert(1))", err: linkErr("JavaScript:alert(1)")},
	{name: "javascript link hidden in an entity", src: "[a](java&#x73;cript:alert(1))", err: linkErr("javascript:alert(1)")},
	{name: "javascript reference link", src: "[a][r]\n\n[r]: javascript:alert(1)\n", err: linkErr("javascript:alert(1)")},
	{name: "data link", src: "[a](data:text/html;base64,PHNjcmlwdD4=)", err: linkErr("data:text/html;base64,PHNjcmlwdD4=")},
	{name: "vbscript link", src: "[a](vbscript:msgbox)", err: linkErr("vbscript:msgbox")},
	{name: "relative link", src: "[a](/sivu.html)", err: linkErr("/sivu.html")},
	{name: "relative link without slash", src: "[a](sivu.html)", err: linkErr("sivu.html")},
	{name: "fragment link", src: "[a](#alku)", err: linkErr("#alku")},
	{name: "protocol-relative link", src: "[a](//evil.example/x)", err: linkErr("//evil.example/x")},
	{name: "https link without host", src: "[a](https:///x)", err: linkErr("https:///x")},
	{name: "empty mailto", src: "[a](mailto:)", err: linkErr("mailto:")},
	{name: "javascript autolink", src: "<javascript:alert(1)>", err: linkErr("javascript:alert(1)")},
	{name: "ftp autolink", src: "<ftp://museo.fi/x>", err: linkErr("ftp://museo.fi/x")},

	// 3. Images: absolute https with alt text.
	{name: "https image", src: "![Julkisivu](https://museo.fi/k.jpg)", html: []string{`<img alt="Julkisivu" src="https://museo.fi/k.jpg" style="max-width:100%;height:auto">`}, exact: "[Julkisivu]\n"},
	{name: "image title kept", src: `![A](https://museo.fi/k.jpg "Otsikko")`, html: []string{`style="max-width:100%;height:auto" title="Otsikko">`}},
	{name: "http image", src: "![A](http://museo.fi/k.jpg)", err: imageErr("http://museo.fi/k.jpg")},
	{name: "relative image", src: "![A](kuvat/k.jpg)", err: imageErr("kuvat/k.jpg")},
	{name: "protocol-relative image", src: "![A](//museo.fi/k.jpg)", err: imageErr("//museo.fi/k.jpg")},
	{name: "data image", src: "![A](data:image/png;base64,iVBORw0KGgo=)", err: imageErr("data:image/png;base64,iVBORw0KGgo=")},
	{name: "image without alt", src: "![](https://museo.fi/k.jpg)", err: `markdown: image "https://museo.fi/k.jpg" has no alt text: describe the image between the brackets, ![like this](https://museo.fi/k.jpg)`},
	{name: "image with blank alt", src: "![  ](https://museo.fi/k.jpg)", err: `markdown: image "https://museo.fi/k.jpg" has no alt text: describe the image between the brackets, ![like this](https://museo.fi/k.jpg)`},

	// 4. Ordinary Markdown renders as ordinary HTML.
	{name: "blocks and inlines", src: sample, html: []string{
		"<h1>Näyttely avautuu</h1>", "<h2>Ohjelma</h2>", "<em>avajaisiin</em>", "<strong>kahville</strong>",
		"<ul>\n<li>puhe</li>", "<ol>\n<li>ensin</li>", "<blockquote>\n<p>Lainaus</p>", "<code>x &lt; y</code>",
		"<pre><code>go run .\n</code></pre>", "<hr>", `<a href="https://museo.fi/nayttely">lisää</a>`,
	}, notHTML: []string{"<html", "<body", "utm_"}},
	{name: "link untouched", src: "[a](https://museo.fi/x?y=1)", html: []string{`<p><a href="https://museo.fi/x?y=1">a</a></p>`}, notHTML: []string{"utm_", "rel="}},

	// 5. The text part.
	{name: "text of the sample", src: sample, exact: sampleText},
	{name: "link text equals url", src: "[https://museo.fi](https://museo.fi)", exact: "https://museo.fi\n"},
	{name: "entities decoded", src: "A &amp; B &lt;C&gt; &quot;D&quot; &#228;", exact: "A & B <C> \"D\" ä\n"},
	{name: "backslash escapes", src: `\*ei korostusta\*`, exact: "*ei korostusta*\n"},
	{name: "finnish and swedish letters", src: "Äiti, öljy ja ÅÄÖ – välkommen på museet", exact: "Äiti, öljy ja ÅÄÖ – välkommen på museet\n"},
	{name: "emphasis dropped", src: "*a* _b_ **c** __d__ ***e***", exact: "a b c d e\n"},
	{name: "no wrapping", src: strings.Repeat("sana ", 40) + "loppu", exact: strings.Repeat("sana ", 40) + "loppu\n"},
	{name: "loose ordered list from 3", src: "3. a\n\n4. b\n", exact: "3. a\n\n4. b\n"},
	{name: "nested list", src: "- a\n  - b\n- c\n", exact: "- a\n  - b\n- c\n"},
	{name: "setext heading", src: "Otsikko\n-------\n\nteksti", exact: "Otsikko\n-------\n\nteksti\n"},

	// 6. Empty and oversize sources.
	{name: "empty", src: "", err: "markdown: the body is empty"},
	{name: "whitespace only", src: " \n\t\n  ", err: "markdown: the body is empty"},
	{name: "over the limit", src: strings.Repeat("a", MaxSource+1), err: "markdown: the body is 100001 bytes, over the limit of 100000 bytes: shorten it"},
	{name: "at the limit", src: strings.Repeat("a", MaxSource)},
}

func TestRender(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Render(c.src)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("Render error = %v, want %q", err, c.err)
				}
				if b != (Body{}) {
					t.Errorf("Render gave a body with its error: %+v", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, f := range forbidden {
				if strings.Contains(strings.ToLower(b.HTML), f) || strings.Contains(strings.ToLower(b.Text), f) {
					t.Errorf("output contains %q:\nHTML: %s\nText: %s", f, b.HTML, b.Text)
				}
			}
			check := func(part, got string, want []string, has bool) {
				for _, w := range want {
					if strings.Contains(got, w) != has {
						t.Errorf("%s contains %q = %v, want %v; %s:\n%s", part, w, !has, has, part, got)
					}
				}
			}
			check("HTML", b.HTML, c.html, true)
			check("HTML", b.HTML, c.notHTML, false)
			check("Text", b.Text, c.text, true)
			check("Text", b.Text, c.notText, false)
			if c.exact != "" && b.Text != c.exact {
				t.Errorf("Text =\n%q\nwant\n%q", b.Text, c.exact)
			}
		})
	}
}

// 7. The same source gives the same output.
func TestRenderDeterministic(t *testing.T) {
	for _, src := range []string{sample, "[a](https://museo.fi/x?b=1&c=2)", "Hei <span onclick=x>y</span>"} {
		first, err := Render(src)
		if err != nil {
			t.Fatalf("Render(%q): %v", src, err)
		}
		for range 20 {
			if again, _ := Render(src); again != first {
				t.Fatalf("Render(%q) changed:\n%+v\nthen\n%+v", src, first, again)
			}
		}
	}
}
