package library

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"rekisteri/internal/register"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// GET /library/login, POST /library/login (customer, pin), POST
// /library/logout (csrf). The session itself: session.go; the lockout:
// lockout.go.

// numberRE is what a customer number may look like; anything else is no
// patron's, refused without reading anything.
var numberRE = regexp.MustCompile(`^[0-9A-Za-z-]{1,32}$`)

// customerNumber is the number as typed, without the spaces a card prints.
func customerNumber(f web.Form) string { return strings.ReplaceAll(f.Get("customer"), " ", "") }

func (s *Service) loginForm(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, sessionBody)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "fields": []string{"customer", "pin"},
			"maxFailedLogins": MaxFailedLogins, "lockoutMinutes": int(LockoutPeriod / time.Minute), "sessionMinutes": int(SessionLifetime / time.Minute)})
		return nil
	}
	notice := ""
	switch r.URL.Query().Get("from") {
	case "logout":
		notice = sessionText(lang, "login.signedout")
	case "expired":
		notice = sessionText(lang, "login.expired")
	}
	// Never the query's values: a customer number has no place in a URL.
	return s.renderLogin(w, lang, web.NewForm(url.Values{}), nil, http.StatusOK, notice)
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, sessionBody)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	number, pin := customerNumber(f), f.Get("pin")
	errs := web.FieldErrors{}
	if number == "" {
		errs["customer"] = sessionText(lang, "err.required")
	}
	if pin == "" {
		errs["pin"] = sessionText(lang, "err.required")
	}
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderLogin(w, lang, f, errs, http.StatusBadRequest, "")
	}
	now := s.now()
	id, err := s.signIn(r.Context(), number, pin, now)
	switch {
	case errors.Is(err, ErrLoginFailed):
		msg := sessionText(lang, "login.failed")
		if web.WantsJSON(r) {
			web.JSON(w, http.StatusUnauthorized, map[string]string{"error": msg})
			return nil
		}
		return s.renderLogin(w, lang, f, web.FieldErrors{"pin": msg}, http.StatusUnauthorized, "")
	case err != nil:
		return web.Unavailable(err)
	}
	keys, err := s.keys.Keys(r.Context())
	if err != nil {
		return web.Unavailable(err)
	}
	until := now.Add(SessionLifetime)
	http.SetCookie(w, s.cookie(token.Sign(keys.Token, token.Claims{Purpose: token.LibrarySession, Subject: number, ID: id, Expires: until.Unix()}),
		int(SessionLifetime/time.Second)))
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "signed-in", CSRFField: csrfToken(keys.Token, id), "until": until.UTC().Format(time.RFC3339)})
		return nil
	}
	http.Redirect(w, r, "/library/me?lang="+lang, http.StatusSeeOther)
	return nil
}

// signIn checks number's PIN and starts a session, answering its id; every
// refusal is ErrLoginFailed, whatever its cause (lockout.go), and is counted.
func (s *Service) signIn(ctx context.Context, number, pin string, now time.Time) (string, error) {
	if !numberRE.MatchString(number) {
		_, _ = CheckPIN(dummyHash, pin) // the same work as for any number
		return "", ErrLoginFailed
	}
	p, err := s.getPatron(ctx, number)
	switch {
	case errors.Is(err, ErrNotFound):
		p = nil
	case err != nil:
		return "", err
	}
	hash := dummyHash
	if p != nil && p.PIN != "" {
		hash = p.PIN
	}
	ok, err := CheckPIN(hash, pin)
	if err != nil {
		ok = false // a malformed stored hash opens nothing
	}
	if !ok || p == nil || p.PIN == "" || lockedAt(p, now) {
		s.refuse(ctx, number, p, now)
		return "", ErrLoginFailed
	}
	return s.startSession(ctx, number, p, now)
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, sessionBody)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	ss, err := s.SessionPost(r, f)
	switch {
	case errors.Is(err, ErrBadCSRF):
		return s.csrfRefused(w, r, lang)
	case errors.Is(err, ErrNotSignedIn): // signed out already: clear the cookie all the same
	case err != nil:
		return web.Unavailable(err)
	default:
		if err := s.endSession(r.Context(), ss); err != nil {
			return web.Unavailable(err)
		}
	}
	http.SetCookie(w, s.cookie("", -1))
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "signed-out"})
		return nil
	}
	http.Redirect(w, r, "/library/login?lang="+lang+"&from=logout", http.StatusSeeOther)
	return nil
}

// csrfRefused answers a form without the session's token: 403, nothing done.
func (s *Service) csrfRefused(w http.ResponseWriter, r *http.Request, lang string) error {
	msg := sessionText(lang, "err.csrf")
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusForbidden, map[string]string{"error": msg})
		return nil
	}
	web.Message(w, http.StatusForbidden, lang, sessionText(lang, "error.prefix")+sessionText(lang, "login.title"), msg)
	return nil
}

var loginTmpl = template.Must(template.New("login").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/library/login?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{if .Notice}}<p role="status">{{.Notice}}</p>{{end}}
{{.F.Summary}}
<p>{{.T.login_intro}}</p>
<form method="post" action="/library/login?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<label for="customer">{{.T.login_customer}}</label>{{.F.Error "customer"}}<input type="text" id="customer" name="customer" autocomplete="username" inputmode="numeric" spellcheck="false" value="{{.F.Value "customer"}}"{{.F.Attrs "customer"}}>
<label for="pin">{{.T.login_pin}}</label>{{.F.Error "pin"}}<input type="password" id="pin" name="pin" autocomplete="current-password" inputmode="numeric"{{.F.Attrs "pin"}}>
<button type="submit">{{.T.login_submit}}</button>
</form>
<p>{{.T.login_rule}}</p>`))

// renderLogin shows the login form: the customer number shown back after a
// failed try, the PIN never.
func (s *Service) renderLogin(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors, status int, notice string) error {
	fl := web.NewFlow(lang, f, errs, []web.Field{
		{Name: "customer", Label: sessionText(lang, "login.customer")},
		{Name: "pin", Label: sessionText(lang, "login.pin"), Secret: true},
	})
	title := sessionText(lang, "login.title")
	if fl.Failed() {
		title = sessionText(lang, "error.prefix") + title
	}
	return web.Render(w, status, lang, title, loginTmpl,
		map[string]any{"Lang": lang, "Langs": register.Languages, "T": sessionWords(lang), "F": fl, "Notice": notice})
}
