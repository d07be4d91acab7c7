package register

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

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
