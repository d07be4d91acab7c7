package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"rekisteri/internal/errlog"
)

// WantsJSON reports whether the answer should be JSON: the request was JSON
// or asks for it.
func WantsJSON(r *http.Request) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/json" {
		return true
	}
	// The Lambda adapter splits headers at commas: read every value.
	return strings.Contains(strings.Join(r.Header.Values("Accept"), ","), "application/json")
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var matcher = language.NewMatcher([]language.Tag{language.Finnish, language.Swedish, language.English})

// Lang is the language to answer in: the lang field if it names one of ours,
// else the browser's Accept-Language, else Finnish.
func Lang(r *http.Request, f Form) string {
	switch l := f.Get("lang"); l {
	case "fi", "sv", "en":
		return l
	}
	if al := strings.Join(r.Header.Values("Accept-Language"), ","); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf >= language.High {
				return []string{"fi", "sv", "en"}[idx]
			}
		}
	}
	return "fi"
}

//go:embed layout.html
var layoutFS embed.FS

var layout = template.Must(template.ParseFS(layoutFS, "layout.html"))

// Page is a whole HTML page: a title and a body the caller rendered. Every
// page ends with links to the privacy notice and the accessibility statement.
type Page struct {
	Lang  string
	Title string
	Body  template.HTML
	// notice is the register whose notice the footer links to, from
	// WithNotice; NoticeRegister when none was given.
	notice string
}

// NoticeRegister is the register whose privacy notice a page links to
// unless its handler is wrapped in WithNotice.
const NoticeRegister = "museum"

// T is a word of the page's frame in its language.
func (p Page) T(key string) string { return text(p.Lang, key) }

// Register is the register whose notice the footer links to.
func (p Page) Register() string {
	if p.notice != "" {
		return p.notice
	}
	return NoticeRegister
}

// WithNotice makes every page h writes link to the privacy notice of
// register (the libraries' pages to the libraries' notice).
func WithNotice(register string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(noticeWriter{ResponseWriter: w, register: register}, r)
	})
}

// noticeWriter carries WithNotice's register to HTML.
type noticeWriter struct {
	http.ResponseWriter
	register string
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (n noticeWriter) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// HTML writes a page. Links in our pages carry tokens, so the page is never
// cached and never sends a Referer onwards.
func HTML(w http.ResponseWriter, status int, p Page) {
	if nw, ok := w.(noticeWriter); ok && p.notice == "" {
		p.notice = nw.register
	}
	var buf bytes.Buffer
	if err := layout.Execute(&buf, p); err != nil {
		slog.Error("render page", errlog.Attr(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var messageTmpl = template.Must(template.New("m").Parse(`{{range .}}<p>{{.}}</p>{{end}}`))

// Message writes a page of plain paragraphs.
func Message(w http.ResponseWriter, status int, lang, title string, paragraphs ...string) {
	var buf bytes.Buffer
	_ = messageTmpl.Execute(&buf, paragraphs)
	HTML(w, status, Page{Lang: lang, Title: title, Body: template.HTML(buf.String())})
}

// Render executes t with data as a page body.
func Render(w http.ResponseWriter, status int, lang, title string, t *template.Template, data any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	HTML(w, status, Page{Lang: lang, Title: title, Body: template.HTML(buf.String())})
	return nil
}
