package main

import (
	"fmt"
	"io"
	"strings"

	"rekisteri/internal/register"
)

// The record's part a) for a register of one controller (the museum) and
// for one kept by joint controllers (the libraries: four cities, each with
// its own persons responsible, contact persons and registry office).

var ropaJointWords = map[string]register.Text{
	"joint":  {"fi": "Yhteisrekisterinpitäjät (tietosuoja-asetuksen 26 artikla)", "sv": "Gemensamt personuppgiftsansvariga (artikel 26 i dataskyddsförordningen)", "en": "Joint controllers (GDPR Art. 26)"},
	"office": {"fi": "Kirjaamo", "sv": "Registratorskontor", "en": "Registry office"},
	"laws":   {"fi": "Keskeinen lainsäädäntö", "sv": "Central lagstiftning", "en": "Central legislation"},
}

func init() {
	for k, v := range ropaJointWords {
		ropaWords[k] = v
	}
}

// controller is the controller's name, or every joint controller's.
func (r ropaDoc) controller() string {
	return strings.Join(r.reg.ControllerNames(r.lang), "; ")
}

// contact is the controller's address and phone, or each joint
// controller's registry office.
func (r ropaDoc) contact() string {
	if len(r.reg.Controllers) == 0 {
		c := r.reg.Controller
		return c.Address + ", " + r.w("phone") + " " + c.Phone
	}
	return r.joint(func(c register.JointController) string { return r.office(c) })
}

func (r ropaDoc) office(c register.JointController) string {
	return c.Office.Name.In(r.lang) + ", " + c.Office.Address
}

// responsible is the person responsible, or each joint controller's.
func (r ropaDoc) responsible() string {
	if len(r.reg.Controllers) == 0 {
		return r.reg.Responsible.Role.In(r.lang) + " " + r.reg.Responsible.Name
	}
	return r.joint(func(c register.JointController) string { return c.Responsible.In(r.lang) })
}

// contacts are the contact persons, or each joint controller's.
func (r ropaDoc) contacts() []string {
	var out []string
	for _, c := range r.reg.Contacts {
		out = append(out, c.Role.In(r.lang)+": "+c.Name)
	}
	for _, c := range r.reg.Controllers {
		out = append(out, c.Name.In(r.lang)+": "+r.persons(c.Contacts))
	}
	return out
}

func (r ropaDoc) persons(ps []register.Person) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.In(r.lang))
	}
	return strings.Join(out, ", ")
}

// joint is f of each joint controller, each under its name.
func (r ropaDoc) joint(f func(register.JointController) string) string {
	var out []string
	for _, c := range r.reg.Controllers {
		out = append(out, c.Name.In(r.lang)+": "+f(c))
	}
	return strings.Join(out, "; ")
}

// dpo is the data protection officer's address, named when the declaration
// names them ("the cities' data protection officers").
func (r ropaDoc) dpo() string {
	if n := r.reg.DPO.Name.In(r.lang); n != "" {
		return n + ", " + r.reg.DPO.Email
	}
	return r.reg.DPO.Email
}

// controllersMD writes part a) in markdown.
func (r ropaDoc) controllersMD(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	if len(r.reg.Controllers) == 0 {
		p("- **%s:** %s, %s\n", r.w("controller"), r.controller(), r.contact())
		p("- **%s:** %s\n", r.w("responsible"), r.responsible())
		p("- **%s:** %s\n", r.w("contacts"), strings.Join(r.contacts(), "; "))
		p("- **%s:** %s\n\n", r.w("dpo"), r.dpo())
		return
	}
	p("- **%s:**\n", r.w("joint"))
	for _, c := range r.reg.Controllers {
		p("  - **%s** (`%s`) — %s: %s; %s: %s; %s: %s\n", c.Name.In(r.lang), c.ID, r.w("responsible"), c.Responsible.In(r.lang),
			r.w("contacts"), r.persons(c.Contacts), r.w("office"), r.office(c))
	}
	p("- **%s:** %s\n\n", r.w("dpo"), r.dpo())
}

// basisAndLaws is the legal basis and, where declared, the laws it rests on.
func (r ropaDoc) basisAndLaws(p register.Purpose) string {
	if len(p.Laws) == 0 {
		return r.basis(p)
	}
	return r.basis(p) + " — " + strings.Join(ropaNames(r.reg.Laws, p.Laws, r.lang), "; ")
}
