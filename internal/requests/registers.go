package requests

import (
	"fmt"
	"time"

	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// A requests function serves one register (REGISTER: its requests, mail
// and audit tables) and reaches others too (the libraries' register):
// every request searches every table of every register it reaches, through
// the same seam and the same code — the declarations decide the rest. A
// request names the register it is made to (Request.Register), whose
// Art. 15 information heads its copy; each record is explained by its own
// register's declaration.

// reachOf is own and a store for each other catalogue, refusing a register
// twice, and a table or record kind two registers both declare (a record
// must be explained by exactly one declaration).
func reachOf(own *recordstore.Store, db recordstore.DB, others []*record.Catalogue) ([]*recordstore.Store, error) {
	out := []*recordstore.Store{own}
	regs := map[string]bool{own.Catalogue().Register().ID: true}
	tables, kinds := map[string]string{}, map[string]string{}
	claim := func(reg *register.Register) error {
		for _, t := range record.Tables(reg) {
			if o, dup := tables[t]; dup {
				return fmt.Errorf("requests: registers %s and %s both declare a table %s", o, reg.ID, t)
			}
			tables[t] = reg.ID
		}
		for _, k := range reg.Records {
			if o, dup := kinds[k.Kind]; dup {
				return fmt.Errorf("requests: registers %s and %s both declare a kind %s", o, reg.ID, k.Kind)
			}
			kinds[k.Kind] = reg.ID
		}
		return nil
	}
	if err := claim(own.Catalogue().Register()); err != nil {
		return nil, err
	}
	for _, c := range others {
		reg := c.Register()
		if regs[reg.ID] {
			return nil, fmt.Errorf("requests: register %s reached twice", reg.ID)
		}
		regs[reg.ID] = true
		if err := claim(reg); err != nil {
			return nil, err
		}
		out = append(out, recordstore.NewStore(db, c))
	}
	return out, nil
}

// registers are the declarations the service reaches, its own first.
func (s *Service) registers() []*register.Register {
	out := make([]*register.Register, len(s.reach))
	for i, st := range s.reach {
		out[i] = st.Catalogue().Register()
	}
	return out
}

// Registers are the ids of the registers a request reaches, the service's
// own first: what Request.Register may name.
func (s *Service) Registers() []string {
	var out []string
	for _, r := range s.registers() {
		out = append(out, r.ID)
	}
	return out
}

// registerOf is the register req is made to: the one it names, or the
// service's own.
func (s *Service) registerOf(req Request) (*register.Register, error) {
	if req.Register == "" {
		return s.reg, nil
	}
	for _, r := range s.registers() {
		if r.ID == req.Register {
			return r, nil
		}
	}
	return nil, fmt.Errorf("requests: request %s is made to register %q, which this function does not reach", req.ID(), req.Register)
}

// mailTemplate is the mail template a request's reply is written in: the
// register's own variant ("library-request-access", signed by the
// libraries) where the request is made to another register than the
// service's and the variant exists, else tmpl itself.
func (s *Service) mailTemplate(req Request, tmpl string) string {
	if req.Register == "" || req.Register == s.reg.ID {
		return tmpl
	}
	if own := req.Register + "-" + tmpl; hasTemplate(own) {
		return own
	}
	return tmpl
}

// hasTemplate reports whether the mail package has a template name.
func hasTemplate(name string) bool {
	_, err := mail.NewJob(time.Time{}, "probe", "", "probe@example.invalid", name, register.Languages[0], nil)
	return err == nil
}

// keptTexts are the paragraph a register's own erasure reply gives what is
// kept (its template has no {{if}}; the museum's says the same in it).
var keptTexts = map[string]string{
	"fi": "Säilytetty: %s\nNäitä tietoja emme saa vielä poistaa edellä mainitusta syystä (tietosuoja-asetuksen 17 artiklan 3 kohta). Niiden käsittelyä on rajoitettu: niitä vain säilytetään, eikä niitä käytetä muuhun. Ne poistetaan, kun säilytysaika päättyy.",
	"sv": "Sparat: %s\nDe här uppgifterna får vi ännu inte radera av det skäl som anges ovan (artikel 17.3 i dataskyddsförordningen). Behandlingen av dem är begränsad: de bara lagras och används inte till något annat. De raderas när lagringstiden går ut.",
	"en": "Kept: %s\nWe may not erase these yet, for the reason given above (GDPR Article 17(3)). Their processing is restricted: they are only stored and used for nothing else. They are deleted when their retention period ends.",
}

func keptParagraph(lang, kept string) string {
	f, ok := keptTexts[lang]
	if !ok {
		f = keptTexts["fi"]
	}
	return fmt.Sprintf(f, kept)
}
