package registeryaml

import (
	"fmt"
	"reflect"
	"strings"
)

// fieldsOf maps the YAML keys of struct type t, as yaml.v3 names them, to
// the index of their fields; the fields of an inline struct are its own.
func fieldsOf(t reflect.Type) (map[string][]int, error) {
	fields := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		inline := false
		for flag := range strings.SplitSeq(flags, ",") {
			switch flag {
			case "", "omitempty", "flow":
			case "inline":
				inline = true
			default:
				return nil, fmt.Errorf("unsupported flag %q in tag %q of type %s", flag, tag, t)
			}
		}
		if inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.Struct {
				return nil, fmt.Errorf("registeryaml: inline field %s of type %s is not a struct", f.Name, t)
			}
			inner, err := fieldsOf(ft)
			if err != nil {
				return nil, err
			}
			for k, index := range inner {
				if _, found := fields[k]; found {
					return nil, fmt.Errorf("duplicated key '%s' in struct %s", k, t)
				}
				fields[k] = append([]int{i}, index...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, found := fields[name]; found {
			return nil, fmt.Errorf("duplicated key '%s' in struct %s", name, t)
		}
		fields[name] = []int{i}
	}
	return fields, nil
}

// fieldByIndex is the field of struct v at index (a path through inline
// structs), allocating any inline struct held by a nil pointer on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					v.Set(reflect.New(v.Type().Elem()))
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v
}

// plain reports whether yaml.v3 decodes a value of type t as the register
// types want it: t holds no struct and no Text, Window or Period.
func plain(t reflect.Type) bool {
	switch {
	case t == textType || t == windowType || t == periodType:
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return false
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return plain(t.Elem())
	case reflect.Map:
		return plain(t.Key()) && plain(t.Elem())
	}
	return true
}
