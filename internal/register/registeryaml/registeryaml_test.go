package registeryaml

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"rekisteri/internal/register"
)

// dir holds the declarations, <id>.yaml and the <id>.json generated from it.
const dir = ".."

// TestJSONIsCurrent: each committed <id>.json is what `go generate
// ./internal/register` writes from <id>.yaml now, byte for byte, and no
// .json is left without its YAML.
func TestJSONIsCurrent(t *testing.T) {
	yamls, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(yamls) == 0 {
		t.Fatalf("no declarations: %v", err)
	}
	for _, name := range yamls {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := GenerateJSON(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := strings.TrimSuffix(name, ".yaml") + ".json"
		got, err := os.ReadFile(out)
		if err != nil {
			t.Errorf("%s: %v: run go generate ./internal/register", out, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale (not what %s generates): run go generate ./internal/register", out, name)
		}
	}
	jsons, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, name := range jsons {
		if _, err := os.Stat(strings.TrimSuffix(name, ".json") + ".yaml"); err != nil {
			t.Errorf("%s has no YAML declaration: remove it", name)
		}
	}
}

// TestLoadIsTheYAML: what Load decodes from the JSON is what the YAML
// decodes to, value for value, version included.
func TestLoadIsTheYAML(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, name := range names {
		id := strings.TrimSuffix(filepath.Base(name), ".yaml")
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := register.Load(id)
		if err != nil {
			t.Fatalf("Load(%q): %v", id, err)
		}
		sum := sha256.Sum256(raw)
		if hash := hex.EncodeToString(sum[:6]); got.Version() != hash {
			t.Errorf("%s: Version %q, want the hash of the YAML bytes %q", id, got.Version(), hash)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Load's declaration differs from the YAML's", id)
		}
	}
}

// TestDecodeValidates: a declaration that decodes but breaks the
// register's rules is refused, with validate's error.
func TestDecodeValidates(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(dir, "museum.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(raw, []byte("legalBasis: consent"), []byte("legalBasis: because"), 1)
	if bytes.Equal(broken, raw) {
		t.Fatal("museum.yaml declares no purpose on consent")
	}
	if _, err := Decode(broken); err == nil || !strings.Contains(err.Error(), `unknown legal basis "because"`) {
		t.Errorf("err = %v, want the unknown legal basis", err)
	}
	if _, err := GenerateJSON(broken); err == nil {
		t.Error("GenerateJSON generated a broken declaration")
	}
}

func TestPeriodParse(t *testing.T) {
	tests := []struct {
		in      string
		want    register.Period
		wantErr bool
	}{
		{"7d", register.Period{Days: 7}, false},
		{"30d", register.Period{Days: 30}, false},
		{"12m", register.Period{Months: 12}, false},
		{"3y", register.Period{Years: 3}, false},
		{" 2y ", register.Period{Years: 2}, false},
		{"0d", register.Period{}, true},
		{"-1d", register.Period{}, true},
		{"7w", register.Period{}, true},
		{"7", register.Period{}, true},
		{"d", register.Period{}, true},
		{"x", register.Period{}, true},
		{"", register.Period{}, true},
		{"1.5y", register.Period{}, true},
		{"7D", register.Period{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var got struct {
				Keep register.Period `yaml:"keep"`
			}
			err := unmarshal([]byte("keep: "+quote(tc.in)), &got)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%q parsed as %+v", tc.in, got.Keep)
				}
				if !strings.HasPrefix(err.Error(), "period ") {
					t.Fatalf("%q: err = %v, want the period's own", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
			if got.Keep != tc.want {
				t.Fatalf("%q = %+v, want %+v", tc.in, got.Keep, tc.want)
			}
		})
	}
}

func quote(s string) string { return `"` + s + `"` }

// TestWindowParse: a budget's window is a positive Go duration.
func TestWindowParse(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"1h", time.Hour, false},
		{"10m", 10 * time.Minute, false},
		{" 90s ", 90 * time.Second, false},
		{"0s", 0, true},
		{"-1h", 0, true},
		{"soon", 0, true},
		{"3600", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var got struct {
				Window register.Window `yaml:"window"`
			}
			err := unmarshal([]byte("window: "+quote(tc.in)), &got)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "want a positive duration") {
					t.Fatalf("%q: parsed as %v, err = %v; want the window's error", tc.in, got.Window, err)
				}
				return
			}
			if err != nil || got.Window.Duration != tc.want {
				t.Fatalf("%q = %v, %v; want %v", tc.in, got.Window, err, tc.want)
			}
		})
	}
}

// TestTextRefusesOtherKeys: an unquoted comma in a YAML flow mapping splits
// a text and makes its tail a key; the declaration refuses that instead of
// publishing the text cut short.
func TestTextRefusesOtherKeys(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{`{ fi: "Säilytetään, kunnes peruttu.", sv: Sparas, en: Kept }`, false},
		{`{ fi: Säilytetään, kunnes peruttu., sv: Sparas, en: Kept }`, true},
		{`{ fi: Viestit (vastaanottaja, aihe), sv: x, en: y }`, true},
		{`{ fi: a, de: b }`, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var got struct {
				Text register.Text `yaml:"text"`
			}
			err := unmarshal([]byte("text: "+tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v (got %q)", err, tc.wantErr, got.Text)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "line 1: text in no language: ") {
				t.Fatalf("err = %v, want the line and the text in no language", err)
			}
		})
	}
	// The error names the first key in no language as written.
	var got struct {
		Text register.Text `yaml:"text"`
	}
	err := unmarshal([]byte("text:\n  fi: a\n  xx: b\n  de: c\n"), &got)
	if want := `line 2: text in no language: "xx" (quote a text with a comma)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestUnknownFieldsRefused: a key the register types do not declare is
// refused where it stands, in an inline struct's fields too, with yaml.v3's
// KnownFields error; so is a key given twice.
func TestUnknownFieldsRefused(t *testing.T) {
	tests := []struct{ in, want string }{
		{"id: museum\nnmae: {fi: a}\n", "line 2: field nmae not found in type register.Register"},
		{"ID: museum\n", "line 1: field ID not found in type register.Register"},
		{"bounces: {softInARow: 3, hardInARow: 1}\n", "line 1: field hardInARow not found in type register.Bounces"},
		{"laws: [{id: a, nmae: {fi: b}}]\n", "line 1: field nmae not found in type register.Named"},
		{"records:\n  - kind: a\n    erasure: {keep: x}\n", "line 3: field keep not found in type register.Erasure"},
		{"id: a\nid: b\n", `line 2: mapping key "id" already defined at line 1`},
		{"bounces: [3]\n", "line 1: cannot unmarshal !!seq into register.Bounces"},
		{"lists: [{public: maybe}]\n", "line 1: cannot unmarshal !!str `maybe` into bool"},
	}
	for _, tc := range tests {
		var r register.Register
		err := unmarshal([]byte(tc.in), &r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// plainDoc is a document of types with no Text, Window or Period, which
// yaml.v3 decodes alone.
type plainDoc struct {
	Name   string            `yaml:"name"`
	Count  int               `yaml:"count"`
	On     *bool             `yaml:"on"`
	Tags   []string          `yaml:"tags"`
	Set    map[string]string `yaml:"set"`
	Items  []plainItem       `yaml:"items"`
	Ptrs   []*plainItem      `yaml:"ptrs"`
	One    *plainItem        `yaml:"one"`
	Nested struct {
		Item plainItem `yaml:"item"`
	} `yaml:"nested"`
	NoTag      string
	plainExtra `yaml:",inline"`
}

type plainItem struct {
	ID   string   `yaml:"id"`
	Vals []string `yaml:"vals"`
}

type plainExtra struct {
	Extra string     `yaml:"extra"`
	Deep  *plainItem `yaml:"deep"`
}

// TestDecodesAsYAMLv3: on types yaml.v3 decodes alone, the walk decodes
// what a yaml.v3 Decoder with KnownFields decodes, and refuses what it
// refuses with the same error: so the declaration's YAML means what it did
// when the register types were decoded by yaml.v3 itself.
func TestDecodesAsYAMLv3(t *testing.T) {
	docs := []string{
		"name: a\ncount: 3\non: true\ntags: [x, y]\nset: {a: b}\n",
		"items:\n  - id: a\n    vals: [1, 2]\n  - id: b\n",
		"items: [~, {id: a}, null]\nptrs: [~, {id: b}]\ntags: [a, ~, b]\n",
		"items: []\ntags: []\nset: {}\n",
		"items: ~\ntags: ~\nset: ~\none: ~\non: ~\nname: ~\n",
		"one: {id: x}\nnested: {item: {id: y, vals: [z]}}\n",
		"notag: q\nextra: e\ndeep: {id: d}\n",
		"NoTag: q\n",
		"name: 12\ncount: '3'\n",
		"count: x\n",
		"count: 1.5\nname: [a]\n",
		"items: {id: a}\n",
		"nested: {item: [a]}\n",
		"one: 3\n",
		"unknown: 1\nitems: [{id: a, what: b}]\nnested: {other: 1}\n",
		"name: a\nname: b\n",
		"items: [{id: a, id: b}]\n",
		"set: {a: 1, a: 2}\n",
		"deep: {id: a}\ndeep: {id: b}\n",
		"base: &b {id: a, vals: [v]}\n",
		"items: [&b {id: a, vals: [v]}, *b]\none: *b\n",
		"items:\n  - &b {id: a, vals: [v]}\n  - <<: *b\n    id: c\n",
		"items:\n  - &b {id: a}\n  - &c {vals: [w], id: z}\n  - <<: [*b, *c]\n",
		"items:\n  - &b {id: a}\n  - <<: *b\n    <<: {vals: [x]}\n",
		"items:\n  - &b {id: a}\n  - {<<: *b, id: a2, extra: 1}\n",
		"items:\n  - <<: {id: a, nope: 1}\n",
		"items:\n  - <<: [a]\n",
		"items:\n  - <<: 3\n",
		"tags: &t [a, b]\nitems: [{vals: *t}]\n",
		"name: &n x\nset: {*n : y}\n",
		"~: 1\nname: a\n",
		"[a]: 1\n",
		"- a\n",
		"just a string\n",
		"",
		"# only a comment\n",
		"name: a\n---\nname: b\n",
		"name: 'a\n",
		"name: !!binary aGVsbG8=\n",
		"on: yes\n",
		"items: [[a]]\n",
	}
	for _, doc := range docs {
		var want, got plainDoc
		dec := yaml.NewDecoder(strings.NewReader(doc))
		dec.KnownFields(true)
		wantErr := dec.Decode(&want)
		gotErr := unmarshal([]byte(doc), &got)
		if errString(gotErr) != errString(wantErr) {
			t.Errorf("%q: err = %v, yaml.v3's %v", doc, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: decoded %+v, yaml.v3 %+v", doc, got, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestEveryTypeDecodes: every type the declaration holds is one the walk
// decodes, so a new field cannot fail only once a declaration uses it.
func TestEveryTypeDecodes(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(t reflect.Type, path string) error
	check = func(rt reflect.Type, path string) error {
		if seen[rt] {
			return nil
		}
		seen[rt] = true
		switch {
		case rt == textType || rt == windowType || rt == periodType || plain(rt):
			return nil
		}
		switch rt.Kind() {
		case reflect.Pointer, reflect.Slice:
			return check(rt.Elem(), path+"[]")
		case reflect.Struct:
			if _, err := fieldsOf(rt); err != nil {
				return err
			}
			for i := range rt.NumField() {
				if f := rt.Field(i); f.IsExported() {
					if err := check(f.Type, path+"."+f.Name); err != nil {
						return err
					}
				}
			}
			return nil
		}
		t.Errorf("%s: %s is not a type registeryaml decodes", path, rt)
		return nil
	}
	if err := check(reflect.TypeFor[register.Register](), "Register"); err != nil {
		t.Fatal(err)
	}
}
