package register

import (
	"fmt"
	"maps"
	"slices"
)

// Exception is a ground of GDPR Art. 17(3) on which some records of a person
// are kept after they ask for erasure: the reply names it, in their language.
type Exception struct {
	ID      string `yaml:"id"`
	Article string `yaml:"article"` // "17(3)(b)"
	Text    Text   `yaml:"text"`
}

// Erasure says what an erasure request does to a record kind. Without it,
// the subject's records of the kind are deleted. With an Exception, they are
// kept — only the minimum (Remove strips the rest), restricted — unless the
// record's current retention rule is one of Unless, or its status is not one
// of Status (when Status is given); kept records may Enter a state, the
// attribute At set to the time of erasure, so the seam restamps their expiry.
type Erasure struct {
	Exception string   `yaml:"exception"`
	Unless    []string `yaml:"unless"`
	Status    []string `yaml:"status"`
	Remove    []string `yaml:"remove"`
	Enter     string   `yaml:"enter"`
	At        string   `yaml:"at"`
	// Set are attributes a kept record gets on entering (the withdrawal
	// channel of a consent withdrawn by the erasure).
	Set map[string]string `yaml:"set"`
}

// Objection says what an objection to direct marketing (Art. 21(2)–(3))
// does to a record kind: the record enters state Enter, with the attribute
// At set to the time, Set's attributes set and Remove's removed — unless it
// already carries Unless (it was withdrawn before).
type Objection struct {
	Enter  string            `yaml:"enter"`
	At     string            `yaml:"at"`
	Set    map[string]string `yaml:"set"`
	Remove []string          `yaml:"remove"`
	Unless string            `yaml:"unless"`
}

// IsException reports whether id names a declared Art. 17(3) exception
// (a record kept after an erasure, restricted for it).
func (r *Register) IsException(id string) bool { _, ok := r.Exception(id); return ok }

// Exception returns a declared Art. 17(3) exception.
func (r *Register) Exception(id string) (Exception, bool) {
	i := slices.IndexFunc(r.ErasureExceptions, func(e Exception) bool { return e.ID == id })
	if i < 0 {
		return Exception{}, false
	}
	return r.ErasureExceptions[i], true
}

func (r *Register) validateErasure() error {
	for _, e := range r.ErasureExceptions {
		if e.Article == "" {
			return fmt.Errorf("erasure exception %s: no article", e.ID)
		}
		if err := complete(e.Text, "erasure exception "+e.ID); err != nil {
			return err
		}
	}
	for _, k := range r.Records {
		e := k.Erasure
		if e.Exception == "" {
			if len(e.Unless)+len(e.Status)+len(e.Remove) > 0 || e.Enter != "" {
				return fmt.Errorf("record %s: erasure rules without an exception", k.Kind)
			}
			continue
		}
		if _, ok := r.Exception(e.Exception); !ok {
			return fmt.Errorf("record %s: undeclared erasure exception %q", k.Kind, e.Exception)
		}
		for _, u := range e.Unless {
			// Only a rule with a period stamps its id on the record.
			if !slices.ContainsFunc(k.Retention, func(x Rule) bool { return x.ID == u && !x.Keep.IsZero() }) {
				return fmt.Errorf("record %s: erasure names %q, not a rule of the kind with a period", k.Kind, u)
			}
		}
		for _, a := range e.Remove {
			if !slices.Contains(k.Attributes, a) {
				return fmt.Errorf("record %s: erasure removes undeclared attribute %q", k.Kind, a)
			}
			if slices.Contains([]string{"pk", "sk", "kind", "subjectKey"}, a) {
				return fmt.Errorf("record %s: erasure would remove the envelope attribute %s", k.Kind, a)
			}
		}
		if len(e.Status) > 0 && !slices.Contains(k.Attributes, "status") {
			return fmt.Errorf("record %s: erasure by status, but the kind has no status", k.Kind)
		}
		if e.Enter != "" {
			if !slices.ContainsFunc(k.Retention, func(x Rule) bool { return x.When == e.Enter }) {
				return fmt.Errorf("record %s: erasure enters %q, which no rule covers", k.Kind, e.Enter)
			}
			if e.At != "" && !slices.Contains(k.Attributes, e.At) {
				return fmt.Errorf("record %s: erasure stamps undeclared attribute %q", k.Kind, e.At)
			}
			for a := range e.Set {
				if !slices.Contains(k.Attributes, a) || slices.Contains([]string{"pk", "sk", "kind", "subjectKey"}, a) {
					return fmt.Errorf("record %s: erasure sets %q, not a declared attribute of its own", k.Kind, a)
				}
			}
		} else if len(e.Set) > 0 {
			return fmt.Errorf("record %s: erasure sets attributes without entering a state", k.Kind)
		}
	}
	for _, k := range r.Records {
		o := k.Objection
		if o == nil {
			continue
		}
		if !slices.ContainsFunc(k.Retention, func(x Rule) bool { return x.When == o.Enter }) {
			return fmt.Errorf("record %s: objection enters %q, which no rule covers", k.Kind, o.Enter)
		}
		for _, a := range append(append([]string{o.At, o.Unless}, o.Remove...), slices.Collect(maps.Keys(o.Set))...) {
			if !slices.Contains(k.Attributes, a) {
				return fmt.Errorf("record %s: objection names undeclared attribute %q", k.Kind, a)
			}
		}
	}
	for _, x := range r.Recipients {
		if x.Email != "" && x.Role != "recipient" {
			return fmt.Errorf("recipient %s: only a recipient of its own is told of changes (Art. 19)", x.ID)
		}
	}
	return nil
}
