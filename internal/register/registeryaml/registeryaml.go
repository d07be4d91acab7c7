// Package registeryaml decodes a register's declaration as people write it,
// in YAML, at build time: `go generate ./internal/register` (package
// register's gen) writes from it the JSON the functions load, so that they
// link no YAML decoder (gopkg.in/yaml.v3 costs every function's zip some
// 135 KB). Only build-time tools and tests import this package.
//
// The decoding is yaml.v3's own, with the declaration's rules the register
// types once held in their UnmarshalYAML methods: a field the types do not
// declare is refused (yaml.v3's KnownFields), a Text has only keys of
// register.Languages, a Window is a positive Go duration and a Period one
// positive number of days, months or years. yaml.v3 parses the document;
// this package walks its nodes by the register types (struct fields by
// their yaml tags, inline fields, anchors, aliases and merge keys as yaml.v3
// takes them), and hands every value holding no struct nor any of those
// three types to yaml.v3 to decode, so the errors are yaml.v3's.
package registeryaml

import (
	"bytes"
	"reflect"

	"gopkg.in/yaml.v3"

	"rekisteri/internal/register"
)

// Decode decodes the declaration raw, the bytes of a register's YAML, and
// validates it; its version is that of raw, as Load gives it.
func Decode(raw []byte) (*register.Register, error) {
	var r register.Register
	if err := unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return register.Decoded(raw, &r)
}

// GenerateJSON returns the <id>.json that register.Load decodes, from raw,
// the bytes of <id>.yaml.
func GenerateJSON(raw []byte) ([]byte, error) {
	r, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	return register.GenerateJSON(raw, r)
}

// unmarshal decodes the first YAML document of raw into out, a pointer, as
// a yaml.v3 Decoder with KnownFields decodes it into the register types.
func unmarshal(raw []byte, out any) (err error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil {
		return err
	}
	d := &decoder{aliases: map[*yaml.Node]bool{}}
	defer func() {
		if v := recover(); v != nil {
			f, ok := v.(failure)
			if !ok {
				panic(v)
			}
			err = f.err
		}
	}()
	d.unmarshal(&doc, reflect.ValueOf(out).Elem())
	if len(d.terrors) > 0 {
		return &yaml.TypeError{Errors: d.terrors}
	}
	return nil
}
