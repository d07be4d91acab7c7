package library

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/mail"
	"rekisteri/internal/postal"
	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

// GET /library/me shows the signed-in patron their own data (me_view.go);
// POST /library/me (csrf) changes their address, phone, e-mail, language and
// delivery channel.

// EventSelfServiceUpdate is the audit event of a self-service change: it
// names the patron by subject key only, never what they wrote.
const EventSelfServiceUpdate = "library-self-service-update"

// ContactChange is what a patron may change themself.
type ContactChange struct {
	Street, Postcode, City string
	Phone, Email           string // "" removes
	Lang, Channel          string
}

// ParseContact validates a self-service change, one message per field in lang.
func ParseContact(f web.Form, lang string) (ContactChange, web.FieldErrors) {
	errs := web.FieldErrors{}
	text := func(name string, limit int) string {
		v := f.Get(name)
		switch {
		case v == "":
			errs[name] = sessionText(lang, "err.required")
		case utf8.RuneCountInString(v) > limit:
			errs[name] = sessionText(lang, "err.long")
		}
		return v
	}
	c := ContactChange{Street: text("street", 200), City: text("city", 100), Lang: f.Get("lang"), Channel: f.Get("channel")}
	if c.Postcode = f.Get("postcode"); !postal.ValidPostcode(c.Postcode) {
		errs["postcode"] = sessionText(lang, "err.postcode")
	}
	if v := f.Get("phone"); v != "" {
		if p, ok := postal.NormalizePhone(v); ok {
			c.Phone = p
		} else {
			errs["phone"] = sessionText(lang, "err.phone")
		}
	}
	if c.Email = f.Get("email"); c.Email != "" && !mail.ValidAddress(c.Email) {
		errs["email"] = sessionText(lang, "err.email")
	}
	if !slices.Contains(register.Languages, c.Lang) {
		errs["lang"] = sessionText(lang, "err.lang")
	}
	switch {
	case !slices.Contains(Channels, c.Channel):
		errs["channel"] = sessionText(lang, "err.channel")
	case c.Channel == ChannelEmail && c.Email == "" && errs["email"] == "":
		errs["channel"] = sessionText(lang, "err.channel.email")
	case c.Channel == ChannelSMS && c.Phone == "" && errs["phone"] == "":
		errs["channel"] = sessionText(lang, "err.channel.sms")
	}
	return c, errs
}

// mePageLang is the language the page is read in: the query's, else lang.
func mePageLang(r *http.Request, lang string) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(register.Languages, l) {
		return l
	}
	return lang
}

// notSignedIn answers a self-service request without a session: JSON 401,
// a page the way to the login form.
func notSignedIn(w http.ResponseWriter, r *http.Request, lang string) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusUnauthorized, map[string]string{"error": sessionText(lang, "login.expired")})
		return nil
	}
	to := "/library/login?lang=" + lang
	if _, err := r.Cookie(SessionCookie); err == nil {
		to += "&from=expired"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Service) mePage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, sessionBody)
	ss, err := s.Session(r)
	switch {
	case errors.Is(err, ErrNotSignedIn):
		return notSignedIn(w, r, web.Lang(r, f))
	case err != nil:
		return web.Unavailable(err)
	}
	lang := mePageLang(r, ss.Patron.Lang)
	if !slices.Contains(register.Languages, lang) {
		lang = web.Lang(r, f)
	}
	child, err := s.meChild(r.Context(), r, ss)
	switch {
	case errors.Is(err, errNoChild):
		return noChild(w, r, lang)
	case err != nil:
		return web.Unavailable(err)
	}
	v, err := s.meViewFor(r.Context(), ss, child)
	if err != nil {
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, v.json())
		return nil
	}
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = sessionText(lang, "me.saved")
	}
	return s.renderMe(w, lang, v, contactForm(v.p), nil, http.StatusOK, notice)
}

func (s *Service) meUpdate(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, sessionBody)
	if err != nil {
		return err
	}
	lang := mePageLang(r, web.Lang(r, f))
	ss, err := s.SessionPost(r, f)
	switch {
	case errors.Is(err, ErrBadCSRF):
		return s.csrfRefused(w, r, lang)
	case errors.Is(err, ErrNotSignedIn):
		return notSignedIn(w, r, lang)
	case err != nil:
		return web.Unavailable(err)
	}
	child, err := s.meChild(r.Context(), r, ss)
	switch {
	case errors.Is(err, errNoChild):
		return noChild(w, r, lang)
	case err != nil:
		return web.Unavailable(err)
	}
	c, errs := ParseContact(f, lang)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		v, err := s.meViewFor(r.Context(), ss, child)
		if err != nil {
			return web.Unavailable(err)
		}
		return s.renderMe(w, lang, v, f, errs, http.StatusBadRequest, "")
	}
	if child.n > 0 {
		err = s.updateContact(r.Context(), child.number, child.p, "", EventGuardianUpdate, c)
	} else {
		err = s.UpdateContact(r.Context(), ss, c)
	}
	switch {
	case errors.Is(err, ErrNotSignedIn):
		return notSignedIn(w, r, lang)
	case err != nil:
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		v, err := s.meViewFor(r.Context(), ss, child)
		if err != nil {
			return web.Unavailable(err)
		}
		web.JSON(w, http.StatusOK, map[string]any{"status": "updated", "me": v.json()})
		return nil
	}
	to := "/library/me?lang=" + lang + "&saved=1"
	if child.n > 0 {
		to += "&child=" + strconv.Itoa(child.n)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// UpdateContact writes c to the patron of ss, as a use of the library (the
// last use stamped, retention re-stamped through the record seam), with an
// audit entry, only while the session is still theirs (ErrNotSignedIn
// otherwise). A changed address is no longer the one checked against the
// population register: addressCheckedAt goes.
func (s *Service) UpdateContact(ctx context.Context, ss *Session, c ContactChange) error {
	return s.updateContact(ctx, ss.number, ss.Patron, ss.hash, EventSelfServiceUpdate, c)
}

// updateContact writes c to the patron number (p as read), audited as
// event; with a session hash only while that session is the patron's.
func (s *Service) updateContact(ctx context.Context, number string, p *Patron, session, event string, c ContactChange) error {
	for attempt := 0; ; attempt++ {
		now := s.now()
		t := touch{
			set:   "#street = :street, #postcode = :postcode, #city = :city, #lang = :lang, #delivery = :delivery",
			names: map[string]string{"#street": "street", "#postcode": "postcode", "#city": "city", "#lang": "lang", "#delivery": "delivery"},
			values: map[string]types.AttributeValue{":street": lockS(c.Street), ":postcode": lockS(c.Postcode), ":city": lockS(c.City),
				":lang": lockS(c.Lang), ":delivery": lockS(c.Channel)},
		}
		if session != "" {
			t.cond, t.values[":session"] = attrSession+" = :session", lockS(session)
		}
		var remove []string
		for _, o := range []struct{ attr, v string }{{"phone", c.Phone}, {"email", c.Email}} {
			if o.v == "" {
				remove = append(remove, "#"+o.attr)
				t.names["#"+o.attr] = o.attr
				continue
			}
			t.set += ", #" + o.attr + " = :" + o.attr
			t.names["#"+o.attr] = o.attr
			t.values[":"+o.attr] = lockS(o.v)
		}
		if c.Street != p.Street || c.Postcode != p.Postcode || c.City != p.City {
			remove = append(remove, "addressCheckedAt")
		}
		t.remove = strings.Join(remove, ", ")
		u, err := s.touchUpdate(number, p, now, t)
		if err != nil {
			return err
		}
		entry, err := audit.Put(s.plat, now, audit.Entry{Event: event, SubjectKey: p.SubjectKey})
		if err != nil {
			return err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: u}, entry}})
		codes := dynamo.CancelledBy(err)
		if err == nil || len(codes) == 0 || codes[0] != "ConditionalCheckFailed" {
			if err != nil {
				return fmt.Errorf("self-service update: %w", err)
			}
			return nil
		}
		// Gone, signed out, or changed by another flow (a loan, a fee):
		// read it again and write it as it is now.
		fresh, held, err := s.readSession(ctx, number)
		switch {
		case errors.Is(err, ErrNotFound):
			return ErrNotSignedIn
		case err != nil:
			return err
		case session != "" && held != session:
			return ErrNotSignedIn
		case attempt == 2:
			return fmt.Errorf("self-service update: the patron keeps changing")
		}
		p = fresh
	}
}
