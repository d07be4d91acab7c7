package register

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestJSONIsCurrent: each committed <id>.json is what `go generate
// ./internal/register` writes from <id>.yaml now, byte for byte, and no
// .json is left without its YAML.
func TestJSONIsCurrent(t *testing.T) {
	yamls, err := filepath.Glob("*.yaml")
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
	jsons, _ := filepath.Glob("*.json")
	for _, name := range jsons {
		if _, err := os.Stat(strings.TrimSuffix(name, ".json") + ".yaml"); err != nil {
			t.Errorf("%s has no YAML declaration: remove it", name)
		}
	}
}

// TestLoadIsTheYAML: what Load decodes from the JSON is what the YAML
// decodes to, value for value, version included.
func TestLoadIsTheYAML(t *testing.T) {
	names, _ := filepath.Glob("*.yaml")
	for _, name := range names {
		id := strings.TrimSuffix(name, ".yaml")
		raw, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeYAML(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := Load(id)
		if err != nil {
			t.Fatalf("Load(%q): %v", id, err)
		}
		if got.Version() != shortHash(string(raw)) {
			t.Errorf("%s: Version %q, want the hash of the YAML bytes %q", id, got.Version(), shortHash(string(raw)))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Load's declaration differs from the YAML's", id)
		}
	}
}

// TestLoadRefusesJSONOfOtherYAML: a .json generated from other YAML bytes
// than those embedded is refused, not served with the YAML's version.
func TestLoadRefusesJSONOfOtherYAML(t *testing.T) {
	raw, err := files.ReadFile("museum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := files.ReadFile("museum.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeJSON("museum", raw, js); err != nil {
		t.Fatalf("the embedded pair: %v", err)
	}
	edited := append(append([]byte(nil), raw...), "# edited\n"...)
	if _, err := decodeJSON("museum", edited, js); err == nil || !strings.Contains(err.Error(), "go generate ./internal/register") {
		t.Errorf("JSON of other YAML: err = %v, want one saying to run go generate ./internal/register", err)
	}
	unknown := bytes.Replace(js, []byte(`"Register": {`), []byte(`"Register": {"Extra": 1,`), 1)
	if _, err := decodeJSON("museum", raw, unknown); err == nil {
		t.Error("JSON with an unknown field was accepted")
	}
}

func TestPeriodAndWindowJSON(t *testing.T) {
	for _, p := range []Period{{}, {Days: 7}, {Months: 12}, {Years: 3}} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", p, err)
		}
		var got Period
		if err := json.Unmarshal(b, &got); err != nil || got != p {
			t.Errorf("%+v → %s → %+v, %v", p, b, got, err)
		}
	}
	if b, err := json.Marshal(Period{Years: 1, Days: 2}); err == nil {
		t.Errorf("Marshal of a mixed period = %s, want an error", b)
	}
	for _, in := range []string{`"0d"`, `"7w"`, `"d"`, `7`} {
		var p Period
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, p)
		}
	}
	for _, w := range []Window{{}, {time.Hour}, {10 * time.Minute}, {90 * time.Second}} {
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", w, err)
		}
		var got Window
		if err := json.Unmarshal(b, &got); err != nil || got != w {
			t.Errorf("%v → %s → %v, %v", w, b, got, err)
		}
	}
	for _, in := range []string{`"-1h"`, `"0s"`, `"soon"`, `3600`} {
		var w Window
		if err := json.Unmarshal([]byte(in), &w); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, w)
		}
	}
}
