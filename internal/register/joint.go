package register

import (
	"fmt"
	"slices"
	"strings"
)

// Joint is what a register kept by several controllers together declares
// besides what every register does (the city libraries' customer register
// is kept by four cities). A register of one controller leaves it empty, and
// its generated JSON is then as it was before these fields existed.
type Joint struct {
	// Controllers are the joint controllers (GDPR Art. 26), each with its
	// own persons responsible, contact persons and registry office. A
	// register that declares them declares no controller, responsible or
	// contacts of its own.
	Controllers []JointController `yaml:"controllers" json:",omitempty"`
	// Laws are the central legislation the notice names; each purpose
	// lists the ids of those it rests on.
	Laws []Named `yaml:"laws" json:",omitempty"`
	// Informing is how data subjects are told of the processing (a notice's
	// "informing the data subject", e.g. the library card's link).
	Informing Text `yaml:"informing" json:",omitempty"`
}

// JointController is one of a register's joint controllers.
type JointController struct {
	ID          string   `yaml:"id"`
	Name        Text     `yaml:"name"`
	Responsible Person   `yaml:"responsible"`
	Contacts    []Person `yaml:"contacts"`
	// Office is the registry office (kirjaamo) requests and post go to.
	Office struct {
		Name    Text   `yaml:"name"`
		Address string `yaml:"address"`
	} `yaml:"office"`
}

// JointController returns the joint controller with id.
func (r *Register) JointController(id string) (JointController, bool) {
	i := slices.IndexFunc(r.Controllers, func(c JointController) bool { return c.ID == id })
	if i < 0 {
		return JointController{}, false
	}
	return r.Controllers[i], true
}

// ControllerNames is every controller's name in lang: the one controller's,
// or each joint controller's in the declared order.
func (r *Register) ControllerNames(lang string) []string {
	if len(r.Controllers) == 0 {
		return []string{r.Controller.Name.In(lang)}
	}
	out := make([]string, len(r.Controllers))
	for i, c := range r.Controllers {
		out[i] = c.Name.In(lang)
	}
	return out
}

// In is a person as a notice names them: the role, and the name when
// one is declared.
func (p Person) In(lang string) string {
	if p.Name == "" {
		return p.Role.In(lang)
	}
	return p.Role.In(lang) + " " + p.Name
}

func (r *Register) validateJoint() error {
	if len(r.Controllers) == 0 {
		return nil
	}
	if len(r.Controller.Name) > 0 || r.Controller.Address != "" || len(r.Responsible.Role) > 0 || len(r.Contacts) > 0 {
		return fmt.Errorf("joint controllers and a controller, responsible or contacts of the register's own: declare the persons per controller")
	}
	seen := map[string]bool{}
	for _, c := range r.Controllers {
		if c.ID == "" || seen[c.ID] {
			return fmt.Errorf("joint controller %q: no id, or twice", c.ID)
		}
		seen[c.ID] = true
		what := "joint controller " + c.ID
		if err := complete(c.Name, what); err != nil {
			return err
		}
		if err := complete(c.Responsible.Role, what+": person responsible"); err != nil {
			return err
		}
		if len(c.Contacts) == 0 {
			return fmt.Errorf("%s: no contact person", what)
		}
		for _, p := range c.Contacts {
			if err := complete(p.Role, what+": contact person"); err != nil {
				return err
			}
		}
		if err := complete(c.Office.Name, what+": registry office"); err != nil {
			return err
		}
		if strings.TrimSpace(c.Office.Address) == "" {
			return fmt.Errorf("%s: registry office without an address", what)
		}
	}
	return nil
}

func (r *Register) validateLaws() error {
	for _, l := range r.Laws {
		if err := complete(l.Name, "law "+l.ID); err != nil {
			return err
		}
	}
	for _, p := range r.Purposes {
		for _, id := range p.Laws {
			if !slices.ContainsFunc(r.Laws, func(n Named) bool { return n.ID == id }) {
				return fmt.Errorf("purpose %s: undeclared law %q", p.ID, id)
			}
		}
	}
	if len(r.Informing) > 0 {
		return complete(r.Informing, "informing")
	}
	return nil
}
