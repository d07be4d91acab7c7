package register

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestLibraryLoads: the libraries' declaration loads, validates and is
// what its YAML says: four joint controllers, each with its persons and
// registry office, every purpose on Art. 6(1)(c) and the Public Libraries Act.
func TestLibraryLoads(t *testing.T) {
	r, err := Load("library")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "library" || r.Version() == "" || MustLoad("library").Version() != r.Version() {
		t.Fatalf("id %q version %q", r.ID, r.Version())
	}
	var ids []string
	for _, c := range r.Controllers {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"espoo", "helsinki", "kauniainen", "vantaa"}) {
		t.Errorf("joint controllers %v", ids)
	}
	if got := r.ControllerNames("fi"); len(got) != 4 || got[0] != "Espoon kaupunki" {
		t.Errorf("ControllerNames = %q", got)
	}
	if got := MustLoad("museum").ControllerNames("en"); !slices.Equal(got, []string{"City of Espoo"}) {
		t.Errorf("the museum's ControllerNames = %q", got)
	}
	if _, ok := r.JointController("vantaa"); !ok {
		t.Error("JointController(vantaa) not found")
	}
	for _, p := range r.Purposes {
		if p.LegalBasis != "legal-obligation" || !slices.Contains(p.Laws, "libraries-act") {
			t.Errorf("purpose %s: basis %q, laws %v", p.ID, p.LegalBasis, p.Laws)
		}
	}
	if r.DPO.Email != "tietosuoja@espoo.fi" || r.DPO.Name.In("fi") == "" {
		t.Errorf("DPO %+v", r.DPO)
	}
	if !strings.HasPrefix(r.Transfers.In("fi"), "Kyllä.") {
		t.Errorf("§10 says transfers may happen; the declaration says %q", r.Transfers.In("fi"))
	}
}

// TestLibraryRecords: the kinds issue 11 stores, each in its table, and the
// collection agency's file holds exactly the fields §9 lists.
func TestLibraryRecords(t *testing.T) {
	r := MustLoad("library")
	tables := map[string]string{
		"patron": "patrons", "guardian-link": "patrons", "preregistration": "patrons",
		"loan": "loans", "fee": "loans", "transfer": "transfers", "usage-statistic": "statistics",
		"circulation-event": "loans",
	}
	for kind, table := range tables {
		k, ok := r.Record(kind)
		if !ok || k.Table != table {
			t.Errorf("kind %s: declared %v in table %q, want %q", kind, ok, k.Table, table)
		}
	}
	if len(r.Records) != len(tables) {
		t.Errorf("%d kinds declared, want %d", len(r.Records), len(tables))
	}
	tr, _ := r.Record("transfer")
	var personal []string
	for _, a := range tr.Attributes {
		if !slices.Contains([]string{"pk", "sk", "kind", "subjectKey", "batch", "owner", "sealId", "status", "transferredAt", "resolvedAt", "expiresAt", "expiryBucket", "purgeAt"}, a) {
			personal = append(personal, a)
		}
	}
	if want := []string{"name", "address", "phone", "identityCode", "dueDate", "title", "price"}; !slices.Equal(personal, want) {
		t.Errorf("the transfer holds %v, want exactly %v", personal, want)
	}
	tests := []struct{ kind, when, rule, cadence string }{
		{"preregistration", "pending", "preregistration-uncollected", ""},
		{"patron", "active", "patron-inactive", Yearly},
		{"patron", "unresolved", "patron-unresolved", Yearly},
		{"fee", "unpaid", "fee-unresolved", ""},
		{"loan", "open", "loan-open", ""},
		{"loan", "reserved", "loan-reserved", ""},
		{"circulation-event", "received", "circulation-event", ""},
	}
	for _, tc := range tests {
		if rule := r.Retention(tc.kind, tc.when); rule.ID != tc.rule || rule.Cadence != tc.cadence {
			t.Errorf("%s in %s: rule %s cadence %q, want %s %q", tc.kind, tc.when, rule.ID, rule.Cadence, tc.rule, tc.cadence)
		}
	}
	if p := r.Retention("preregistration", "pending").Keep; p != (Period{Months: 3}) {
		t.Errorf("an uncollected pre-registration is kept %+v, want 3 months", p)
	}
	// A returned loan is deleted at once: no rule keeps a closed one.
	for _, rule := range r.Records[slices.IndexFunc(r.Records, func(k RecordKind) bool { return k.Kind == "loan" })].Retention {
		if !rule.Keep.IsZero() {
			t.Errorf("loan rule %s keeps %+v: a returned loan is deleted at once", rule.ID, rule.Keep)
		}
	}
	if p := r.Retention("circulation-event", "received").Keep; p != (Period{Days: 30}) {
		t.Errorf("a circulation event id is kept %+v, want 30 days", p)
	}
	if p := r.Retention("patron", "active").Keep; p != (Period{Years: 3}) {
		t.Errorf("an inactive patron is kept %+v, want 3 years", p)
	}
}

// yearlyWords is how a text says its deletions are made once a year.
var yearlyWords = map[string]string{"fi": "kerran vuodessa", "sv": "en gång om året", "en": "once a year"}

// TestLibraryRetentionTextsStateTheirPeriod: each rule's text states its
// period, and a yearly rule says its deletions are made once a year.
func TestLibraryRetentionTextsStateTheirPeriod(t *testing.T) {
	r := MustLoad("library")
	for _, k := range r.Records {
		for _, rule := range k.Retention {
			for _, lang := range Languages {
				text := rule.Text[lang]
				if !rule.Keep.IsZero() {
					n, unit := rule.Keep.Days, periodWords[lang][0]
					if rule.Keep.Months > 0 {
						n, unit = rule.Keep.Months, periodWords[lang][1]
					} else if rule.Keep.Years > 0 {
						n, unit = rule.Keep.Years, periodWords[lang][2]
					}
					if !regexp.MustCompile(`(^|\D)` + strconv.Itoa(n) + `\s+` + unit).MatchString(text) {
						t.Errorf("rule %s: the %s text %q does not state %d %s…", rule.ID, lang, text, n, unit)
					}
				}
				if (rule.Cadence == Yearly) != strings.Contains(text, yearlyWords[lang]) {
					t.Errorf("rule %s (cadence %q): the %s text %q and %q", rule.ID, rule.Cadence, lang, text, yearlyWords[lang])
				}
			}
		}
	}
}

// TestValidateRefusesBrokenJointControllers: a register with joint
// controllers declares the persons per controller, each complete.
func TestValidateRefusesBrokenJointControllers(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *Register)
	}{
		{"a controller of its own too", func(r *Register) { r.Controller.Name = Text{"fi": "x", "sv": "x", "en": "x"} }},
		{"contacts of its own too", func(r *Register) { r.Contacts = []Person{{Role: Text{"fi": "x"}}} }},
		{"no swedish name", func(r *Register) { r.Controllers[1].Name = Text{"fi": "x", "en": "x"} }},
		{"no contact", func(r *Register) { r.Controllers[2].Contacts = nil }},
		{"no office address", func(r *Register) { r.Controllers[3].Office.Address = " " }},
		{"twice", func(r *Register) { r.Controllers[1].ID = r.Controllers[0].ID }},
		{"undeclared law", func(r *Register) { r.Purposes[0].Laws = []string{"no-such-law"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *MustLoad("library")
			r.Controllers = slices.Clone(r.Controllers)
			r.Purposes = slices.Clone(r.Purposes)
			tc.mutate(&r)
			if err := r.validate(); err == nil {
				t.Error("validate accepted it")
			}
		})
	}
}
