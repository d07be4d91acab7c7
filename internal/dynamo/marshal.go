package dynamo

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MarshalMap is attributevalue.MarshalMap for the plain record structs this
// code stores (strings, integers, booleans, []string, map[string]string,
// embedded structs of those; dynamodbav names and omitempty), by a plan made
// once per type. attributevalue re-examines every field of every value on
// every call, which made marshalling a signup's three items a tenth of its
// CPU. Any other type goes to attributevalue, and the result is the same
// either way (TestMarshalMapAsAttributevalue).
func MarshalMap(item any) (map[string]types.AttributeValue, error) {
	v := reflect.ValueOf(item)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return attributevalue.MarshalMap(item)
	}
	p := planOf(v.Type())
	if p == nil {
		return attributevalue.MarshalMap(item)
	}
	m := make(map[string]types.AttributeValue, len(p))
	// The string members come from one array (a map's or list's own grow
	// it, and the members already given keep the array they point into).
	strs := make([]types.AttributeValueMemberS, 0, stringMembers(v, p))
	newS := func(s string) *types.AttributeValueMemberS {
		strs = append(strs, types.AttributeValueMemberS{Value: s})
		return &strs[len(strs)-1]
	}
	for i := range p {
		f := &p[i]
		fv := v.FieldByIndex(f.index)
		switch f.kind {
		case kString:
			s := fv.String()
			if f.omitEmpty && s == "" {
				continue
			}
			m[f.name] = newS(s)
		case kInt:
			n := fv.Int()
			if f.omitEmpty && n == 0 {
				continue
			}
			m[f.name] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
		case kBool:
			b := fv.Bool()
			if f.omitEmpty && !b {
				continue
			}
			m[f.name] = &types.AttributeValueMemberBOOL{Value: b}
		case kStrings:
			if fv.IsNil() { // omitempty omits only nil; an empty one is stored empty
				if !f.omitEmpty {
					m[f.name] = &types.AttributeValueMemberNULL{Value: true}
				}
				continue
			}
			l := make([]types.AttributeValue, fv.Len())
			for j := range l {
				l[j] = newS(fv.Index(j).String())
			}
			m[f.name] = &types.AttributeValueMemberL{Value: l}
		case kStringMap:
			if fv.IsNil() { // omitempty omits only nil; an empty one is stored empty
				if !f.omitEmpty {
					m[f.name] = &types.AttributeValueMemberNULL{Value: true}
				}
				continue
			}
			mm := make(map[string]types.AttributeValue, fv.Len())
			it := fv.MapRange()
			for it.Next() {
				mm[it.Key().String()] = newS(it.Value().String())
			}
			m[f.name] = &types.AttributeValueMemberM{Value: mm}
		}
	}
	return m, nil
}

// stringMembers is how many string members marshalling v by p makes.
func stringMembers(v reflect.Value, p []fieldPlan) int {
	n := 0
	for i := range p {
		switch p[i].kind {
		case kString:
			n++
		case kStrings, kStringMap:
			n += v.FieldByIndex(p[i].index).Len()
		}
	}
	return n
}

type fieldKind int

const (
	kString fieldKind = iota
	kInt
	kBool
	kStrings
	kStringMap
)

type fieldPlan struct {
	name      string
	index     []int
	kind      fieldKind
	omitEmpty bool
}

var plans sync.Map // reflect.Type → []fieldPlan (nil: not a plain record)

var marshalerType = reflect.TypeFor[attributevalue.Marshaler]()

func planOf(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var p []fieldPlan
	if implementsMarshaler(t) || !plan(t, nil, &p) || duplicateNames(p) {
		p = nil
	}
	plans.Store(t, p)
	return p
}

func implementsMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)
}

func plan(t reflect.Type, prefix []int, out *[]fieldPlan) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag := sf.Tag.Get("dynamodbav")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && tag == "" {
			if sf.Type.Kind() != reflect.Struct || implementsMarshaler(sf.Type) {
				return false
			}
			if !plan(sf.Type, index, out) {
				return false
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := fieldPlan{name: name, index: index}
		switch opts {
		case "":
		case "omitempty":
			f.omitEmpty = true
		default:
			return false
		}
		ft := sf.Type
		if implementsMarshaler(ft) {
			return false
		}
		switch ft.Kind() {
		case reflect.String:
			f.kind = kString
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.kind = kInt
		case reflect.Bool:
			f.kind = kBool
		case reflect.Slice:
			if ft.Elem().Kind() != reflect.String || implementsMarshaler(ft.Elem()) {
				return false
			}
			f.kind = kStrings
		case reflect.Map:
			if ft.Key().Kind() != reflect.String || ft.Elem().Kind() != reflect.String || implementsMarshaler(ft.Elem()) || implementsMarshaler(ft.Key()) {
				return false
			}
			f.kind = kStringMap
		default:
			return false
		}
		*out = append(*out, f)
	}
	return true
}

func duplicateNames(p []fieldPlan) bool {
	seen := make(map[string]bool, len(p))
	for _, f := range p {
		if seen[f.name] {
			return true
		}
		seen[f.name] = true
	}
	return false
}
