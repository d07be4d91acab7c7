package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"rekisteri/internal/notice"
	"rekisteri/internal/register"
)

// ropaOut runs `staff ropa args…` through the tool's entry point.
func ropaOut(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"ropa"}, args...), &out); err != nil {
		t.Fatalf("ropa %v: %v", args, err)
	}
	return out.String()
}

// rawPeriod is a period as the declaration writes it ("7d"), which a DPO
// should never have to read.
var rawPeriod = regexp.MustCompile(`^\d+[dmy]$`)

// declared is what Art. 30(1) asks of the declaration, in lang: every
// string the record must contain.
func declared(reg *register.Register, lang string) []string {
	want := []string{reg.Controller.Name.In(lang), reg.Controller.Address, reg.Controller.Phone, reg.Responsible.Name,
		reg.DPO.Email, reg.Transfers.In(lang), reg.Security.In(lang)}
	for _, c := range reg.Contacts {
		want = append(want, c.Name, c.Role.In(lang))
	}
	for _, m := range reg.SecurityMeasures {
		want = append(want, m.Text.In(lang))
	}
	named := func(list []register.Named, ids []string) {
		for _, id := range ids {
			i := slices.IndexFunc(list, func(n register.Named) bool { return n.ID == id })
			want = append(want, list[i].Name.In(lang))
		}
	}
	for _, p := range reg.Purposes {
		want = append(want, p.ID, p.Name.In(lang), "6(1)", register.LegalBases[p.LegalBasis], notice.LegalBasis(p.LegalBasis).In(lang))
		named(reg.DataSubjects, p.DataSubjects)
		named(reg.DataCategories, p.DataCategories)
		for _, id := range p.Recipients {
			i := slices.IndexFunc(reg.Recipients, func(x register.Recipient) bool { return x.ID == id })
			want = append(want, reg.Recipients[i].Name.In(lang))
		}
	}
	for _, k := range reg.Records {
		want = append(want, k.Kind, k.Table)
		for _, rule := range k.Retention {
			want = append(want, rule.ID, rule.Text.In(lang))
			if !rule.Keep.IsZero() {
				want = append(want, rule.After)
			}
		}
	}
	for _, l := range reg.Logs {
		want = append(want, l.ID, l.Holds.In(lang), l.Text.In(lang))
	}
	return want
}

// TestRopaListsTheDeclaration: in both formats and every language, the
// record names the controller, contacts and DPO, every purpose with its
// legal basis and article, its data subjects, data and recipients, the
// transfers, every record kind and retention rule (and log) with its text,
// and the security measures.
func TestRopaListsTheDeclaration(t *testing.T) {
	reg := register.MustLoad("museum")
	for _, format := range []string{"md", "csv"} {
		for _, lang := range register.Languages {
			t.Run(format+"/"+lang, func(t *testing.T) {
				out := ropaOut(t, "-format", format, "-lang", lang)
				for _, w := range declared(reg, lang) {
					if !strings.Contains(out, w) {
						t.Errorf("the %s record in %s does not say %q", format, lang, w)
					}
				}
			})
		}
	}
	if def, fi := ropaOut(t), ropaOut(t, "-format", "md", "-lang", "fi", "-register", "museum"); def != fi {
		t.Error("the default is not the Finnish markdown of the museum")
	}
}

// TestRopaCSVRows: the CSV has one row per purpose × record kind ×
// retention rule, exactly, plus one per rule of a kind serving no purpose
// and one per log; each row's erasure columns are the rule's, in words.
func TestRopaCSVRows(t *testing.T) {
	reg := register.MustLoad("museum")
	type key struct{ purpose, kind, rule string }
	want := map[key]register.Rule{}
	for _, k := range reg.Records {
		purposes := k.Purposes
		if len(purposes) == 0 {
			purposes = []string{""}
		}
		for _, p := range purposes {
			for _, rule := range k.Retention {
				want[key{p, k.Kind, rule.ID}] = rule
			}
		}
	}
	for _, l := range reg.Logs {
		want[key{"", l.ID, l.ID}] = register.Rule{ID: l.ID, Keep: l.Keep, Text: l.Text}
	}
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			rows, err := csv.NewReader(strings.NewReader(ropaOut(t, "-format", "csv", "-lang", lang))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			c := func(row []string, word string) string { return row[col[ropaWords[word].In(lang)]] }
			got := map[key]bool{}
			for _, row := range rows[1:] {
				k := key{c(row, "purposeId"), c(row, "kind"), c(row, "rule")}
				rule, ok := want[k]
				if !ok || got[k] {
					t.Errorf("row %v: not a declared purpose × kind × rule, or twice", k)
					continue
				}
				got[k] = true
				if !strings.Contains(c(row, "text"), rule.Text.In(lang)) {
					t.Errorf("row %v: text %q, want %q", k, c(row, "text"), rule.Text.In(lang))
				}
				keep := c(row, "keep")
				if rawPeriod.MatchString(keep) || (!rule.Keep.IsZero() && !strings.Contains(keep, strconv.Itoa(rule.Keep.Days+rule.Keep.Months+rule.Keep.Years))) {
					t.Errorf("row %v: kept for %q, want %+v in words", k, keep, rule.Keep)
				}
				if p, ok := reg.Purpose(k.purpose); ok {
					if c(row, "article") != register.LegalBases[p.LegalBasis] || c(row, "basis") != notice.LegalBasis(p.LegalBasis).In(lang) {
						t.Errorf("row %v: legal basis %q %q", k, c(row, "basis"), c(row, "article"))
					}
				}
				if c(row, "dpo") != reg.DPO.Email {
					t.Errorf("row %v: DPO %q", k, c(row, "dpo"))
				}
			}
			if len(got) != len(want) {
				for k := range want {
					if !got[k] {
						t.Errorf("no row for %v", k)
					}
				}
			}
		})
	}
}

// TestRopaNeutralisesFormulas: a declaration text that would start a
// spreadsheet formula reaches the CSV as text.
func TestRopaNeutralisesFormulas(t *testing.T) {
	const evil = `=HYPERLINK("https://evil.example/","x")`
	defer func(orig func(string) (*register.Register, error)) { loadRegister = orig }(loadRegister)
	loadRegister = func(id string) (*register.Register, error) {
		r, err := register.Load(id)
		if err != nil {
			return nil, err
		}
		r.Purposes[0].Name = register.Text{"fi": evil}
		r.Records[0].Retention[0].Text = register.Text{"fi": "+" + evil}
		r.DPO.Email = "@" + evil
		return r, nil
	}
	rows, err := csv.NewReader(strings.NewReader(ropaOut(t, "-format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, row := range rows {
		for j, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("row %d cell %d starts a formula: %q", i, j, c)
			}
			seen[c] = true
		}
	}
	for _, w := range []string{"'" + evil, "'+" + evil, "'@" + evil} {
		if !seen[w] {
			t.Errorf("no cell %q: the value is lost or not neutralised", w)
		}
	}
}

// TestRopaFile: -o writes a new file only its owner can read, the same
// record as stdout, and never overwrites one.
func TestRopaFile(t *testing.T) {
	for _, format := range []string{"md", "csv"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ropa."+format)
			msg := ropaOut(t, "-format", format, "-lang", "sv", "-o", path)
			if !strings.Contains(msg, path) {
				t.Errorf("stdout %q does not say where the record went", msg)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != ropaOut(t, "-format", format, "-lang", "sv") {
				t.Error("the file differs from what stdout gets")
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", info.Mode().Perm())
			}
			if err := run(context.Background(), []string{"ropa", "-format", format, "-o", path}, &bytes.Buffer{}); err == nil {
				t.Error("ropa overwrote an existing file")
			}
		})
	}
}

func TestRopaRefusesBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown format", []string{"-format", "pdf"}},
		{"unknown language", []string{"-lang", "de"}},
		{"unknown register", []string{"-register", "zoo"}},
		{"stray argument", []string{"museum"}},
		{"unknown flag", []string{"-local"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), append([]string{"ropa"}, tc.args...), &out); err == nil {
				t.Fatalf("ropa %v succeeded:\n%s", tc.args, out.String())
			}
		})
	}
}
