// Package deploycheck holds the checks of what is deployed: template.yaml
// (key policies, IAM against the code, log groups, outputs, names),
// samconfig.toml read the way SAM CLI reads it, and the template translated
// by aws-sam-translator and created in moto's CloudFormation.
package deploycheck

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is template.yaml as plain values. Intrinsic functions become
// one-key maps in CloudFormation's JSON form: {"Ref": "X"},
// {"Fn::GetAtt": "A.B"}, {"Fn::Sub": "…"}.
type Template struct {
	Parameters map[string]map[string]any
	Rules      map[string]any
	Resources  map[string]Resource
	Outputs    map[string]map[string]any
}

// Resource is one resource with its attributes.
type Resource struct {
	Type                string
	Properties          map[string]any
	DeletionPolicy      string
	UpdateReplacePolicy string
}

// ReadTemplate parses a CloudFormation/SAM template in YAML.
func ReadTemplate(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	top := Map(value(root.Content[0]))
	t := &Template{Parameters: map[string]map[string]any{}, Rules: Map(top["Rules"]), Resources: map[string]Resource{}, Outputs: map[string]map[string]any{}}
	for k, v := range Map(top["Parameters"]) {
		t.Parameters[k] = Map(v)
	}
	for k, v := range Map(top["Outputs"]) {
		t.Outputs[k] = Map(v)
	}
	for k, v := range Map(top["Resources"]) {
		m := Map(v)
		t.Resources[k] = Resource{Type: Str(m["Type"]), Properties: Map(m["Properties"]), DeletionPolicy: Str(m["DeletionPolicy"]), UpdateReplacePolicy: Str(m["UpdateReplacePolicy"])}
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

func value(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.ScalarNode:
		v = n.Value
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, value(c))
		}
		v = l
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = value(n.Content[i+1])
		}
		v = m
	case yaml.AliasNode:
		return value(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		return map[string]any{name: v}
	}
	return v
}

// Map, List and Str read plain values, empty when the value is of another kind.
func Map(v any) map[string]any { m, _ := v.(map[string]any); return m }

// List returns v as a list; a single value becomes a list of one.
func List(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

// Str returns v as a string.
func Str(v any) string { s, _ := v.(string); return s }

// Strings returns v (a string or a list of strings) as strings.
func Strings(v any) []string {
	var out []string
	for _, x := range List(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Resolver turns intrinsic values into strings the way CloudFormation would
// for one made-up deployment: parameters and pseudo parameters by value,
// resources as "<Logical>" (Ref) or "<Logical>.<Attr>" (GetAtt).
type Resolver struct {
	Params map[string]string
}

// Resolve returns the string a value stands for.
func (r Resolver) Resolve(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"]; ok {
			name := Str(ref)
			if p, ok := r.Params[name]; ok {
				return p
			}
			return "<" + name + ">"
		}
		if ga, ok := x["Fn::GetAtt"]; ok {
			if s, ok := ga.(string); ok {
				return "<" + s + ">"
			}
			return "<" + strings.Join(Strings(ga), ".") + ">"
		}
		if sub, ok := x["Fn::Sub"]; ok {
			s := Str(sub)
			for {
				i := strings.Index(s, "${")
				if i < 0 {
					return s
				}
				j := strings.Index(s[i:], "}")
				if j < 0 {
					return s
				}
				name := s[i+2 : i+j]
				repl, ok := r.Params[name]
				if !ok {
					repl = "<" + name + ">"
				}
				s = s[:i] + repl + s[i+j+1:]
			}
		}
	}
	return fmt.Sprint(v)
}
