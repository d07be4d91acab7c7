package registeryaml

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"gopkg.in/yaml.v3"

	"rekisteri/internal/register"
)

// failure is an error that ends the decoding, as yaml.v3's are: the others
// (type errors, unknown fields) are collected and reported together.
type failure struct{ err error }

func fail(err error) { panic(failure{err}) }

func failf(format string, args ...any) { fail(fmt.Errorf("yaml: "+format, args...)) }

// The types yaml.v3 once decoded by their UnmarshalYAML methods.
var (
	textType   = reflect.TypeFor[register.Text]()
	windowType = reflect.TypeFor[register.Window]()
	periodType = reflect.TypeFor[register.Period]()
)

const (
	nullTag  = "!!null"
	mergeTag = "!!merge"
)

type decoder struct {
	terrors []string
	aliases map[*yaml.Node]bool
	// merged are the keys a mapping merged into a struct (<<) may no longer
	// set: those of the mapping merging it and of earlier merged ones.
	merged map[string]bool
}

// unmarshal decodes n into out, as yaml.v3's decoder.unmarshal does; false
// when out was not set (a null into a struct or a string, an error).
func (d *decoder) unmarshal(n *yaml.Node, out reflect.Value) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			d.unmarshal(n.Content[0], out)
			return true
		}
		return false
	case yaml.AliasNode:
		if d.aliases[n] {
			failf("anchor '%s' value contains itself", n.Value)
		}
		d.aliases[n] = true
		defer delete(d.aliases, n)
		return d.unmarshal(n.Alias, out)
	}
	null := n.ShortTag() == nullTag
	if !null && out.Kind() == reflect.Pointer {
		if out.IsNil() {
			out.Set(reflect.New(out.Type().Elem()))
		}
		return d.unmarshal(n, out.Elem())
	}
	switch t := out.Type(); {
	case null:
		// What yaml.v3 does with a null: a pointer, map, slice or
		// interface becomes nil, anything else is left as it was.
		switch out.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			out.Set(reflect.Zero(t))
			return true
		}
		return false
	case t == textType:
		return d.text(n, out)
	case t == windowType:
		w, err := register.ParseWindow(n.Value)
		if err != nil {
			fail(err)
		}
		out.Set(reflect.ValueOf(w))
		return true
	case t == periodType:
		p, err := register.ParsePeriod(n.Value)
		if err != nil {
			fail(err)
		}
		out.Set(reflect.ValueOf(p))
		return true
	case plain(t):
		return d.decode(n, out)
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		return d.mapping(n, out)
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		return d.sequence(n, out)
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Slice:
		return d.decode(n, out) // the wrong kind of node: yaml.v3's error
	}
	failf("registeryaml: cannot decode into %s", out.Type())
	return false
}

// decode has yaml.v3 decode n into out.
func (d *decoder) decode(n *yaml.Node, out reflect.Value) bool {
	err := n.Decode(out.Addr().Interface())
	var te *yaml.TypeError
	if errors.As(err, &te) {
		d.terrors = append(d.terrors, te.Errors...)
		return false
	}
	if err != nil {
		fail(err)
	}
	return true
}

// text reads a text per language and refuses any other key: in a flow
// mapping an unquoted comma splits a text, and the rest of it would
// otherwise become a key of its own, silently cutting the text short.
func (d *decoder) text(n *yaml.Node, out reflect.Value) bool {
	var m map[string]string
	err := n.Decode(&m)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		d.terrors = append(d.terrors, te.Errors...)
		return false
	}
	if err != nil {
		fail(err)
	}
	// The first key in no language as written (yaml.v3 once named any).
	var keys []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
	}
	keys = append(keys, slices.Sorted(maps.Keys(m))...) // merged (<<) ones
	for _, k := range keys {
		if _, ok := m[k]; ok && !slices.Contains(register.Languages, k) {
			fail(fmt.Errorf("line %d: text in no language: %q (quote a text with a comma)", n.Line, k))
		}
	}
	out.Set(reflect.ValueOf(register.Text(m)))
	return true
}

// sequence decodes a sequence into a slice, as yaml.v3 does: an element
// that could not be set (a null into a struct) is left out.
func (d *decoder) sequence(n *yaml.Node, out reflect.Value) bool {
	l := len(n.Content)
	out.Set(reflect.MakeSlice(out.Type(), l, l))
	j := 0
	for _, c := range n.Content {
		e := reflect.New(out.Type().Elem()).Elem()
		if d.unmarshal(c, e) {
			out.Index(j).Set(e)
			j++
		}
	}
	out.Set(out.Slice(0, j))
	return true
}

// mapping decodes a mapping into a struct, as yaml.v3's decoder.mapping and
// mappingStruct do with KnownFields.
func (d *decoder) mapping(n *yaml.Node, out reflect.Value) bool {
	l := len(n.Content)
	nerrs := len(d.terrors)
	for i := 0; i < l; i += 2 {
		ni := n.Content[i]
		for j := i + 2; j < l; j += 2 {
			if nj := n.Content[j]; ni.Kind == nj.Kind && ni.Value == nj.Value {
				d.terrors = append(d.terrors, fmt.Sprintf("line %d: mapping key %#v already defined at line %d", nj.Line, nj.Value, ni.Line))
			}
		}
	}
	if len(d.terrors) > nerrs {
		return false
	}
	fields, err := fieldsOf(out.Type())
	if err != nil {
		fail(err)
	}
	merged := d.merged
	d.merged = nil
	var mergeNode *yaml.Node
	done := map[string]bool{}
	for i := 0; i < l; i += 2 {
		ni := n.Content[i]
		if isMerge(ni) {
			mergeNode = n.Content[i+1]
			continue
		}
		var name string
		if !d.unmarshal(ni, reflect.ValueOf(&name).Elem()) {
			continue
		}
		if merged != nil {
			if merged[name] {
				continue
			}
			merged[name] = true
		}
		index, ok := fields[name]
		if !ok {
			d.terrors = append(d.terrors, fmt.Sprintf("line %d: field %s not found in type %s", ni.Line, name, out.Type()))
			continue
		}
		if done[name] {
			d.terrors = append(d.terrors, fmt.Sprintf("line %d: field %s already set in type %s", ni.Line, name, out.Type()))
			continue
		}
		done[name] = true
		d.unmarshal(n.Content[i+1], fieldByIndex(out, index))
	}
	d.merged = merged
	if mergeNode != nil {
		d.merge(n, mergeNode, out)
	}
	return true
}

// merge decodes the mapping or mappings of a merge key (<<) into out, the
// struct parent is decoded into, the keys parent sets taking precedence.
func (d *decoder) merge(parent, merge *yaml.Node, out reflect.Value) {
	merged := d.merged
	if merged == nil {
		d.merged = map[string]bool{}
		for i := 0; i < len(parent.Content); i += 2 {
			if k := parent.Content[i]; k.Kind == yaml.ScalarNode {
				d.merged[k.Value] = true
			}
		}
	}
	wantMap := func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			failf("map merge requires map or sequence of maps as the value")
		}
	}
	switch merge.Kind {
	case yaml.MappingNode, yaml.AliasNode:
		wantMap(merge)
		d.unmarshal(merge, out)
	case yaml.SequenceNode:
		for _, c := range merge.Content {
			wantMap(c)
			d.unmarshal(c, out)
		}
	default:
		wantMap(merge)
	}
	d.merged = merged
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == mergeTag)
}
