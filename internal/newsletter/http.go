package newsletter

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"unicode/utf8"

	"rekisteri/internal/mail"
	"rekisteri/internal/register"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// bodyLimit is the most a newsletter form may send.
const bodyLimit = 16 << 10

// Routes returns the newsletter's HTTP endpoints (DESIGN §3).
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /newsletter", web.Handle(s.form))
	mux.Handle("POST /newsletter/subscribe", web.Handle(s.subscribe))
	mux.Handle("GET /newsletter/confirm", web.Handle(s.linkPage(token.Confirm)))
	mux.Handle("POST /newsletter/confirm", web.Handle(s.confirm))
	mux.Handle("GET /newsletter/unsubscribe", web.Handle(s.linkPage(token.Unsubscribe)))
	mux.Handle("POST /newsletter/unsubscribe", web.Handle(s.unsubscribe))
	// A list mail's links and its web version (activity.go).
	mux.Handle("GET /newsletter/keep", web.Handle(s.keepPage))
	mux.Handle("POST /newsletter/keep", web.Handle(s.keep))
	mux.Handle("GET /newsletter/go", web.Handle(s.redirect))
	mux.Handle("GET /newsletter/web", web.Handle(s.webVersion))
	// The accessibility statement (Act 306/2019), linked from every page, is
	// published here beside the privacy notice: this function holds the
	// declaration that names the provider.
	mux.Handle("GET /accessibility", web.Statement{Provider: s.reg.Controller.Name.In, Address: s.reg.Controller.Address, Phone: s.reg.Controller.Phone})
	return mux
}

var formTmpl = template.Must(template.New("form").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/newsletter?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{.T.intro}}</p>
<form method="post" action="/newsletter/subscribe?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<label for="email">{{.T.email}}</label>{{.F.Error "email"}}
<input type="email" id="email" name="email" value="{{.F.Value "email"}}" required autocomplete="email"{{.F.Attrs "email"}}>
<label for="name">{{.T.name}}</label>{{.F.Error "name"}}
<input type="text" id="name" name="name" value="{{.F.Value "name"}}" maxlength="200" autocomplete="name"{{.F.Attrs "name"}}>
<fieldset><legend>{{.T.lists}}</legend>{{.F.Error "lists"}}
{{range .Lists}}<div class="check"><input type="checkbox" id="list-{{.ID}}" name="lists" value="{{.ID}}"{{if $.F.Chosen "lists" .ID}} checked{{end}}{{$.F.Attrs "lists"}}>
<label for="list-{{.ID}}"><strong>{{.Name}}</strong><br><small>{{.Consent}}</small></label></div>{{end}}
</fieldset>
{{.F.Error "consent"}}<div class="check"><input type="checkbox" id="consent" name="consent" value="true"{{.F.Attrs "consent"}}>
<label for="consent">{{.T.consent}} <a href="{{.PrivacyURL}}">{{.T.privacy}}</a></label></div>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>`))

type formList struct{ ID, Name, Consent string }

type formData struct {
	Lang, PrivacyURL string
	Langs            []string
	Lists            []formList
	T                map[string]string
	F                *web.Flow
}

// renderForm shows the form: empty, or again after a failed submit with
// the visitor's answers and each error at its field (web.Flow).
func (s *Service) renderForm(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors) error {
	d := formData{Lang: lang, PrivacyURL: s.privacyURL(lang), Langs: register.Languages, T: map[string]string{}}
	for _, k := range []string{"intro", "email", "name", "lists", "consent", "consent.name", "privacy", "submit", "website", "langs"} {
		d.T[k] = t(lang, "form."+k)
	}
	for _, l := range s.reg.Lists {
		if l.IsPublic() { // staff enter the members of the others
			d.Lists = append(d.Lists, formList{ID: l.ID, Name: l.Name.In(lang), Consent: l.Consent.In(lang)})
		}
	}
	first := ""
	if len(d.Lists) > 0 {
		first = "list-" + d.Lists[0].ID
	}
	d.F = web.NewFlow(lang, f, errs, []web.Field{
		{Name: "email", Label: d.T["email"]},
		{Name: "name", Label: d.T["name"]},
		{Name: "lists", ID: first, Label: d.T["lists"]},
		{Name: "consent", Label: d.T["consent.name"]},
	})
	return d.F.Render(w, t(lang, "form.title"), formTmpl, d)
}

func (s *Service) form(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		type list struct {
			ID             string `json:"id"`
			Name           string `json:"name"`
			Consent        string `json:"consent"`
			ConsentVersion string `json:"consentVersion"`
		}
		var lists []list
		for _, l := range s.reg.Lists {
			if l.IsPublic() {
				lists = append(lists, list{l.ID, l.Name.In(lang), l.Consent.In(lang), l.ConsentVersion(lang)})
			}
		}
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "lists": lists, "privacy": s.privacyURL(lang), "noticeVersion": s.reg.Version()})
		return nil
	}
	return s.renderForm(w, lang, f, nil)
}

// parseSignup validates a signup, with one message per field in lang.
func (s *Service) parseSignup(f web.Form, lang string) (Signup, web.FieldErrors) {
	errs := web.FieldErrors{}
	email := f.Get("email")
	if !validEmail(email) {
		errs["email"] = t(lang, "err.email")
	}
	lists := f.All("lists")
	if len(lists) == 0 {
		lists = []string{"newsletter"}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, l := range lists {
		if list, ok := s.reg.List(l); !ok || !list.IsPublic() {
			errs["lists"] = t(lang, "err.lists")
		} else if !seen[l] {
			seen[l] = true
			uniq = append(uniq, l)
		}
	}
	if consent, ok := f.Bool("consent"); !ok || !consent {
		errs["consent"] = t(lang, "err.consent")
	}
	name := f.Get("name")
	if utf8.RuneCountInString(name) > 200 {
		errs["name"] = t(lang, "err.name")
	}
	if len(errs) > 0 {
		return Signup{}, errs
	}
	return Signup{Email: email, Name: name, Lang: lang, Lists: uniq, Channel: "web-form", Form: "newsletter-form/" + s.reg.Version()}, nil
}

// validEmail is the one address rule of every form.
func validEmail(s string) bool { return mail.ValidAddress(s) }

func (s *Service) subscribe(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	// A filled honeypot is a bot: answer as if all went well, keep nothing.
	if f.Get("website") != "" {
		return s.pending(w, r, lang)
	}
	in, errs := s.parseSignup(f, lang)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderForm(w, lang, f, errs)
	}
	if err := s.Subscribe(r.Context(), in); err != nil {
		return web.Unavailable(err)
	}
	return s.pending(w, r, lang)
}

func (s *Service) pending(w http.ResponseWriter, r *http.Request, lang string) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, t(lang, "pending.title"), t(lang, "pending.body"))
	return nil
}

// linkPage answers the GET of a link in mail with a page and a button: link
// scanners fetch GETs, and they must not confirm or unsubscribe anyone.
func (s *Service) linkPage(purpose string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, _ := web.Decode(w, r, bodyLimit)
		lang := web.Lang(r, f)
		tok := f.Get("token")
		if err := s.CheckLink(r.Context(), tok, purpose); err != nil {
			return s.linkError(w, r, lang, err)
		}
		key, action := "confirm", "/newsletter/confirm"
		if purpose == token.Unsubscribe {
			key, action = "unsub", "/newsletter/unsubscribe"
		}
		return web.LinkPage{Body: t(lang, key+".body"), Action: action, Token: tok, Lang: lang,
			Buttons: []web.Button{{Label: t(lang, key+".button")}}}.Render(w, t(lang, key+".title"))
	}
}

func (s *Service) confirm(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	if err := s.Confirm(r.Context(), f.Get("token")); err != nil {
		return s.linkError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "active"})
		return nil
	}
	web.Message(w, http.StatusOK, lang, t(lang, "active.title"), t(lang, "active.body"))
	return nil
}

// unsubscribe serves both the page's button and RFC 8058 one-click POSTs
// from mail clients, which carry List-Unsubscribe=One-Click and no cookies.
// It never redirects.
func (s *Service) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	channel := "unsubscribe-page"
	if f.Get("List-Unsubscribe") == "One-Click" {
		channel = "one-click"
	}
	if err := s.Unsubscribe(r.Context(), f.Get("token"), channel); err != nil {
		return s.linkError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "unsubscribed"})
		return nil
	}
	web.Message(w, http.StatusOK, lang, t(lang, "unsubbed.title"), t(lang, "unsubbed.body"))
	return nil
}

var linkErrTmpl = template.Must(template.New("linkerr").Parse(`<p>{{.Body}}</p><p><a href="/newsletter?lang={{.Lang}}">{{.Again}}</a></p>`))

func (s *Service) linkError(w http.ResponseWriter, r *http.Request, lang string, err error) error {
	var key string
	switch {
	case errors.Is(err, ErrLinkExpired):
		key = "link.expired"
	case errors.Is(err, ErrLinkInvalid):
		key = "link.invalid"
	case errors.Is(err, ErrLinkUsedUp):
		key = "link.usedup"
	case errors.Is(err, context.Canceled):
		return err
	default:
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": t(lang, key)})
		return nil
	}
	return web.Render(w, http.StatusBadRequest, lang, t(lang, "link.title"), linkErrTmpl, map[string]string{"Body": t(lang, key), "Lang": lang, "Again": t(lang, "link.again")})
}
