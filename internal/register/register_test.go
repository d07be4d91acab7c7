package register

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMuseumLoads(t *testing.T) {
	r, err := Load("museum")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if r.ID != "museum" || len(r.Lists) == 0 || len(r.Purposes) == 0 || len(r.Records) == 0 {
		t.Fatalf("declaration is thin: id %q, %d lists, %d purposes, %d records", r.ID, len(r.Lists), len(r.Purposes), len(r.Records))
	}
	if len(r.Version()) != 12 {
		t.Fatalf("Version = %q, want 12 hex digits", r.Version())
	}
	again := MustLoad("museum")
	if again.Version() != r.Version() {
		t.Fatalf("Version is not stable: %q then %q", r.Version(), again.Version())
	}
	for _, lang := range Languages {
		if strings.TrimSpace(r.Name.In(lang)) == "" || strings.TrimSpace(r.Controller.Name.In(lang)) == "" {
			t.Errorf("register or controller name lacks %s", lang)
		}
	}
	if _, err := Load("no-such-register"); err == nil {
		t.Fatal("Load of an undeclared register succeeded")
	}
}

func TestMustLoadPanicsOnUnknown(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustLoad did not panic")
		}
	}()
	MustLoad("no-such-register")
}

func TestListsConsentTexts(t *testing.T) {
	r := MustLoad("museum")
	wantLists := []string{"newsletter", "openings"}
	for _, id := range wantLists {
		if _, ok := r.List(id); !ok {
			t.Errorf("list %s is not declared", id)
		}
	}
	if _, ok := r.List("spam"); ok {
		t.Error("List found an undeclared list")
	}
	versions := map[string]string{} // version → list/lang
	for _, l := range r.Lists {
		p, ok := r.Purpose(l.Purpose)
		if !ok {
			t.Errorf("list %s: purpose %q undeclared", l.ID, l.Purpose)
		} else if p.LegalBasis != "consent" && l.IsPublic() {
			t.Errorf("list %s: legal basis %q, a list on the public form needs consent", l.ID, p.LegalBasis)
		}
		for _, lang := range Languages {
			if strings.TrimSpace(l.Consent[lang]) == "" {
				t.Errorf("list %s has no %s consent text", l.ID, lang)
			}
			if strings.TrimSpace(l.Name[lang]) == "" {
				t.Errorf("list %s has no %s name", l.ID, lang)
			}
			v := l.ConsentVersion(lang)
			if len(v) != 12 || strings.Trim(v, "0123456789abcdef") != "" {
				t.Errorf("list %s %s: ConsentVersion %q is not 12 hex digits", l.ID, lang, v)
			}
			if v != MustLoad("museum").Lists[indexOf(r.Lists, l.ID)].ConsentVersion(lang) || v != l.ConsentVersion(lang) {
				t.Errorf("list %s %s: ConsentVersion is not stable", l.ID, lang)
			}
			if other, dup := versions[v]; dup {
				t.Errorf("list %s %s has the same ConsentVersion as %s", l.ID, lang, other)
			}
			versions[v] = l.ID + "/" + lang
		}
		// An unknown language gets the Finnish text, and its version.
		if l.ConsentVersion("de") != l.ConsentVersion("fi") || l.Consent.In("de") != l.Consent["fi"] {
			t.Errorf("list %s: unknown language does not fall back to Finnish", l.ID)
		}
	}
}

func indexOf(lists []List, id string) int {
	for i, l := range lists {
		if l.ID == id {
			return i
		}
	}
	return -1
}

func TestConsentVersionFollowsTheText(t *testing.T) {
	a := List{Consent: Text{"fi": "Haluan uutiskirjeen.", "sv": "Jag vill ha nyhetsbrevet.", "en": "I want the newsletter."}}
	b := List{Consent: Text{"fi": "Haluan uutiskirjeen!", "sv": "Jag vill ha nyhetsbrevet.", "en": "I want the newsletter."}}
	if a.ConsentVersion("fi") == b.ConsentVersion("fi") {
		t.Error("a changed Finnish text kept its version")
	}
	if a.ConsentVersion("sv") != b.ConsentVersion("sv") {
		t.Error("an unchanged Swedish text changed its version")
	}
}

func TestPeriodFrom(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 10, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		p    Period
		from time.Time
		want time.Time
	}{
		{"7d within a month", Period{Days: 7}, d(2026, 3, 1), d(2026, 3, 8)},
		{"7d across a month end", Period{Days: 7}, d(2026, 1, 28), d(2026, 2, 4)},
		{"7d across a year end", Period{Days: 7}, d(2026, 12, 29), d(2027, 1, 5)},
		{"30d across February", Period{Days: 30}, d(2026, 2, 1), d(2026, 3, 3)},
		{"30d across leap February", Period{Days: 30}, d(2028, 2, 1), d(2028, 3, 2)},
		{"1m from Jan 31 normalises past February", Period{Months: 1}, d(2026, 1, 31), d(2026, 3, 3)},
		{"12m", Period{Months: 12}, d(2026, 5, 15), d(2027, 5, 15)},
		{"3y", Period{Years: 3}, d(2026, 6, 30), d(2029, 6, 30)},
		{"3y from leap day", Period{Years: 3}, d(2028, 2, 29), d(2031, 3, 1)},
		{"zero", Period{}, d(2026, 6, 30), d(2026, 6, 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.From(tc.from); !got.Equal(tc.want) {
				t.Fatalf("From(%s) = %s, want %s", tc.from.Format(time.DateOnly), got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
			}
		})
	}
}

func TestRetentionUsedByTheCode(t *testing.T) {
	r := MustLoad("museum")
	tests := []struct {
		kind, when string
		keep       Period
	}{
		{"subscription", "pending", Period{Days: 7}},
		{"subscription", "unsubscribed", Period{Days: 30}},
		{"consent", "unconfirmed", Period{Days: 7}},
		{"consent", "withdrawn", Period{Years: 3}},
		{"mail", "any", Period{Days: 30}},
		{"audit", "any", Period{Years: 2}},
		{"signup-request", "any", Period{Days: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.when, func(t *testing.T) {
			rule := r.Retention(tc.kind, tc.when)
			if rule.Keep != tc.keep {
				t.Errorf("keep = %+v, want %+v", rule.Keep, tc.keep)
			}
			if rule.Action != "delete" {
				t.Errorf("action = %q, want delete", rule.Action)
			}
			rk, _ := r.Record(tc.kind)
			for _, attr := range []string{"expiresAt", "expiryBucket", "purgeAt", rule.After} {
				if !contains(rk.Attributes, attr) {
					t.Errorf("record %s does not declare attribute %q", tc.kind, attr)
				}
			}
			for _, lang := range Languages {
				if strings.TrimSpace(rule.Text[lang]) == "" {
					t.Errorf("rule %s has no %s text", rule.ID, lang)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRetentionPanicsWhenUndeclared(t *testing.T) {
	r := MustLoad("museum")
	tests := []struct{ kind, when string }{
		{"subscription", "deleted"},
		{"subscription", ""},
		{"no-such-kind", "any"},
		{"consent", "any"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.when, func(t *testing.T) {
			defer func() {
				v := recover()
				if v == nil {
					t.Fatal("Retention did not panic")
				}
				if msg, _ := v.(string); !strings.Contains(msg, tc.kind) {
					t.Fatalf("panic %v does not name the kind", v)
				}
			}()
			r.Retention(tc.kind, tc.when)
		})
	}
}

func TestRecordsWellFormed(t *testing.T) {
	r := MustLoad("museum")
	seen := map[string]bool{}
	for _, k := range r.Records {
		if seen[k.Kind] {
			t.Errorf("record kind %s declared twice", k.Kind)
		}
		seen[k.Kind] = true
		whens := map[string]bool{}
		for _, rule := range k.Retention {
			if whens[rule.When] {
				t.Errorf("record %s: two rules for state %s", k.Kind, rule.When)
			}
			whens[rule.When] = true
		}
	}
}

func TestValidateRefusesBrokenDeclarations(t *testing.T) {
	base := func() *Register {
		r := *MustLoad("museum")
		r.Purposes = append([]Purpose(nil), r.Purposes...)
		r.Lists = append([]List(nil), r.Lists...)
		r.Records = append([]RecordKind(nil), r.Records...)
		r.Logs = append([]Log(nil), r.Logs...)
		return &r
	}
	tests := []struct {
		name   string
		mutate func(r *Register)
	}{
		{"unknown legal basis", func(r *Register) { r.Purposes[0].LegalBasis = "because" }},
		{"undeclared data category", func(r *Register) {
			r.Purposes[0].DataCategories = append([]string{"shoe-size"}, r.Purposes[0].DataCategories...)
		}},
		{"list with undeclared purpose", func(r *Register) { r.Lists[0].Purpose = "nope" }},
		{"consent text missing a language", func(r *Register) { r.Lists[0].Consent = Text{"fi": "x", "sv": "y"} }},
		{"record without retention", func(r *Register) { r.Records[0].Retention = nil }},
		{"rule counting from an undeclared attribute", func(r *Register) {
			rules := append([]Rule(nil), r.Records[0].Retention...)
			rules[0].After = "bornAt"
			r.Records[0].Retention = rules
		}},
		{"log kept forever", func(r *Register) { r.Logs[0].Keep = Period{} }},
		{"log contents missing a language", func(r *Register) { r.Logs[0].Holds = Text{"fi": "x", "en": "y"} }},
		{"log retention text missing a language", func(r *Register) { r.Logs[0].Text = Text{"fi": "x", "sv": "y"} }},
		// What the record of processing activities (Art. 30(1)) needs.
		{"purpose without categories of data subjects", func(r *Register) { r.Purposes[1].DataSubjects = nil }},
		{"undeclared category of data subjects", func(r *Register) {
			r.Purposes[0].DataSubjects = append([]string{"aliens"}, r.Purposes[0].DataSubjects...)
		}},
		{"category of data subjects missing a language", func(r *Register) {
			r.DataSubjects = append([]Named(nil), r.DataSubjects...)
			r.DataSubjects[0].Name = Text{"fi": "x", "en": "y"}
		}},
		{"recipient neither processor nor recipient", func(r *Register) {
			r.Recipients = append([]Recipient(nil), r.Recipients...)
			r.Recipients[0].Role = "friend"
		}},
		{"recipient name missing a language", func(r *Register) {
			r.Recipients = append([]Recipient(nil), r.Recipients...)
			r.Recipients[0].Name = Text{"fi": "x", "sv": "y"}
		}},
		{"no security measures", func(r *Register) { r.SecurityMeasures = nil }},
		{"lists without a soft-bounce limit", func(r *Register) { r.Bounces.SoftInARow = 0 }},
		{"a negative soft-bounce limit", func(r *Register) { r.Bounces.SoftInARow = -1 }},
		{"security measure missing a language", func(r *Register) {
			r.SecurityMeasures = append([]Measure(nil), r.SecurityMeasures...)
			r.SecurityMeasures[0].Text = Text{"sv": "x", "en": "y"}
		}},
	}
	if err := base().validate(); err != nil {
		t.Fatalf("the real declaration fails validation: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.mutate(r)
			if err := r.validate(); err == nil {
				t.Fatal("validate accepted it")
			}
		})
	}
}

// TestLogsDeclared: the functions' logs are declared, and each retention
// text states the period the declaration (and template.yaml) keeps them.
func TestLogsDeclared(t *testing.T) {
	r := MustLoad("museum")
	l, ok := r.Log("function-logs")
	if !ok {
		t.Fatal("function-logs not declared")
	}
	if _, ok := r.Log("no-such-log"); ok {
		t.Error("Log found an undeclared log")
	}
	for _, l := range r.Logs {
		n := strconv.Itoa(l.Keep.Days + l.Keep.Months + l.Keep.Years)
		for _, lang := range Languages {
			if !strings.Contains(l.Text[lang], n) {
				t.Errorf("log %s: the %s text %q does not state its period (%s)", l.ID, lang, l.Text[lang], n)
			}
		}
	}
	if l.Keep.IsZero() {
		t.Error("function logs kept forever")
	}
}

// TestRecordOfProcessingDeclared: every purpose declares what Art. 30(1)
// asks of it — a legal basis with its article, categories of data subjects,
// of data and of recipients — and the register declares its security
// measures, each in every language.
func TestRecordOfProcessingDeclared(t *testing.T) {
	r := MustLoad("museum")
	for _, p := range r.Purposes {
		t.Run(p.ID, func(t *testing.T) {
			if LegalBases[p.LegalBasis] == "" {
				t.Errorf("legal basis %q has no GDPR article", p.LegalBasis)
			}
			if len(p.DataSubjects) == 0 || len(p.DataCategories) == 0 || len(p.Recipients) == 0 {
				t.Errorf("data subjects %v, data categories %v, recipients %v: Art. 30(1)(c)-(d) needs each", p.DataSubjects, p.DataCategories, p.Recipients)
			}
			for _, id := range p.DataSubjects {
				i := slices.IndexFunc(r.DataSubjects, func(n Named) bool { return n.ID == id })
				if i < 0 {
					t.Errorf("undeclared category of data subjects %q", id)
					continue
				}
				for _, lang := range Languages {
					if strings.TrimSpace(r.DataSubjects[i].Name[lang]) == "" {
						t.Errorf("category %s has no %s name", id, lang)
					}
				}
			}
		})
	}
	if len(r.SecurityMeasures) == 0 {
		t.Error("no security measures declared")
	}
	for _, x := range r.Recipients {
		if x.Role != "processor" && x.Role != "recipient" {
			t.Errorf("recipient %s: role %q", x.ID, x.Role)
		}
	}
}

// periodWords are the unit words a retention text uses for days, months
// and years in each language.
var periodWords = map[string][3]string{
	"fi": {"vuorokau", "kuukau", "vuo"},
	"sv": {"dygn", "månad", "år"},
	"en": {"day", "month", "year"},
}

// TestRetentionTextsStateTheirPeriod: the text the notice and the record of
// processing print for a rule (or a log) states the period the sweep keeps
// — its number and unit in every language — so the notice cannot promise
// another period than the rule runs.
func TestRetentionTextsStateTheirPeriod(t *testing.T) {
	r := MustLoad("museum")
	check := func(id string, keep Period, text Text) {
		if keep.IsZero() {
			return
		}
		for _, lang := range Languages {
			n, unit := keep.Days, periodWords[lang][0]
			if keep.Months > 0 {
				n, unit = keep.Months, periodWords[lang][1]
			} else if keep.Years > 0 {
				n, unit = keep.Years, periodWords[lang][2]
			}
			re := regexp.MustCompile(`(^|\D)` + strconv.Itoa(n) + `\s+` + unit)
			if !re.MatchString(text[lang]) {
				t.Errorf("%s: the %s text %q does not state %d %s…", id, lang, text[lang], n, unit)
			}
		}
	}
	for _, k := range r.Records {
		for _, rule := range k.Retention {
			check("rule "+rule.ID, rule.Keep, rule.Text)
		}
	}
	for _, l := range r.Logs {
		check("log "+l.ID, l.Keep, l.Text)
	}
}

// TestConsentTextsPromiseOnlyDeclaredPeriods: a period a consent text
// promises ("deleted within 7 days") is the period of a declared rule of
// the records the signup makes.
func TestConsentTextsPromiseOnlyDeclaredPeriods(t *testing.T) {
	r := MustLoad("museum")
	claim := regexp.MustCompile(`(\d+)\s+(\pL+)`)
	for _, l := range r.Lists {
		for _, lang := range Languages {
			for _, m := range claim.FindAllStringSubmatch(l.Consent[lang], -1) {
				n, _ := strconv.Atoi(m[1])
				words := periodWords[lang]
				unit := slices.IndexFunc(words[:], func(w string) bool { return strings.HasPrefix(m[2], w) })
				if unit < 0 {
					continue
				}
				want := [3]Period{{Days: n}, {Months: n}, {Years: n}}[unit]
				declared := false
				for _, kind := range []string{"subscription", "consent", "signup-request"} {
					rk, _ := r.Record(kind)
					declared = declared || slices.ContainsFunc(rk.Retention, func(rule Rule) bool { return rule.Keep == want })
				}
				if !declared {
					t.Errorf("list %s: the %s consent text promises %q, which no rule of its records keeps", l.ID, lang, m[0])
				}
			}
		}
	}
}

func TestRuleDueByCadence(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		cadence, end, want string
	}{
		{"", "2026-03-04T10:30:00Z", "2026-03-04T10:30:00Z"},
		{Daily, "2026-03-04T10:30:00Z", "2026-03-04T10:30:00Z"},
		{Weekly, "2026-03-04T10:30:00Z", "2026-03-09T00:00:00Z"}, // a Wednesday → the next Monday
		{Weekly, "2026-03-09T00:00:00Z", "2026-03-09T00:00:00Z"}, // a Monday midnight is itself
		{Weekly, "2026-03-09T00:00:01Z", "2026-03-16T00:00:00Z"},
		{Weekly, "2026-03-08T23:59:59+02:00", "2026-03-09T00:00:00Z"},
		{Yearly, "2026-03-04T10:30:00Z", "2027-01-01T00:00:00Z"},
		{Yearly, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{Yearly, "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
	}
	for _, tc := range cases {
		got := Rule{Cadence: tc.cadence}.Due(at(tc.end))
		if !got.Equal(at(tc.want)) {
			t.Errorf("%q cadence, period ending %s: due %s, want %s", tc.cadence, tc.end, got.Format(time.RFC3339), tc.want)
		}
	}
}
