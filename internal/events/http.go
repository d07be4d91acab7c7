package events

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"rekisteri/internal/mail"
	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

// bodyLimit is the most a signup form may send.
const bodyLimit = 16 << 10

// MaxGuests is how many guests one signup may bring.
const MaxGuests = 5

// Routes returns the events endpoints.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /events/signup", web.Handle(s.form))
	mux.Handle("POST /events/signup", web.Handle(s.submit))
	mux.Handle("GET /events/cancel", web.Handle(s.cancelPage))
	mux.Handle("POST /events/cancel", web.Handle(s.cancelPost))
	return mux
}

// Parse validates a signup, with one message per field in lang.
func Parse(f web.Form, lang string) (Signup, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := Signup{Lang: lang, Name: f.Get("name"), Email: f.Get("email"), RSVP: f.Get("rsvp")}
	switch {
	case in.Name == "":
		errs["name"] = t(lang, "err.required")
	case utf8.RuneCountInString(in.Name) > 100:
		errs["name"] = t(lang, "err.long")
	}
	if !mail.ValidAddress(in.Email) {
		errs["email"] = t(lang, "err.email")
	}
	g := f.Get("guests")
	if g == "" {
		g = "0"
	}
	if n, err := strconv.Atoi(g); err != nil || n < 0 || n > MaxGuests {
		errs["guests"] = fmt.Sprintf(t(lang, "err.guests"), MaxGuests)
	} else {
		in.Guests = n
	}
	return in, errs
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	ev, err := s.Get(r.Context(), eventParam(r, f))
	if err != nil {
		return s.eventError(w, r, lang, err)
	}
	if f.Get("website") != "" {
		return s.registered(w, r, lang, ev) // a bot: the same answer, nothing kept
	}
	in, errs := Parse(f, lang)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderForm(w, lang, ev, f, errs, http.StatusBadRequest)
	}
	_, err = s.Register(r.Context(), ev, in)
	switch {
	case errors.Is(err, ErrFull):
		if latest, err := s.Get(r.Context(), ev.ID); err == nil {
			ev = latest
		}
		msg := t(lang, "full")
		if ev.Left() > 0 {
			msg = fmt.Sprintf(t(lang, "err.left"), ev.Left())
		}
		if web.WantsJSON(r) {
			web.JSON(w, http.StatusConflict, map[string]any{"error": msg, "left": ev.Left()})
			return nil
		}
		var errs web.FieldErrors
		if ev.Left() > 0 { // full: the page says so, and there is no form to mark
			errs = web.FieldErrors{"guests": msg}
		}
		return s.renderForm(w, lang, ev, f, errs, http.StatusConflict)
	case errors.Is(err, ErrLinkInvalid):
		return web.FieldErrors{"rsvp": t(lang, "link.invalid")}
	case err != nil:
		return web.Unavailable(err)
	}
	return s.registered(w, r, lang, ev)
}

// eventParam is the event the query names (or, for a form, the body).
func eventParam(r *http.Request, f web.Form) string {
	if id := r.URL.Query().Get("event"); id != "" {
		return id
	}
	return f.Get("event")
}

func (s *Service) registered(w http.ResponseWriter, r *http.Request, lang string, ev Event) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "registered"})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, t(lang, "registered.title"), fmt.Sprintf(t(lang, "registered.body"), ev.NameIn(lang), ev.Date))
	return nil
}

func (s *Service) form(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	ev, err := s.Get(r.Context(), eventParam(r, f))
	if err != nil {
		return s.eventError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "event": ev.ID, "name": ev.NameIn(lang), "date": ev.Date, "start": ev.Start,
			"place": ev.Place, "capacity": ev.Capacity, "left": ev.Left(), "maxGuests": MaxGuests, "fields": []string{"name", "email", "guests"}})
		return nil
	}
	return s.renderForm(w, lang, ev, f, nil, http.StatusOK)
}

var formTmpl = template.Must(template.New("event").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/events/signup?event={{$.Ev.ID}}&amp;lang={{.}}{{if $.RSVP}}&amp;rsvp={{$.RSVP}}{{end}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<dl><dt>{{.T.when}}</dt><dd>{{.Ev.Date}}{{if .Ev.Start}} {{.T.at}} {{.Ev.Start}}{{end}}</dd>
{{if .Ev.Place}}<dt>{{.T.place}}</dt><dd>{{.Ev.Place}}</dd>{{end}}
<dt>{{.T.left}}</dt><dd>{{.Left}}</dd></dl>
{{if .Left}}<form method="post" action="/events/signup?event={{.Ev.ID}}&amp;lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">{{if .RSVP}}<input type="hidden" name="rsvp" value="{{.RSVP}}">{{end}}
<label for="name">{{.T.name}}</label>{{.F.Error "name"}}<input type="text" id="name" name="name" autocomplete="name" value="{{.F.Value "name"}}"{{.F.Attrs "name"}}>
<label for="email">{{.T.email}}</label>{{.F.Error "email"}}<input type="email" id="email" name="email" autocomplete="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
<label for="guests">{{.T.guests}}</label>{{.F.Error "guests"}}<input type="number" id="guests" name="guests" min="0" max="{{.MaxGuests}}" inputmode="numeric" value="{{.F.Value "guests"}}"{{.F.Attrs "guests"}}>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>{{else}}<p role="status">{{.T.full}}</p>{{end}}`))

// formFields are the form's fields in its order.
var formFields = []string{"name", "email", "guests"}

// renderForm shows the form: empty, or again after a failed submit with the
// visitor's answers and each error at its field (web.Flow).
func (s *Service) renderForm(w http.ResponseWriter, lang string, ev Event, f web.Form, errs web.FieldErrors, status int) error {
	d := map[string]any{"Lang": lang, "Langs": register.Languages, "Ev": ev, "Left": ev.Left(), "MaxGuests": MaxGuests, "RSVP": f.Get("rsvp")}
	tr := map[string]string{}
	for k := range texts["fi"] {
		tr[strings.TrimPrefix(k, "form.")] = t(lang, k)
	}
	d["T"] = tr
	fields := make([]web.Field, 0, len(formFields))
	for _, name := range formFields {
		fields = append(fields, web.Field{Name: name, Label: t(lang, "form."+name)})
	}
	fl := web.NewFlow(lang, f, errs, fields)
	d["F"] = fl
	title := fmt.Sprintf(t(lang, "form.title"), ev.NameIn(lang))
	if status == http.StatusConflict {
		return web.Render(w, status, lang, title, formTmpl, d)
	}
	return fl.Render(w, title, formTmpl, d)
}

func (s *Service) cancelPage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	tok := f.Get("token")
	ev, p, err := s.FromCancelLink(r.Context(), tok)
	if err != nil {
		return s.eventError(w, r, lang, err)
	}
	if p.Status == Cancelled {
		web.Message(w, http.StatusOK, lang, t(lang, "cancelled.title"), fmt.Sprintf(t(lang, "cancelled.body"), ev.NameIn(lang)))
		return nil
	}
	return web.LinkPage{Body: fmt.Sprintf(t(lang, "cancel.body"), ev.NameIn(lang), ev.Date, p.Seats()), Action: "/events/cancel",
		Token: tok, Lang: lang, Buttons: []web.Button{{Label: t(lang, "cancel.button")}}}.Render(w, t(lang, "cancel.title"))
}

func (s *Service) cancelPost(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	ev, err := s.Cancel(r.Context(), f.Get("token"))
	if err != nil {
		return s.eventError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "cancelled"})
		return nil
	}
	web.Message(w, http.StatusOK, lang, t(lang, "cancelled.title"), fmt.Sprintf(t(lang, "cancelled.body"), ev.NameIn(lang)))
	return nil
}

func (s *Service) eventError(w http.ResponseWriter, r *http.Request, lang string, err error) error {
	status, key := http.StatusBadRequest, ""
	switch {
	case errors.Is(err, ErrNotFound):
		status, key = http.StatusNotFound, "notfound"
	case errors.Is(err, ErrNoPlace):
		status, key = http.StatusNotFound, "noplace"
	case errors.Is(err, ErrLinkExpired):
		key = "link.expired"
	case errors.Is(err, ErrLinkInvalid):
		key = "link.invalid"
	default:
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, map[string]string{"error": t(lang, key)})
		return nil
	}
	web.Message(w, status, lang, t(lang, "link.title"), t(lang, key))
	return nil
}
