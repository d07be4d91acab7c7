package booking

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/hetu"
	"rekisteri/internal/mail"
	"rekisteri/internal/postal"
	"rekisteri/internal/register"
	"rekisteri/internal/web"
	"rekisteri/internal/ytunnus"
)

// bodyLimit is the most a booking form may send.
const bodyLimit = 32 << 10

// Routes returns the bookings endpoints.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /bookings", web.Handle(s.form))
	mux.Handle("POST /bookings", web.Handle(s.submit))
	mux.Handle("GET /bookings/decision", web.Handle(s.decisionPage))
	mux.Handle("POST /bookings/decision", web.Handle(s.decide))
	mux.Handle("GET /bookings/cancel", web.Handle(s.cancelPage))
	mux.Handle("POST /bookings/cancel", web.Handle(s.cancelPost))
	return mux
}

var (
	timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Parse validates a booking request, with one message per field in lang.
// The identity code is accepted only where it is needed: an invoice to a
// private person (no business id).
func (s *Service) Parse(f web.Form, lang string) (Request, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := Request{Lang: lang}
	text := func(name string, limit int, required bool) string {
		v := f.Get(name)
		switch {
		case v == "" && required:
			errs[name] = t(lang, "err.required")
		case utf8.RuneCountInString(v) > limit:
			errs[name] = t(lang, "err.long")
		}
		return v
	}
	res, ok := s.reg.Resource(f.Get("resource"))
	if !ok {
		errs["resource"] = t(lang, "err.resource")
	}
	in.Resource = res.ID
	today := helsinki.Today(s.now())
	if d, err := time.Parse("2006-01-02", f.Get("date")); err != nil {
		errs["date"] = t(lang, "err.date")
	} else if d.Before(today) {
		errs["date"] = t(lang, "err.past")
	} else if d.After(today.AddDate(0, 0, 365)) {
		errs["date"] = t(lang, "err.far")
	} else {
		in.Date = d
	}
	in.Start, in.End = f.Get("start"), f.Get("end")
	for _, k := range []string{"start", "end"} {
		if !timeRE.MatchString(f.Get(k)) {
			errs[k] = t(lang, "err.time")
		}
	}
	if errs["start"] == "" && errs["end"] == "" && in.End <= in.Start {
		errs["end"] = t(lang, "err.order")
	}
	maxP := 500
	if ok && res.MaxParticipants > 0 {
		maxP = min(maxP, res.MaxParticipants)
	}
	if n, err := strconv.Atoi(f.Get("participants")); err != nil || n < 1 || n > maxP {
		errs["participants"] = fmt.Sprintf(t(lang, "err.participants"), maxP)
	} else {
		in.Participants = n
	}
	in.FirstName = text("first_name", 100, true)
	in.LastName = text("last_name", 100, true)
	in.Email = f.Get("email")
	if !mail.ValidAddress(in.Email) {
		errs["email"] = t(lang, "err.email")
	}
	if p := f.Get("phone"); p != "" {
		if n, ok := postal.NormalizePhone(p); ok {
			in.Phone = n
		} else {
			errs["phone"] = t(lang, "err.phone")
		}
	}
	in.Organisation = text("organisation", 200, false)
	if b := f.Get("business_id"); b != "" {
		if id, err := ytunnus.Parse(b); err != nil {
			errs["business_id"] = t(lang, "err.businessid")
		} else {
			in.BusinessID = id.String()
		}
	}
	in.Payment = f.Get("payment")
	if in.Payment != "card" && in.Payment != "invoice" {
		errs["payment"] = t(lang, "err.payment")
	}
	in.Notes = text("notes", 2000, false)
	invoice := in.Payment == "invoice"
	in.Street = text("street", 200, invoice)
	in.City = text("city", 100, invoice)
	in.Postcode = f.Get("postcode")
	if in.Postcode == "" && invoice {
		errs["postcode"] = t(lang, "err.required")
	} else if in.Postcode != "" && !postal.ValidPostcode(in.Postcode) {
		errs["postcode"] = t(lang, "err.postcode")
	}
	raw := f.Get("hetu")
	needHetu := invoice && in.BusinessID == ""
	switch {
	case raw == "" && needHetu:
		errs["hetu"] = t(lang, "err.hetu.need")
	case raw != "" && !needHetu:
		errs["hetu"] = t(lang, "err.hetu.unasked")
	case raw != "":
		code, err := hetu.Parse(raw)
		if err != nil {
			errs["hetu"] = t(lang, "err.hetu")
		} else {
			in.Hetu = code.String()
		}
	}
	return in, errs
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	if f.Get("website") != "" {
		// A bot: the same answer, nothing kept, nothing sealed.
		return s.received(w, r, lang, newReference())
	}
	in, errs := s.Parse(f, lang)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderForm(w, lang, f, errs)
	}
	ref, err := s.Submit(r.Context(), in)
	if err != nil {
		return web.Unavailable(err)
	}
	return s.received(w, r, lang, ref)
}

func (s *Service) received(w http.ResponseWriter, r *http.Request, lang, ref string) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "received", "reference": ref})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, t(lang, "received.title"), fmt.Sprintf(t(lang, "received.body"), ref))
	return nil
}

type resourceOption struct {
	ID              string `json:"id"`
	Label           string `json:"label"`
	Capacity        int    `json:"capacity"`
	MaxParticipants int    `json:"maxParticipants"`
}

func (s *Service) form(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		var res []resourceOption
		for _, x := range s.reg.Resources {
			res = append(res, resourceOption{x.ID, x.Name.In(lang), x.Capacity, x.MaxParticipants})
		}
		type field struct {
			Name     string `json:"name"`
			Label    string `json:"label"`
			Required string `json:"required"`
		}
		fields := []field{
			{"resource", t(lang, "resource"), "always"}, {"date", t(lang, "date"), "always"}, {"start", t(lang, "start"), "always"},
			{"end", t(lang, "end"), "always"}, {"participants", t(lang, "participants"), "always"}, {"first_name", t(lang, "first_name"), "always"},
			{"last_name", t(lang, "last_name"), "always"}, {"email", t(lang, "email"), "always"}, {"phone", t(lang, "phone"), "no"},
			{"organisation", t(lang, "organisation"), "no"}, {"business_id", t(lang, "business_id"), "no"}, {"payment", t(lang, "payment"), "always"},
			{"street", t(lang, "street"), "invoice"}, {"postcode", t(lang, "postcode"), "invoice"}, {"city", t(lang, "city"), "invoice"},
			{"hetu", t(lang, "hetu"), "invoice without business_id; refused otherwise"}, {"notes", t(lang, "notes"), "no"},
		}
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "resources": res, "fields": fields, "payment": []string{"card", "invoice"}})
		return nil
	}
	return s.renderForm(w, lang, f, nil)
}

var formTmpl = template.Must(template.New("booking").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/bookings?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{.T.intro}}</p>
<form method="post" action="/bookings?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<label for="resource">{{.T.resource}}</label>{{.F.Error "resource"}}
<select id="resource" name="resource"{{.F.Attrs "resource"}}>{{range .Resources}}<option value="{{.ID}}"{{if $.F.Chosen "resource" .ID}} selected{{end}}>{{.Label}}</option>{{end}}</select>
<label for="date">{{.T.date}}</label>{{.F.Error "date"}}<input type="date" id="date" name="date" value="{{.F.Value "date"}}"{{.F.Attrs "date"}}>
<label for="start">{{.T.start}}</label>{{.F.Error "start"}}<input type="time" id="start" name="start" value="{{.F.Value "start"}}"{{.F.Attrs "start"}}>
<label for="end">{{.T.end}}</label>{{.F.Error "end"}}<input type="time" id="end" name="end" value="{{.F.Value "end"}}"{{.F.Attrs "end"}}>
<label for="participants">{{.T.participants}}</label>{{.F.Error "participants"}}<input type="number" id="participants" name="participants" min="1" max="500" value="{{.F.Value "participants"}}"{{.F.Attrs "participants"}}>
<label for="first_name">{{.T.first_name}}</label>{{.F.Error "first_name"}}<input type="text" id="first_name" name="first_name" autocomplete="given-name" value="{{.F.Value "first_name"}}"{{.F.Attrs "first_name"}}>
<label for="last_name">{{.T.last_name}}</label>{{.F.Error "last_name"}}<input type="text" id="last_name" name="last_name" autocomplete="family-name" value="{{.F.Value "last_name"}}"{{.F.Attrs "last_name"}}>
<label for="email">{{.T.email}}</label>{{.F.Error "email"}}<input type="email" id="email" name="email" autocomplete="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
<label for="phone">{{.T.phone}}</label>{{.F.Error "phone"}}<input type="tel" id="phone" name="phone" autocomplete="tel" value="{{.F.Value "phone"}}"{{.F.Attrs "phone"}}>
<label for="organisation">{{.T.organisation}}</label>{{.F.Error "organisation"}}<input type="text" id="organisation" name="organisation" autocomplete="organization" value="{{.F.Value "organisation"}}"{{.F.Attrs "organisation"}}>
<label for="business_id">{{.T.business_id}}</label>{{.F.Error "business_id"}}<input type="text" id="business_id" name="business_id" value="{{.F.Value "business_id"}}"{{.F.Attrs "business_id"}}>
<fieldset><legend>{{.T.payment}}</legend>{{.F.Error "payment"}}
<div class="check"><input type="radio" id="payment-card" name="payment" value="card"{{if .F.Chosen "payment" "card"}} checked{{end}}{{.F.Attrs "payment"}}><label for="payment-card">{{.T.card}}</label></div>
<div class="check"><input type="radio" id="payment-invoice" name="payment" value="invoice"{{if .F.Chosen "payment" "invoice"}} checked{{end}}{{.F.Attrs "payment"}}><label for="payment-invoice">{{.T.invoice}}</label></div>
<label for="street">{{.T.street}}</label>{{.F.Error "street"}}<input type="text" id="street" name="street" autocomplete="street-address" value="{{.F.Value "street"}}"{{.F.Attrs "street"}}>
<label for="postcode">{{.T.postcode}}</label>{{.F.Error "postcode"}}<input type="text" id="postcode" name="postcode" inputmode="numeric" autocomplete="postal-code" value="{{.F.Value "postcode"}}"{{.F.Attrs "postcode"}}>
<label for="city">{{.T.city}}</label>{{.F.Error "city"}}<input type="text" id="city" name="city" autocomplete="address-level2" value="{{.F.Value "city"}}"{{.F.Attrs "city"}}>
<label for="hetu">{{.T.hetu}}</label>{{.F.Error "hetu"}}<input type="text" id="hetu" name="hetu" value="" autocomplete="off" spellcheck="false"{{.F.Attrs "hetu"}}>
</fieldset>
<label for="notes">{{.T.notes}}</label>{{.F.Error "notes"}}<textarea id="notes" name="notes" rows="4" maxlength="2000"{{.F.Attrs "notes"}}>{{.F.Value "notes"}}</textarea>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>`))

type formData struct {
	Lang      string
	Langs     []string
	Resources []resourceOption
	T         map[string]string
	F         *web.Flow
}

// formFields are the form's fields in its order; the identity code is
// secret: it never comes back after an error.
var formFields = []string{"resource", "date", "start", "end", "participants", "first_name", "last_name", "email", "phone",
	"organisation", "business_id", "payment", "street", "postcode", "city", "hetu", "notes"}

// renderForm shows the form: empty, or again after a failed submit with
// the visitor's answers (never the identity code) and each error at its
// field (web.Flow).
func (s *Service) renderForm(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors) error {
	d := formData{Lang: lang, Langs: register.Languages, T: map[string]string{}}
	for k := range texts["fi"] {
		d.T[strings.TrimPrefix(k, "form.")] = t(lang, k)
	}
	for _, x := range s.reg.Resources {
		d.Resources = append(d.Resources, resourceOption{x.ID, x.Name.In(lang), x.Capacity, x.MaxParticipants})
	}
	fields := make([]web.Field, 0, len(formFields))
	for _, name := range formFields {
		fl := web.Field{Name: name, Label: t(lang, name), Secret: name == "hetu"}
		if name == "payment" {
			fl.ID = "payment-card"
		}
		fields = append(fields, fl)
	}
	d.F = web.NewFlow(lang, f, errs, fields)
	return d.F.Render(w, t(lang, "form.title"), formTmpl, d)
}
