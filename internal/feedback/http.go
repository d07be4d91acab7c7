package feedback

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

// bodyLimit is the most a survey may send.
const bodyLimit = 32 << 10

// Limits of the free-text fields, in characters.
const (
	maxFeedback     = 4000
	maxReasonOther  = 200
	maxMunicipality = 60
	maxName         = 200
)

// Routes returns the feedback endpoints.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /feedback", web.Handle(s.form))
	mux.Handle("POST /feedback", web.Handle(s.submit))
	return mux
}

var postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)

// Parse validates a survey submission, with one message per field in lang.
func (s *Service) Parse(f web.Form, lang string) (Submission, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := Submission{Lang: lang, PreviousUse: map[string]string{}}

	today := helsinki.Today(s.now())
	if d, err := time.Parse("2006-01-02", f.Get("visit_date")); err != nil {
		errs["visit_date"] = t(lang, "err.date")
	} else if d.After(today) {
		errs["visit_date"] = t(lang, "err.future")
	} else if d.Before(today.AddDate(0, 0, -365)) {
		errs["visit_date"] = t(lang, "err.old")
	} else {
		in.VisitDate = d
	}

	single := func(name string, dst *string) {
		v := f.Get(name)
		if v == "" {
			return
		}
		if q, ok := s.reg.Question(name); !ok || !q.Option(v) {
			errs[name] = t(lang, "err.option")
			return
		}
		*dst = v
	}
	multi := func(name string, dst *[]string) {
		q, _ := s.reg.Question(name)
		for _, v := range f.All(name) {
			if !q.Option(v) {
				errs[name] = t(lang, "err.option")
				return
			}
			if !slices.Contains(*dst, v) {
				*dst = append(*dst, v)
			}
		}
	}
	single("visit_reason", &in.VisitReason)
	multi("info_source", &in.InfoSource)
	multi("services_used", &in.ServicesUsed)
	single("museum_card", &in.MuseumCard)
	single("transport", &in.Transport)
	single("party", &in.Party)
	single("age_group", &in.AgeGroup)
	single("gender", &in.Gender)

	prev, _ := s.reg.Question("previous_use")
	for _, name := range f.Names() {
		loc, ok := strings.CutPrefix(name, "previous_use.")
		if !ok {
			continue
		}
		v := f.Get(name)
		switch {
		case !slices.ContainsFunc(s.reg.Locations, func(l register.Named) bool { return l.ID == loc }):
			errs[name] = t(lang, "err.location")
		case v == "":
		case !prev.Option(v):
			errs[name] = t(lang, "err.option")
		default:
			in.PreviousUse[loc] = v
		}
	}

	text := func(name string, limit int, dst *string) {
		v := f.Get(name)
		if utf8.RuneCountInString(v) > limit {
			errs[name] = t(lang, "err.long")
			return
		}
		*dst = v
	}
	text("visit_reason_other", maxReasonOther, &in.VisitReasonOther)
	text("feedback", maxFeedback, &in.Feedback)
	text("home_municipality", maxMunicipality, &in.HomeMunicipality)
	text("name", maxName, &in.Name)

	homes := 0
	if in.HomeMunicipality != "" {
		homes++
	}
	if pc := f.Get("home_postcode"); pc != "" {
		homes++
		if !postcodeRE.MatchString(pc) {
			errs["home_postcode"] = t(lang, "err.postcode")
		}
		in.HomePostcode = pc
	}
	boolean := func(name string, dst *bool) {
		v, ok := f.Bool(name)
		if !ok {
			errs[name] = t(lang, "err.bool")
		}
		*dst = v
	}
	boolean("home_abroad", &in.HomeAbroad)
	if in.HomeAbroad {
		homes++
	}
	if homes > 1 {
		errs["home"] = t(lang, "err.home")
	}

	boolean("newsletter_consent", &in.NewsletterOptIn)
	boolean("contact_me", &in.ContactMe)
	in.Email = f.Get("email")
	switch {
	case in.Email != "" && !mail.ValidAddress(in.Email):
		errs["email"] = t(lang, "err.email")
	case in.Email == "" && (in.NewsletterOptIn || in.ContactMe):
		errs["email"] = t(lang, "err.email.need")
	}
	if !in.ContactMe && !in.NewsletterOptIn {
		// Nothing asked for them: the answer stays anonymous.
		in.Name, in.Email = "", ""
	}
	if n := f.Get("nonce"); n != "" {
		if !nonceRE.MatchString(n) {
			errs["nonce"] = t(lang, "err.nonce")
		}
		in.Nonce = n
	}
	return in, errs
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	if f.Get("website") == "" {
		in, errs := s.Parse(f, lang)
		if len(errs) > 0 {
			if web.WantsJSON(r) {
				return errs
			}
			return s.renderForm(w, http.StatusBadRequest, lang, f, errs)
		}
		if err := s.Submit(r.Context(), in); err != nil {
			return web.Unavailable(err)
		}
	}
	// A filled honeypot gets the same answer and nothing is kept.
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "received"})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, t(lang, "thanks.title"), t(lang, "thanks.body"))
	return nil
}

// field describes one form field for sites that render the survey themselves.
type field struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Required  bool     `json:"required"`
	Label     string   `json:"label"`
	MaxLength int      `json:"maxLength,omitempty"`
	Options   []option `json:"options,omitempty"`
	Locations []option `json:"locations,omitempty"`
}

type option struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func options(ns []register.Named, lang string) []option {
	out := make([]option, 0, len(ns))
	for _, n := range ns {
		out = append(out, option{ID: n.ID, Label: n.Name.In(lang)})
	}
	return out
}

// Definition is the survey as data: fields, rules and labels in lang.
func (s *Service) Definition(lang string) []field {
	fields := []field{{Name: "visit_date", Type: "date", Required: true, Label: t(lang, "visit_date")}}
	for _, q := range s.reg.Survey {
		f := field{Name: q.ID, Type: q.Kind, Label: q.Label.In(lang), Options: options(q.Options, lang)}
		if q.Kind == "per-location" {
			f.Locations = options(s.reg.Locations, lang)
		}
		fields = append(fields, f)
		if q.ID == "visit_reason" {
			fields = append(fields, field{Name: "visit_reason_other", Type: "text", Label: t(lang, "other"), MaxLength: maxReasonOther})
		}
	}
	nl, _ := s.reg.List("newsletter")
	return append(fields,
		field{Name: "feedback", Type: "textarea", Label: t(lang, "feedback"), MaxLength: maxFeedback},
		field{Name: "home_municipality", Type: "text", Label: t(lang, "home_municipality"), MaxLength: maxMunicipality},
		field{Name: "home_postcode", Type: "postcode", Label: t(lang, "home_postcode")},
		field{Name: "home_abroad", Type: "boolean", Label: t(lang, "home_abroad")},
		field{Name: "newsletter_consent", Type: "boolean", Label: t(lang, "newsletter") + " — " + nl.Consent.In(lang)},
		field{Name: "contact_me", Type: "boolean", Label: t(lang, "contact_me")},
		field{Name: "name", Type: "text", Label: t(lang, "name"), MaxLength: maxName},
		field{Name: "email", Type: "email", Label: t(lang, "email")},
		field{Name: "nonce", Type: "hidden", Label: "idempotency key (16–64 of A–Z a–z 0–9 _ -)"},
	)
}

func (s *Service) form(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "fields": s.Definition(lang), "noticeVersion": s.reg.Version()})
		return nil
	}
	return s.renderForm(w, http.StatusOK, lang, f, nil)
}

var formTmpl = template.Must(template.New("survey").Parse(`
<nav>{{range .Langs}}<a href="/feedback?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
<p>{{.T.intro}}</p>
{{if .Errors}}<div class="err" role="alert">{{range .Errors}}<p>{{.}}</p>{{end}}</div>{{end}}
<form method="post" action="/feedback?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<input type="hidden" name="nonce" value="{{.Nonce}}">
<label for="visit_date">{{.T.visit_date}} *</label>
<input type="date" id="visit_date" name="visit_date" value="{{.Value "visit_date"}}" required>
{{range .Questions}}<fieldset><legend>{{.Label}}</legend>
{{$q := .}}{{if eq .Kind "per-location"}}{{range $.Locations}}<label for="pu-{{.ID}}">{{.Label}}</label>
<select id="pu-{{.ID}}" name="previous_use.{{.ID}}"><option value="">{{$.T.choose}}</option>{{range $q.Options}}<option value="{{.ID}}">{{.Label}}</option>{{end}}</select>{{end}}
{{else}}{{range .Options}}<div class="check"><input type="{{if eq $q.Kind "multi"}}checkbox{{else}}radio{{end}}" id="{{$q.ID}}-{{.ID}}" name="{{$q.ID}}" value="{{.ID}}"{{if $.Chosen $q.ID .ID}} checked{{end}}><label for="{{$q.ID}}-{{.ID}}">{{.Label}}</label></div>{{end}}{{end}}
{{if eq .ID "visit_reason"}}<label for="visit_reason_other">{{$.T.other}}</label><input type="text" id="visit_reason_other" name="visit_reason_other" maxlength="200" value="{{$.Value "visit_reason_other"}}">{{end}}
</fieldset>{{end}}
<label for="feedback">{{.T.feedback}}</label><small>{{.T.feedback_note}}</small>
<textarea id="feedback" name="feedback" rows="6" maxlength="4000">{{.Value "feedback"}}</textarea>
<fieldset><legend>{{.T.home}}</legend>
<label for="home_municipality">{{.T.home_municipality}}</label><input type="text" id="home_municipality" name="home_municipality" maxlength="60" value="{{.Value "home_municipality"}}">
<label for="home_postcode">{{.T.home_postcode}}</label><input type="text" id="home_postcode" name="home_postcode" inputmode="numeric" maxlength="5" value="{{.Value "home_postcode"}}">
<div class="check"><input type="checkbox" id="home_abroad" name="home_abroad" value="true"><label for="home_abroad">{{.T.home_abroad}}</label></div>
</fieldset>
<fieldset>
<div class="check"><input type="checkbox" id="contact_me" name="contact_me" value="true"><label for="contact_me">{{.T.contact_me}}</label></div>
<div class="check"><input type="checkbox" id="newsletter_consent" name="newsletter_consent" value="true"><label for="newsletter_consent">{{.T.newsletter}}<br><small>{{.NewsletterConsent}}</small></label></div>
<label for="name">{{.T.name}}</label><input type="text" id="name" name="name" maxlength="200" autocomplete="name" value="{{.Value "name"}}">
<label for="email">{{.T.email}}</label><input type="email" id="email" name="email" autocomplete="email" value="{{.Value "email"}}">
</fieldset>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>`))

type formQuestion struct {
	ID, Kind, Label string
	Options         []option
}

type formData struct {
	Lang, Nonce, NewsletterConsent string
	Langs                          []string
	Questions                      []formQuestion
	Locations                      []option
	Errors                         []string
	T                              map[string]string
	form                           web.Form
}

func (d formData) Value(name string) string { return d.form.Get(name) }

func (d formData) Chosen(name, id string) bool { return slices.Contains(d.form.All(name), id) }

func (s *Service) renderForm(w http.ResponseWriter, status int, lang string, f web.Form, errs web.FieldErrors) error {
	nonce := f.Get("nonce")
	if !nonceRE.MatchString(nonce) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce = hex.EncodeToString(b[:])
	}
	nl, _ := s.reg.List("newsletter")
	d := formData{Lang: lang, Nonce: nonce, NewsletterConsent: nl.Consent.In(lang), Langs: register.Languages,
		Locations: options(s.reg.Locations, lang), T: map[string]string{}, form: f}
	for k := range texts["fi"] {
		d.T[strings.ReplaceAll(k, ".", "_")] = t(lang, k)
	}
	for _, q := range s.reg.Survey {
		d.Questions = append(d.Questions, formQuestion{ID: q.ID, Kind: q.Kind, Label: q.Label.In(lang), Options: options(q.Options, lang)})
	}
	for _, m := range errs {
		d.Errors = append(d.Errors, m)
	}
	slices.Sort(d.Errors)
	return web.Render(w, status, lang, t(lang, "title"), formTmpl, d)
}
