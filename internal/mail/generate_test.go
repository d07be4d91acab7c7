package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestTemplatesJSONIsCurrent: the embedded templates.json is what `go
// generate ./internal/mail` writes from templates/*.yaml now, byte for byte:
// a template edited, added or removed without regenerating fails here.
func TestTemplatesJSONIsCurrent(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("templates", "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	sources := map[string][]byte{}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sources[strings.TrimSuffix(filepath.Base(name), ".yaml")] = raw
	}
	want, err := GenerateJSON(sources, yaml.Unmarshal)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(templatesJSON, want) {
		return
	}
	t.Error("templates.json is stale (not what templates/*.yaml generate): run go generate ./internal/mail")
	var g generated
	if err := json.Unmarshal(templatesJSON, &g); err != nil {
		t.Fatalf("templates.json: %v", err)
	}
	for name, raw := range sources {
		sum := sha256.Sum256(raw)
		if got, ok := g.Templates[name]; !ok {
			t.Errorf("templates/%s.yaml is not in templates.json", name)
		} else if got.Source != hex.EncodeToString(sum[:]) {
			t.Errorf("templates/%s.yaml was edited since templates.json was generated", name)
		}
	}
	for name := range g.Templates {
		if _, ok := sources[name]; !ok {
			t.Errorf("templates.json holds %s, which has no templates/%s.yaml", name, name)
		}
	}
}

// TestTemplatesAreTheYAML: each template load decodes from templates.json
// is what its YAML decodes to, field for field.
func TestTemplatesAreTheYAML(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join("templates", "*.yaml"))
	cacheMu.Lock()
	defer cacheMu.Unlock()
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var want template
		if err := yaml.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decodeTemplate(strings.TrimSuffix(filepath.Base(name), ".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: templates.json holds %+v, the YAML %+v", name, *got, want)
		}
	}
}

// TestLoadRefusesWhatTemplatesJSONLacks: a template templates.json does not
// hold, or holds with a field load does not know, is refused with the way
// to regenerate it.
func TestLoadRefusesWhatTemplatesJSONLacks(t *testing.T) {
	if _, err := load("no-such-template"); err == nil || !strings.Contains(err.Error(), "go generate ./internal/mail") {
		t.Errorf("an unknown template: err = %v, want one saying to run go generate ./internal/mail", err)
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if _, err := decodeTemplate("newsletter-confirm"); err != nil {
		t.Fatal(err)
	}
	saved := rawTemplates["newsletter-confirm"]
	defer func() { rawTemplates["newsletter-confirm"] = saved }()
	rawTemplates["newsletter-confirm"] = bytes.Replace(saved, []byte(`"Class":`), []byte(`"Extra": 1, "Class":`), 1)
	if _, err := decodeTemplate("newsletter-confirm"); err == nil {
		t.Error("a template with an unknown field was accepted")
	}
}
