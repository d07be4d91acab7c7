package feedback

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	"rekisteri/internal/postal"
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
		if !postal.ValidPostcode(pc) {
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
			return s.renderForm(w, lang, f, errs)
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
	return s.renderForm(w, lang, f, nil)
}

var formTmpl = template.Must(template.New("survey").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/feedback?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{.T.intro}}</p>
<form method="post" action="/feedback?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<input type="hidden" name="nonce" value="{{.Nonce}}">
<label for="visit_date">{{.T.visit_date}} *</label>{{.F.Error "visit_date"}}
<input type="date" id="visit_date" name="visit_date" value="{{.F.Value "visit_date"}}" required{{.F.Attrs "visit_date"}}>
{{range .Questions}}<fieldset><legend>{{.Label}}</legend>
{{$q := .}}{{if eq .Kind "per-location"}}{{range $.Locations}}{{$name := printf "%s.%s" $q.ID .ID}}<label for="pu-{{.ID}}">{{.Label}}</label>{{$.F.Error $name}}
<select id="pu-{{.ID}}" name="{{$name}}"{{$.F.Attrs $name}}><option value="">{{$.T.choose}}</option>{{range $q.Options}}<option value="{{.ID}}"{{if $.F.Chosen $name .ID}} selected{{end}}>{{.Label}}</option>{{end}}</select>{{end}}
{{else}}{{$.F.Error $q.ID}}{{range .Options}}<div class="check"><input type="{{if eq $q.Kind "multi"}}checkbox{{else}}radio{{end}}" id="{{$q.ID}}-{{.ID}}" name="{{$q.ID}}" value="{{.ID}}"{{if $.F.Chosen $q.ID .ID}} checked{{end}}{{$.F.Attrs $q.ID}}><label for="{{$q.ID}}-{{.ID}}">{{.Label}}</label></div>{{end}}{{end}}
{{if eq .ID "visit_reason"}}<label for="visit_reason_other">{{$.T.other}}</label>{{$.F.Error "visit_reason_other"}}<input type="text" id="visit_reason_other" name="visit_reason_other" maxlength="200" value="{{$.F.Value "visit_reason_other"}}"{{$.F.Attrs "visit_reason_other"}}>{{end}}
</fieldset>{{end}}
<label for="feedback">{{.T.feedback}}</label><small id="feedback-hint">{{.T.feedback_note}}</small>{{.F.Error "feedback"}}
<textarea id="feedback" name="feedback" rows="6" maxlength="4000"{{.F.Hinted "feedback-hint" "feedback"}}>{{.F.Value "feedback"}}</textarea>
<fieldset><legend>{{.T.home}}</legend>{{.F.Error "home"}}
<label for="home_municipality">{{.T.home_municipality}}</label>{{.F.Error "home_municipality"}}<input type="text" id="home_municipality" name="home_municipality" maxlength="60" value="{{.F.Value "home_municipality"}}"{{.F.Attrs "home_municipality" "home"}}>
<label for="home_postcode">{{.T.home_postcode}}</label>{{.F.Error "home_postcode"}}<input type="text" id="home_postcode" name="home_postcode" inputmode="numeric" maxlength="5" value="{{.F.Value "home_postcode"}}"{{.F.Attrs "home_postcode" "home"}}>
{{.F.Error "home_abroad"}}<div class="check"><input type="checkbox" id="home_abroad" name="home_abroad" value="true"{{if .F.Checked "home_abroad"}} checked{{end}}{{.F.Attrs "home_abroad" "home"}}><label for="home_abroad">{{.T.home_abroad}}</label></div>
</fieldset>
<fieldset><legend>{{.T.contact}}</legend>
{{.F.Error "contact_me"}}<div class="check"><input type="checkbox" id="contact_me" name="contact_me" value="true"{{if .F.Checked "contact_me"}} checked{{end}}{{.F.Attrs "contact_me"}}><label for="contact_me">{{.T.contact_me}}</label></div>
{{.F.Error "newsletter_consent"}}<div class="check"><input type="checkbox" id="newsletter_consent" name="newsletter_consent" value="true"{{if .F.Checked "newsletter_consent"}} checked{{end}}{{.F.Attrs "newsletter_consent"}}><label for="newsletter_consent">{{.T.newsletter}}<br><small>{{.NewsletterConsent}}</small></label></div>
<label for="name">{{.T.name}}</label>{{.F.Error "name"}}<input type="text" id="name" name="name" maxlength="200" autocomplete="name" value="{{.F.Value "name"}}"{{.F.Attrs "name"}}>
<label for="email">{{.T.email}}</label>{{.F.Error "email"}}<input type="email" id="email" name="email" autocomplete="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
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
	T                              map[string]string
	F                              *web.Flow
}

// renderForm shows the survey: empty, or again after a failed submit with
// the visitor's answers and each error at its field (web.Flow).
func (s *Service) renderForm(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors) error {
	nonce := f.Get("nonce")
	if !nonceRE.MatchString(nonce) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce = hex.EncodeToString(b[:])
	}
	nl, _ := s.reg.List("newsletter")
	d := formData{Lang: lang, Nonce: nonce, NewsletterConsent: nl.Consent.In(lang), Langs: register.Languages,
		Locations: options(s.reg.Locations, lang), T: map[string]string{}}
	for k := range texts["fi"] {
		d.T[strings.ReplaceAll(k, ".", "_")] = t(lang, k)
	}
	fields := []web.Field{{Name: "visit_date", Label: t(lang, "visit_date")}}
	for _, q := range s.reg.Survey {
		fq := formQuestion{ID: q.ID, Kind: q.Kind, Label: q.Label.In(lang), Options: options(q.Options, lang)}
		d.Questions = append(d.Questions, fq)
		if q.Kind == "per-location" {
			for _, l := range d.Locations {
				fields = append(fields, web.Field{Name: q.ID + "." + l.ID, ID: "pu-" + l.ID, Label: fq.Label + ": " + l.Label})
			}
		} else if len(fq.Options) > 0 {
			fields = append(fields, web.Field{Name: q.ID, ID: q.ID + "-" + fq.Options[0].ID, Label: fq.Label})
		}
		if q.ID == "visit_reason" {
			fields = append(fields, web.Field{Name: "visit_reason_other", Label: t(lang, "other")})
		}
	}
	fields = append(fields,
		web.Field{Name: "feedback", Label: t(lang, "feedback")},
		web.Field{Name: "home", ID: "home_municipality", Label: t(lang, "home")},
		web.Field{Name: "home_municipality", Label: t(lang, "home_municipality")},
		web.Field{Name: "home_postcode", Label: t(lang, "home_postcode.name")},
		web.Field{Name: "home_abroad", Label: t(lang, "home_abroad.name")},
		web.Field{Name: "contact_me", Label: t(lang, "contact_me")},
		web.Field{Name: "newsletter_consent", Label: t(lang, "newsletter")},
		web.Field{Name: "name", Label: t(lang, "name")},
		web.Field{Name: "email", Label: t(lang, "email")},
		web.Field{Name: "nonce", ID: "visit_date", Label: t(lang, "nonce.name")},
	)
	d.F = web.NewFlow(lang, f, errs, fields)
	return d.F.Render(w, t(lang, "title"), formTmpl, d)
}
