package mail

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

//go:generate go run ./gen

// templatesJSON is every template of templates/*.yaml, the files people
// edit, as `go generate ./internal/mail` (package gen) writes them in JSON,
// committed: load decodes it with encoding/json, so the functions link no
// YAML decoder (gopkg.in/yaml.v3 cost every function's zip some 135 KB).
// Only the JSON is embedded; TestTemplatesJSONIsCurrent fails when it is not
// what the YAML generates now, naming each YAML edited since.
//
//go:embed templates.json
var templatesJSON []byte

const generatedNote = "Generated from templates/*.yaml by `go generate ./internal/mail`: edit those, not this."

// generated is the form of templates.json: each template by name, with the
// SHA-256 of the YAML it was decoded from.
type generated struct {
	Note      string
	Templates map[string]generatedTemplate
}

type generatedTemplate struct {
	Source string
	template
}

// rawTemplates are templates.json's templates by name, each decoded on its
// first load; guarded by cacheMu.
var rawTemplates map[string]json.RawMessage

// decodeTemplate decodes template name from templates.json.
func decodeTemplate(name string) (*template, error) {
	if rawTemplates == nil {
		var g struct {
			Note      string
			Templates map[string]json.RawMessage
		}
		if err := json.Unmarshal(templatesJSON, &g); err != nil {
			return nil, fmt.Errorf("mail template %q: templates.json: %w (run go generate ./internal/mail)", name, err)
		}
		rawTemplates = g.Templates
	}
	js, ok := rawTemplates[name]
	if !ok {
		return nil, fmt.Errorf("mail template %q: not in templates.json (a new templates/%s.yaml needs go generate ./internal/mail)", name, name)
	}
	var g generatedTemplate
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("mail template %q: templates.json: %w (run go generate ./internal/mail)", name, err)
	}
	return &g.template, nil
}

// GenerateJSON returns templates.json, the form load decodes, from sources:
// the bytes of each templates/<name>.yaml by name, decoded by unmarshal
// (yaml.Unmarshal, which package gen passes in: the functions link no YAML
// decoder) and checked as load checks them; written as indented JSON, keys
// in a fixed order, so the same YAML always gives the same bytes.
func GenerateJSON(sources map[string][]byte, unmarshal func([]byte, any) error) ([]byte, error) {
	g := generated{Note: generatedNote, Templates: map[string]generatedTemplate{}}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		raw := sources[name]
		var t template
		if err := unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("mail template %q: %w", name, err)
		}
		if err := t.prepare(name); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		g.Templates[name] = generatedTemplate{Source: hex.EncodeToString(sum[:]), template: t}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(g); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
