package library

import (
	"slices"
	"time"
	"unicode/utf8"

	"rekisteri/internal/hetu"
	"rekisteri/internal/mail"
	"rekisteri/internal/postal"
	"rekisteri/internal/subject"
	"rekisteri/internal/web"
)

// registration is a validated pre-registration from the form. The identity
// codes travel only from the form to Seal.
type registration struct {
	FirstName, LastName, Hetu string
	BirthDate                 time.Time
	Street, Postcode, City    string
	Phone, Email              string
	Lang, Channel, Group      string
	Guardian                  *guardian // a child under 15 only
}

// guardian is who answers for a child under 15 (seed 004 §7).
type guardian struct {
	FirstName, LastName, Hetu, Email string
	BirthDate                        time.Time
}

// prereg form fields in the form's order; the identity codes are secret:
// they never come back after an error.
var preregFields = []string{"first_name", "last_name", "hetu", "street", "postcode", "city", "phone", "email",
	"channel", "group", "guardian_first_name", "guardian_last_name", "guardian_hetu", "guardian_email"}

// parseRegistration validates the form, with one message per field in
// lang. today is the Finnish calendar day (the local clock's): it decides
// whether the person is a child under 15 who needs a guardian, and whether
// the guardian is of age.
func parseRegistration(f web.Form, lang string, today time.Time) (registration, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := registration{Lang: lang}
	text := func(name string, limit int, required bool) string {
		v := f.Get(name)
		switch {
		case v == "" && required:
			errs[name] = ptext(lang, "err.required")
		case utf8.RuneCountInString(v) > limit:
			errs[name] = ptext(lang, "err.long")
		}
		return v
	}
	code := func(name string) (hetu.Code, bool) {
		raw := f.Get(name)
		if raw == "" {
			errs[name] = ptext(lang, "err.required")
			return hetu.Code{}, false
		}
		c, err := hetu.Parse(raw)
		if err != nil {
			errs[name] = ptext(lang, "err.hetu")
			return hetu.Code{}, false
		}
		return c, true
	}
	in.FirstName = text("first_name", 100, true)
	in.LastName = text("last_name", 100, true)
	c, ok := code("hetu")
	if ok {
		in.Hetu, in.BirthDate = c.String(), c.BirthDate()
		if in.BirthDate.After(today) {
			errs["hetu"] = ptext(lang, "err.hetu")
			ok = false
		}
	}
	in.Street = text("street", 200, true)
	in.City = text("city", 100, true)
	in.Postcode = f.Get("postcode")
	switch {
	case in.Postcode == "":
		errs["postcode"] = ptext(lang, "err.required")
	case !postal.ValidPostcode(in.Postcode):
		errs["postcode"] = ptext(lang, "err.postcode")
	}
	in.Channel = f.Get("channel")
	if !slices.Contains(Channels, in.Channel) {
		errs["channel"] = ptext(lang, "err.channel")
	}
	if p := f.Get("phone"); p != "" {
		if n, good := postal.NormalizePhone(p); good {
			in.Phone = n
		} else {
			errs["phone"] = ptext(lang, "err.phone")
		}
	} else if in.Channel == ChannelSMS {
		errs["phone"] = ptext(lang, "err.phone.sms")
	}
	if e := f.Get("email"); e != "" {
		if mail.ValidAddress(e) {
			in.Email = subject.NormalizeEmail(e)
		} else {
			errs["email"] = ptext(lang, "err.email")
		}
	} else if in.Channel == ChannelEmail {
		errs["email"] = ptext(lang, "err.email.channel")
	}
	in.Group = f.Get("group")
	if !slices.Contains(Groups, in.Group) {
		errs["group"] = ptext(lang, "err.group")
	}
	if !ok {
		return in, errs // without a birth date nobody can say whether a guardian is needed
	}
	child := Age(in.BirthDate.Format(time.DateOnly), today) < GuardianAge
	if child && in.Group != "" && in.Group != GroupChild && errs["group"] == "" {
		errs["group"] = ptext(lang, "err.group.child")
	}
	if !child {
		return in, errs // a guardian is asked only for a child: anything sent is not kept
	}
	// A child without a guardian: each missing field says a guardian is needed.
	need := func(name string) {
		if errs[name] == ptext(lang, "err.required") {
			errs[name] = ptext(lang, "err.guardian.need")
		}
	}
	g := &guardian{FirstName: text("guardian_first_name", 100, true), LastName: text("guardian_last_name", 100, true)}
	gc, gok := code("guardian_hetu")
	for _, name := range []string{"guardian_first_name", "guardian_last_name", "guardian_hetu"} {
		need(name)
	}
	if gok {
		g.Hetu, g.BirthDate = gc.String(), gc.BirthDate()
		switch {
		case g.Hetu == in.Hetu:
			errs["guardian_hetu"] = ptext(lang, "err.guardian.self")
		case Age(g.BirthDate.Format(time.DateOnly), today) < AdultAge:
			errs["guardian_hetu"] = ptext(lang, "err.guardian.age")
		}
	}
	if e := f.Get("guardian_email"); e != "" {
		if mail.ValidAddress(e) {
			g.Email = subject.NormalizeEmail(e)
		} else {
			errs["guardian_email"] = ptext(lang, "err.email")
		}
	}
	in.Guardian = g
	return in, errs
}
