package requests

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"rekisteri/internal/mail"
	"rekisteri/internal/register"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// bodyLimit is the most a request form may send: 4000 characters of
// details, each up to 4 bytes, and the rest.
const bodyLimit = 24 << 10

// detailsLimit is the most characters of free text a request carries.
const detailsLimit = 4000

// linkValidity is how long a verification or download link works.
const linkValidity = 7 * 24 * time.Hour

// Routes returns the public endpoints (DESIGN §3).
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /requests", web.Handle(s.form))
	mux.Handle("POST /requests", web.Handle(s.submit))
	mux.Handle("GET /requests/verify", web.Handle(s.linkPage(token.VerifyRequest)))
	mux.Handle("POST /requests/verify", web.Handle(s.verify))
	mux.Handle("GET /requests/download", web.Handle(s.linkPage(token.Download)))
	mux.Handle("POST /requests/download", web.Handle(s.download))
	return mux
}

var formTmpl = template.Must(template.New("form").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/requests?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{.T.intro}} <a href="{{.PrivacyURL}}">{{.T.privacy}}</a></p>
<form method="post" action="/requests?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<fieldset><legend>{{.T.type}}</legend>{{.F.Error "type"}}
{{range .Types}}<div class="check"><input type="radio" id="type-{{.ID}}" name="type" value="{{.ID}}"{{if $.F.Chosen "type" .ID}} checked{{end}}{{$.F.Attrs "type"}}>
<label for="type-{{.ID}}">{{.Name}}</label></div>{{end}}
</fieldset>
<label for="email">{{.T.email}}</label>
<p class="hint" id="email-hint">{{.T.emailhint}}</p>{{.F.Error "email"}}
<input type="email" id="email" name="email" value="{{.F.Value "email"}}" required autocomplete="email"{{.F.Hinted "email-hint" "email"}}>
<label for="details">{{.T.details}}</label>
<p class="hint" id="details-hint">{{.T.detailshint}}</p>{{.F.Error "details"}}
<textarea id="details" name="details" rows="6" maxlength="4000"{{.F.Hinted "details-hint" "details"}}>{{.F.Value "details"}}</textarea>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>`))

type formType struct{ ID, Name string }

func (s *Service) privacyURL(lang string) string { return s.reg.NoticeURL(s.baseURL, lang) }

func (s *Service) renderForm(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors) error {
	d := struct {
		Lang, PrivacyURL string
		Langs            []string
		Types            []formType
		T                map[string]string
		F                *web.Flow
	}{Lang: lang, PrivacyURL: s.privacyURL(lang), Langs: register.Languages, T: map[string]string{}}
	for k, key := range map[string]string{"langs": "langs", "intro": "form.intro", "type": "type", "email": "email", "emailhint": "email.hint",
		"details": "details", "detailshint": "details.hint", "submit": "submit", "website": "website", "privacy": "privacy"} {
		d.T[k] = t(lang, key)
	}
	for _, typ := range Types {
		d.Types = append(d.Types, formType{ID: typ, Name: t(lang, "type."+typ)})
	}
	d.F = web.NewFlow(lang, f, errs, []web.Field{
		{Name: "type", ID: "type-" + Types[0], Label: t(lang, "type")},
		{Name: "email", Label: t(lang, "email")},
		{Name: "details", Label: t(lang, "details")},
	})
	return d.F.Render(w, t(lang, "form.title"), formTmpl, d)
}

func (s *Service) form(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		names := map[string]string{}
		for _, typ := range Types {
			names[typ] = t(lang, "type."+typ)
		}
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "types": Types, "names": names, "privacy": s.privacyURL(lang)})
		return nil
	}
	return s.renderForm(w, lang, f, nil)
}

// Intake is a request as the public form sends it.
type Intake struct {
	Type, Email, Details, Lang string
}

func parseIntake(f web.Form, lang string) (Intake, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := Intake{Type: f.Get("type"), Email: f.Get("email"), Details: f.Get("details"), Lang: lang}
	if !slices.Contains(Types, in.Type) {
		errs["type"] = t(lang, "err.type")
	}
	if !mail.ValidAddress(in.Email) {
		errs["email"] = t(lang, "err.email")
	}
	if utf8.RuneCountInString(in.Details) > detailsLimit {
		errs["details"] = t(lang, "err.details")
	}
	if len(errs) > 0 {
		return Intake{}, errs
	}
	return in, nil
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	// A filled honeypot is a bot: answer as if all went well, keep nothing.
	if f.Get("website") != "" {
		return s.pending(w, r, lang)
	}
	in, errs := parseIntake(f, lang)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderForm(w, lang, f, errs)
	}
	if _, err := s.Receive(r.Context(), in); err != nil {
		return web.Unavailable(err)
	}
	return s.pending(w, r, lang)
}

// pending is the one answer to every accepted submit, known address or not.
func (s *Service) pending(w http.ResponseWriter, r *http.Request, lang string) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "pending_verification"})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, t(lang, "pending.title"), t(lang, "pending.body"))
	return nil
}

// linkPage answers the GET of a link in mail with a page and a button:
// link scanners fetch GETs, and must neither verify a request nor fetch a copy.
func (s *Service) linkPage(purpose string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, _ := web.Decode(w, r, bodyLimit)
		lang := web.Lang(r, f)
		tok := f.Get("token")
		if _, err := s.checkLink(r.Context(), tok, purpose); err != nil {
			return s.linkError(w, r, lang, err)
		}
		if purpose == token.Download {
			return web.LinkPage{Body: t(lang, "download.body"), Action: "/requests/download", Token: tok, Lang: lang, Buttons: []web.Button{
				{Field: "format", Value: "html", Label: t(lang, "download.html")},
				{Field: "format", Value: "json", Label: t(lang, "download.json")},
			}}.Render(w, t(lang, "download.title"))
		}
		return web.LinkPage{Body: t(lang, "verify.body"), Action: "/requests/verify", Token: tok, Lang: lang,
			Buttons: []web.Button{{Label: t(lang, "verify.button")}}}.Render(w, t(lang, "verify.title"))
	}
}

// Errors of a link; the pages say what to do.
var (
	ErrLinkInvalid = errors.New("requests: link invalid")
	ErrLinkExpired = errors.New("requests: link expired")
	ErrCopyGone    = errors.New("requests: the copy is gone")
)

func (s *Service) checkLink(ctx context.Context, tok, purpose string) (token.Claims, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return token.Claims{}, err
	}
	c, err := token.Verify(keys.Token, tok, purpose, s.now())
	switch {
	case errors.Is(err, token.ErrExpired):
		return c, ErrLinkExpired
	case err != nil || !ValidID(c.ID):
		return c, ErrLinkInvalid
	}
	return c, nil
}

var linkErrTmpl = template.Must(template.New("linkerr").Parse(`<p>{{.Body}}</p><p><a href="/requests?lang={{.Lang}}">{{.Again}}</a></p>`))

func (s *Service) linkError(w http.ResponseWriter, r *http.Request, lang string, err error) error {
	var key string
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrLinkExpired):
		key, status = "link.expired", http.StatusGone
	case errors.Is(err, ErrLinkInvalid), errors.Is(err, ErrNotFound):
		key = "link.invalid"
	case errors.Is(err, ErrCopyGone):
		key, status = "link.gone", http.StatusGone
	default:
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, map[string]string{"error": t("en", key)})
		return nil
	}
	return web.Render(w, status, lang, t(lang, "link.title"), linkErrTmpl, map[string]string{"Body": t(lang, key), "Lang": lang, "Again": t(lang, "again")})
}

func (s *Service) verify(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	c, err := s.checkLink(r.Context(), f.Get("token"), token.VerifyRequest)
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	req, err := s.Verify(r.Context(), c.ID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return s.linkError(w, r, lang, err)
		}
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "verified", "due": req.Due()})
		return nil
	}
	web.Message(w, http.StatusOK, lang, t(lang, "verified.title"), fmt.Sprintf(t(lang, "verified.body"), req.Due(), req.ID()))
	return nil
}

// downloadLinkTTL is how long the bucket's own link, given after the
// button, works: long enough to start the download, no longer.
const downloadLinkTTL = 5 * time.Minute

func (s *Service) download(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	c, err := s.checkLink(r.Context(), f.Get("token"), token.Download)
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	format := f.Get("format")
	if format != "json" {
		format = "html"
	}
	req, err := s.store.Get(r.Context(), c.ID)
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	key := ExportKey(req.ID(), format)
	if !slices.Contains(req.Exports, key) {
		return s.linkError(w, r, lang, ErrCopyGone)
	}
	url, err := s.exports.Link(r.Context(), key, downloadLinkTTL)
	if err != nil {
		return web.Unavailable(err)
	}
	// A browser may not follow the button's form to the bucket: the page's
	// CSP (form-action 'self') governs the redirect too. It gets a page
	// with the bucket's link, which is a plain navigation.
	if strings.Contains(strings.Join(r.Header.Values("Accept"), ","), "text/html") {
		return web.Render(w, http.StatusOK, lang, t(lang, "download.title"), readyTmpl,
			map[string]string{"Body": t(lang, "ready.body"), "URL": url, "Label": t(lang, "download."+format)})
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

var readyTmpl = template.Must(template.New("ready").Parse(`<p>{{.Body}}</p><p><a href="{{.URL}}">{{.Label}}</a></p>`))

// exportKey is where a request's copy in format is kept in the bucket.
// ExportKey is where a request's copy in format (html, json) is kept.
func ExportKey(id, format string) string { return "access/" + id + "/copy." + format }
