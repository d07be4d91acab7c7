package booking

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"unicode/utf8"

	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// The pages the links in booking mail open: staff decisions, and the
// customer's cancellation.

// Staff pages are in Finnish: they are the museum's own working language.
var decisionTmpl = template.Must(template.New("decision").Parse(`
<p><strong>{{.V.Reference}}</strong> — tila: <strong>{{.V.Status}}</strong></p>
<table>
<tr><th>Resurssi</th><td>{{.V.Resource}}</td></tr>
<tr><th>Aika</th><td>{{.V.Date}} klo {{.V.Start}}–{{.V.End}}</td></tr>
<tr><th>Osallistujia</th><td>{{.V.Participants}}</td></tr>
<tr><th>Varaaja</th><td>{{.V.Name}}, {{.V.Email}} {{.V.Phone}}</td></tr>
<tr><th>Organisaatio</th><td>{{.V.Organisation}} {{.V.BusinessID}}</td></tr>
<tr><th>Maksu</th><td>{{.V.Payment}}{{if .V.Address}}; {{.V.Address}}{{end}}</td></tr>
<tr><th>Henkilötunnus</th><td>{{if .V.HetuGiven}}annettu (salattu; vain laskutusaineistossa){{else}}ei annettu{{end}}</td></tr>
<tr><th>Lisätiedot</th><td>{{.V.Notes}}</td></tr>
</table>
{{if .Message}}<p class="err" role="alert">{{.Message}}</p>{{end}}
{{if eq .V.Status "pending"}}{{.F.Summary}}
<form method="post" action="/bookings/decision"><input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="action" value="accept"><button type="submit">Hyväksy</button></form>
<form method="post" action="/bookings/decision" novalidate><input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="action" value="decline">
<label for="reason">Hylkäyksen syy (lähetetään asiakkaalle)</label>{{.F.Error "reason"}}<textarea id="reason" name="reason" rows="3" maxlength="1000" required{{.F.Attrs "reason"}}>{{.F.Value "reason"}}</textarea>
<button type="submit">Hylkää</button></form>{{end}}`))

// decisionFields are the staff form's fields as its errors name them.
var decisionFields = []web.Field{{Name: "reason", Label: "Hylkäyksen syy"}}

// outcomeTmpl is a decision link's page once nothing is left to decide: the
// outcome only. A forwarded or long-kept link no longer shows the booker.
var outcomeTmpl = template.Must(template.New("outcome").Parse(`
<p>Varaus <strong>{{.Reference}}</strong> on {{.Outcome}}.</p>
{{if .Message}}<p class="err" role="alert">{{.Message}}</p>{{end}}`))

// outcomes are the decided statuses as the staff page says them.
var outcomes = map[string]string{Accepted: "hyväksytty", Declined: "hylätty", Cancelled: "peruttu"}

// renderDecision shows a pending request in full, with its buttons; any
// other status only as its outcome.
func renderDecision(w http.ResponseWriter, status int, v View, tok, msg string) error {
	title := "Varauspyyntö " + v.Reference
	if v.Status != Pending {
		outcome, ok := outcomes[v.Status]
		if !ok {
			outcome = "käsitelty (" + v.Status + ")"
		}
		return web.Render(w, status, "fi", title, outcomeTmpl, map[string]string{"Reference": v.Reference, "Outcome": outcome, "Message": msg})
	}
	return web.Render(w, status, "fi", title, decisionTmpl, map[string]any{"V": v, "Token": tok, "Message": msg, "F": web.NewFlow("fi", web.NewForm(nil), nil, decisionFields)})
}

func (s *Service) decisionPage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	tok := f.Get("token")
	v, err := s.Lookup(r.Context(), tok, token.Decide)
	if err != nil {
		return s.linkError(w, r, "fi", err)
	}
	return renderDecision(w, http.StatusOK, v, tok, "")
}

func (s *Service) decide(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	tok := f.Get("token")
	var v View
	switch f.Get("action") {
	case "accept":
		v, err = s.Accept(r.Context(), tok)
	case "decline":
		reason := f.Get("reason")
		if reason == "" || utf8.RuneCountInString(reason) > 1000 {
			errs := web.FieldErrors{"reason": "Kirjoita hylkäyksen syy (enintään 1000 merkkiä); se lähetetään asiakkaalle."}
			if web.WantsJSON(r) {
				return errs
			}
			// The page again, the reason marked at its field (web.Flow).
			v, err := s.Lookup(r.Context(), tok, token.Decide)
			if err != nil {
				return s.linkError(w, r, "fi", err)
			}
			if v.Status != Pending {
				return renderDecision(w, http.StatusConflict, v, tok, "Varaus oli jo käsitelty. Mitään ei muutettu.")
			}
			fl := web.NewFlow("fi", f, errs, decisionFields)
			return fl.Render(w, "Varauspyyntö "+v.Reference, decisionTmpl, map[string]any{"V": v, "Token": tok, "F": fl})
		}
		v, err = s.Decline(r.Context(), tok, reason)
	default:
		return web.FieldErrors{"action": "Valitse hyväksy tai hylkää."}
	}
	status, msg := http.StatusOK, ""
	switch {
	case errors.Is(err, ErrAlreadyDone):
		status, msg = http.StatusConflict, "Varaus oli jo käsitelty. Mitään ei muutettu."
	case errors.Is(err, ErrFull):
		status, msg = http.StatusConflict, "Resurssi on jo täyteen varattu osan tästä ajasta. Varausta ei hyväksytty; hylkää se syyn kanssa tai sovi muusta ajasta."
	case err != nil:
		return s.linkError(w, r, "fi", err)
	}
	if web.WantsJSON(r) {
		body := map[string]string{"status": v.Status, "reference": v.Reference}
		if msg != "" {
			body["error"] = msg
		}
		web.JSON(w, status, body)
		return nil
	}
	return renderDecision(w, status, v, tok, msg)
}

func (s *Service) cancelPage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	tok := f.Get("token")
	v, err := s.Lookup(r.Context(), tok, token.Cancel)
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	if v.Status == Cancelled {
		web.Message(w, http.StatusOK, lang, t(lang, "cancelled.title"), fmt.Sprintf(t(lang, "cancelled.body"), v.Reference))
		return nil
	}
	return web.LinkPage{Body: fmt.Sprintf(t(lang, "cancel.body"), v.Reference, v.Date, v.Start, v.End), Action: "/bookings/cancel",
		Token: tok, Lang: lang, Buttons: []web.Button{{Label: t(lang, "cancel.button")}}}.Render(w, t(lang, "cancel.title"))
}

func (s *Service) cancelPost(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	v, err := s.Cancel(r.Context(), f.Get("token"))
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "cancelled", "reference": v.Reference})
		return nil
	}
	web.Message(w, http.StatusOK, lang, t(lang, "cancelled.title"), fmt.Sprintf(t(lang, "cancelled.body"), v.Reference))
	return nil
}

func (s *Service) linkError(w http.ResponseWriter, r *http.Request, lang string, err error) error {
	status, key := http.StatusBadRequest, ""
	switch {
	case errors.Is(err, ErrLinkExpired):
		key = "link.expired"
	case errors.Is(err, ErrLinkInvalid):
		key = "link.invalid"
	case errors.Is(err, ErrNotFound):
		status, key = http.StatusNotFound, "link.notfound"
	case errors.Is(err, ErrTooLate):
		status, key = http.StatusConflict, "toolate"
	case errors.Is(err, errNotCancelable):
		status, key = http.StatusConflict, "notcancelable"
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
