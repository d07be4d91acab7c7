package local

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is the part of template.yaml the local stack needs: parameters,
// the functions' global environment, and the resources. Intrinsic functions
// stay as values (Ref, GetAtt, Sub) until a Stack resolves them.
type Template struct {
	Parameters map[string]string // name → default
	GlobalEnv  map[string]any
	Resources  map[string]Resource
}

// Resource is one resource of the template.
type Resource struct {
	Type       string
	Properties map[string]any
}

// Ref, GetAtt and Sub are the intrinsics the template uses in values the
// local stack reads.
type (
	Ref    struct{ Name string }
	GetAtt struct{ Resource, Attribute string }
	Sub    struct{ Format string }
)

// ReadTemplate parses template.yaml.
func ReadTemplate(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	doc, err := toValue(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	top, _ := doc.(map[string]any)
	t := &Template{Parameters: map[string]string{}, GlobalEnv: map[string]any{}, Resources: map[string]Resource{}}
	for name, p := range asMap(top["Parameters"]) {
		if d, ok := asMap(p)["Default"].(string); ok {
			t.Parameters[name] = d
		}
	}
	t.GlobalEnv = asMap(asMap(asMap(asMap(top["Globals"])["Function"])["Environment"])["Variables"])
	for name, r := range asMap(top["Resources"]) {
		rm := asMap(r)
		typ, _ := rm["Type"].(string)
		t.Resources[name] = Resource{Type: typ, Properties: asMap(rm["Properties"])}
	}
	return t, nil
}

// Names returns the logical ids of resources of type typ, sorted.
func (t *Template) Names(typ string) []string {
	var out []string
	for name, r := range t.Resources {
		if r.Type == typ {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// toValue turns a YAML node into plain values, keeping the intrinsics this
// project uses as typed values and ignoring the others (Rules, conditions).
func toValue(n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!Ref":
		return Ref{Name: n.Value}, nil
	case "!GetAtt":
		res, attr, ok := strings.Cut(n.Value, ".")
		if !ok {
			return nil, fmt.Errorf("line %d: !GetAtt %q", n.Line, n.Value)
		}
		return GetAtt{Resource: res, Attribute: attr}, nil
	case "!Sub":
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: only the short form of !Sub is supported", n.Line)
		}
		return Sub{Format: n.Value}, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := toValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	case yaml.AliasNode:
		return toValue(n.Alias)
	}
	return nil, nil
}
