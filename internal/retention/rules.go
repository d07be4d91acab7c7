package retention

import (
	"fmt"
	"slices"
	"strings"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// The actions a declared rule may take on a due item.
const (
	ActionDelete    = "delete"
	ActionAnonymise = "anonymise" // "anonymise:attr,attr": remove those attributes, keep the item
	ActionKeep      = register.ActionKeep
)

// ruleOf is one declared rule the sweep enforces: where its items live and
// what it does to them.
type ruleOf struct {
	register.Rule
	Kind, Table string
	Anonymise   []string // the attributes to remove; nil: delete the item (or keep it, Holds)
	// With are the kinds deleted with an item of Kind, by table; Links the
	// attributes by which those kinds link two ends (register.RecordKind.Links).
	With, Links map[string][]string
}

// Rules are the declared rules with a keep period — the ones a sweep
// enforces — by id, checked: every action known, every attribute to remove
// declared on its kind and none of the envelope.
func Rules(reg *register.Register) (map[string]ruleOf, error) {
	out := map[string]ruleOf{}
	for _, k := range reg.Records {
		for _, r := range k.Retention {
			if r.Keep.IsZero() {
				continue // kept until an event: never on the expiry index
			}
			if _, dup := out[r.ID]; dup {
				return nil, fmt.Errorf("retention: rule id %s declared twice", r.ID)
			}
			ro := ruleOf{Rule: r, Kind: k.Kind, Table: k.Table}
			attrs, err := parseAction(r.Action)
			if err != nil {
				return nil, fmt.Errorf("retention: rule %s of %s: %w", r.ID, k.Kind, err)
			}
			for _, a := range attrs {
				if !slices.Contains(k.Attributes, a) {
					return nil, fmt.Errorf("retention: rule %s anonymises %q, which %s does not declare", r.ID, a, k.Kind)
				}
				if slices.Contains(record.Envelope, a) {
					return nil, fmt.Errorf("retention: rule %s would anonymise the envelope attribute %s", r.ID, a)
				}
			}
			ro.Anonymise = attrs
			for _, w := range k.With {
				wk, _ := reg.Record(w)
				if ro.With == nil {
					ro.With, ro.Links = map[string][]string{}, map[string][]string{}
				}
				ro.With[wk.Table] = append(ro.With[wk.Table], w)
				for _, a := range wk.Links {
					if !slices.Contains(ro.Links[wk.Table], a) {
						ro.Links[wk.Table] = append(ro.Links[wk.Table], a)
					}
				}
			}
			out[r.ID] = ro
		}
	}
	return out, nil
}

// parseAction reads "delete" or "anonymise:a,b" (the attributes to remove).
func parseAction(action string) ([]string, error) {
	name, list, _ := strings.Cut(action, ":")
	switch strings.TrimSpace(name) {
	case ActionKeep:
		if list != "" {
			return nil, fmt.Errorf("action %q: keep takes no attributes", action)
		}
		return nil, nil
	case ActionDelete:
		if list != "" {
			return nil, fmt.Errorf("action %q: delete takes no attributes", action)
		}
		return nil, nil
	case ActionAnonymise:
		var attrs []string
		for _, a := range strings.Split(list, ",") {
			if a = strings.TrimSpace(a); a != "" {
				attrs = append(attrs, a)
			}
		}
		if len(attrs) == 0 {
			return nil, fmt.Errorf("action %q: name the attributes to remove (anonymise:a,b)", action)
		}
		return attrs, nil
	}
	return nil, fmt.Errorf("unknown action %q (want delete, keep or anonymise:attributes)", action)
}
