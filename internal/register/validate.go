package register

import (
	"fmt"
	"slices"
	"strings"
)

func (r *Register) validate() error {
	known := func(list []Named, id string) bool {
		return slices.ContainsFunc(list, func(n Named) bool { return n.ID == id })
	}
	for _, p := range r.Purposes {
		if _, ok := LegalBases[p.LegalBasis]; !ok {
			return fmt.Errorf("purpose %s: unknown legal basis %q", p.ID, p.LegalBasis)
		}
		if len(p.DataSubjects) == 0 {
			return fmt.Errorf("purpose %s: no categories of data subjects", p.ID)
		}
		for _, c := range p.DataSubjects {
			if !known(r.DataSubjects, c) {
				return fmt.Errorf("purpose %s: undeclared category of data subjects %q", p.ID, c)
			}
		}
		for _, c := range p.DataCategories {
			if !known(r.DataCategories, c) {
				return fmt.Errorf("purpose %s: undeclared data category %q", p.ID, c)
			}
		}
		for _, s := range p.Sources {
			if !known(r.Sources, s) {
				return fmt.Errorf("purpose %s: undeclared source %q", p.ID, s)
			}
		}
		for _, s := range p.Recipients {
			if !slices.ContainsFunc(r.Recipients, func(x Recipient) bool { return x.ID == s }) {
				return fmt.Errorf("purpose %s: undeclared recipient %q", p.ID, s)
			}
		}
		if err := complete(p.Name, "purpose "+p.ID); err != nil {
			return err
		}
	}
	for _, d := range r.DataSubjects {
		if err := complete(d.Name, "category of data subjects "+d.ID); err != nil {
			return err
		}
	}
	for _, x := range r.Recipients {
		if x.Role != "processor" && x.Role != "recipient" {
			return fmt.Errorf("recipient %s: role %q, want processor or recipient", x.ID, x.Role)
		}
		if err := complete(x.Name, "recipient "+x.ID); err != nil {
			return err
		}
	}
	if len(r.SecurityMeasures) == 0 {
		return fmt.Errorf("no security measures")
	}
	for _, m := range r.SecurityMeasures {
		if err := complete(m.Text, "security measure "+m.ID); err != nil {
			return err
		}
	}
	for _, l := range r.Lists {
		if _, ok := r.Purpose(l.Purpose); !ok {
			return fmt.Errorf("list %s: undeclared purpose %q", l.ID, l.Purpose)
		}
		if err := complete(l.Consent, "consent text of list "+l.ID); err != nil {
			return err
		}
	}
	for _, q := range r.Survey {
		if !slices.Contains([]string{"single", "multi", "per-location"}, q.Kind) || len(q.Options) == 0 {
			return fmt.Errorf("survey question %s: kind %q with %d options", q.ID, q.Kind, len(q.Options))
		}
		if err := complete(q.Label, "survey question "+q.ID); err != nil {
			return err
		}
		for _, o := range q.Options {
			if err := complete(o.Name, "option "+q.ID+"/"+o.ID); err != nil {
				return err
			}
		}
	}
	for _, l := range r.Logs {
		if l.Keep.IsZero() {
			return fmt.Errorf("log %s: no retention period", l.ID)
		}
		if err := complete(l.Holds, "log "+l.ID); err != nil {
			return err
		}
		if err := complete(l.Text, "retention of log "+l.ID); err != nil {
			return err
		}
	}
	if len(r.Lists) > 0 && r.Bounces.SoftInARow < 1 {
		return fmt.Errorf("bounces: softInARow %d, want at least 1 (a register with lists declares it)", r.Bounces.SoftInARow)
	}
	for _, b := range r.MailBudgets {
		if b.ID == "" || b.Endpoint == "" || b.Count <= 0 || b.Window.Duration <= 0 {
			return fmt.Errorf("mail budget %q of %q: want an id, an endpoint, a positive count and window", b.ID, b.Endpoint)
		}
	}
	for _, k := range r.Records {
		for _, p := range k.Purposes {
			if _, ok := r.Purpose(p); !ok {
				return fmt.Errorf("record %s: undeclared purpose %q", k.Kind, p)
			}
		}
		if len(k.Retention) == 0 {
			return fmt.Errorf("record %s: no retention rule", k.Kind)
		}
		if err := complete(k.Name, "name of record kind "+k.Kind); err != nil {
			return err
		}
		for _, a := range k.Links {
			if !slices.Contains(k.Attributes, a) || slices.Contains([]string{"pk", "sk", "kind", "subjectKey"}, a) {
				return fmt.Errorf("record %s: links by %q, not a declared attribute of its own", k.Kind, a)
			}
		}
		for _, w := range k.With {
			wk, ok := r.Record(w)
			switch {
			case !ok:
				return fmt.Errorf("record %s: goes with undeclared kind %q", k.Kind, w)
			case w == k.Kind:
				return fmt.Errorf("record %s: goes with itself", k.Kind)
			case len(wk.With) > 0:
				return fmt.Errorf("record %s: goes with %s, which has kinds going with it in turn", k.Kind, w)
			}
		}
		for _, rule := range k.Retention {
			if rule.Holds() && rule.Keep.IsZero() {
				return fmt.Errorf("record %s rule %s: keeps when due, but has no period to fall due after", k.Kind, rule.ID)
			}
			if !rule.Keep.IsZero() && !slices.Contains(k.Attributes, rule.After) {
				return fmt.Errorf("record %s rule %s: counts from undeclared attribute %q", k.Kind, rule.ID, rule.After)
			}
			if !slices.Contains([]string{"", Daily, Weekly, Yearly}, rule.Cadence) {
				return fmt.Errorf("record %s rule %s: cadence %q is not daily, weekly or yearly", k.Kind, rule.ID, rule.Cadence)
			}
			if err := complete(rule.Text, "retention "+rule.ID); err != nil {
				return err
			}
		}
	}
	if err := r.validateJoint(); err != nil {
		return err
	}
	if err := r.validateLaws(); err != nil {
		return err
	}
	return r.validateErasure()
}

func complete(t Text, what string) error {
	for _, lang := range Languages {
		if strings.TrimSpace(t[lang]) == "" {
			return fmt.Errorf("%s: no %s text", what, lang)
		}
	}
	return nil
}
