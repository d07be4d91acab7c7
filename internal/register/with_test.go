package register

import (
	"slices"
	"testing"
)

// TestLibraryPatronGoesWithItsLinks: the yearly purge deletes a patron with
// its guardian links (with), and an unresolved patron falls due with the
// inactive one and is kept (action keep), so the purge counts it.
func TestLibraryPatronGoesWithItsLinks(t *testing.T) {
	r := MustLoad("library")
	p, _ := r.Record("patron")
	if !slices.Contains(p.With, "guardian-link") || !slices.Contains(p.With, "loan") {
		t.Errorf("patron goes with %v, want its guardian links and reservations (loan)", p.With)
	}
	if g, _ := r.Record("guardian-link"); !slices.Equal(g.Links, []string{"patronKey", "responsibleKey"}) {
		t.Errorf("a guardian link links by %v", g.Links)
	}
	un := r.Retention("patron", "unresolved")
	in := r.Retention("patron", "active")
	if !un.Holds() || un.Keep != in.Keep || un.After != in.After || un.Cadence != Yearly {
		t.Errorf("patron-unresolved %+v: want kept (action keep), due as patron-inactive %+v", un, in)
	}
	if in.Holds() {
		t.Error("patron-inactive keeps its record")
	}
}

// TestValidateRefusesBrokenWithAndKeep: a kind goes only with declared
// kinds other than itself, one level deep; a rule that keeps when due has a
// period to fall due after.
func TestValidateRefusesBrokenWithAndKeep(t *testing.T) {
	kind := func(r *Register, k string) *RecordKind {
		i := slices.IndexFunc(r.Records, func(x RecordKind) bool { return x.Kind == k })
		return &r.Records[i]
	}
	tests := []struct {
		name   string
		mutate func(r *Register)
	}{
		{"with an undeclared kind", func(r *Register) { kind(r, "patron").With = []string{"pet"} }},
		{"with itself", func(r *Register) { kind(r, "patron").With = []string{"patron"} }},
		{"with a kind that has its own", func(r *Register) { kind(r, "preregistration").With = []string{"patron"} }},
		{"links by an undeclared attribute", func(r *Register) { kind(r, "guardian-link").Links = []string{"friendKey"} }},
		{"links by the subject key", func(r *Register) { kind(r, "guardian-link").Links = []string{"subjectKey"} }},
		{"keep without a period", func(r *Register) {
			k := kind(r, "fee")
			k.Retention = slices.Clone(k.Retention)
			k.Retention[0].Action = ActionKeep
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *MustLoad("library")
			r.Records = slices.Clone(r.Records)
			tc.mutate(&r)
			if err := r.validate(); err == nil {
				t.Error("validate accepted it")
			}
		})
	}
}
