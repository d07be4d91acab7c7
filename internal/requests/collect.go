package requests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// Holding is what one table holds of a subject in one declared record kind:
// the items whole, as stored.
type Holding struct {
	Kind, Table string
	Items       []map[string]types.AttributeValue
	// Register is the declaration of the kind (CollectAll); nil: the
	// register the copy is made for.
	Register *register.Register
}

// The linked survey answer of a feedback contact. The contact carries
// answerRef = "<answer pk>/<answer id>" (package feedback, Submit); the
// answer is stored at (pk, id) and its free text at (pk, id+"#TEXT"). Neither
// carries a subject key — the answer is stored without identifiers — so only
// the contact leads to them, and they are read by key.
const (
	contactKind   = "feedback-contact"
	answerRefAttr = "answerRef"
	textSuffix    = "#TEXT"
)

// Collect is every record of subjectKey in every declared table of st's
// catalogue — a bySubject Query and reads by key per table, never a Scan —
// and the survey answer and free text a feedback contact links to, grouped
// by kind in the declaration's order, each kind's items by key. skip (may be
// nil) leaves out items the caller does not want in the copy (the request
// being answered, say). Errors name tables and kinds only.
func Collect(ctx context.Context, st *recordstore.Store, subjectKey string, skip func(table string, item map[string]types.AttributeValue) bool) ([]Holding, error) {
	return CollectAll(ctx, []*recordstore.Store{st}, subjectKey, skip)
}

// CollectAll is Collect over the tables of every register of stores, in
// their order; each holding names the register that declares its kind.
func CollectAll(ctx context.Context, stores []*recordstore.Store, subjectKey string, skip func(table string, item map[string]types.AttributeValue) bool) ([]Holding, error) {
	if subjectKey == "" {
		return nil, fmt.Errorf("requests: collect: no subject key")
	}
	var out []Holding
	for _, st := range stores {
		hs, err := collect(ctx, st, subjectKey, skip)
		if err != nil {
			return nil, err
		}
		out = append(out, hs...)
	}
	return out, nil
}

func collect(ctx context.Context, st *recordstore.Store, subjectKey string, skip func(table string, item map[string]types.AttributeValue) bool) ([]Holding, error) {
	reg := st.Catalogue().Register()
	byKind := map[string]*Holding{}
	seen := map[[3]string]bool{}
	add := func(table string, it map[string]types.AttributeValue) error {
		id := [3]string{table, str(it, record.AttrPK), str(it, record.AttrSK)}
		if seen[id] || (skip != nil && skip(table, it)) {
			return nil
		}
		seen[id] = true
		kind := str(it, record.AttrKind)
		k, ok := reg.Record(kind)
		if !ok || k.Table != table {
			// A copy must not leave out what it cannot explain: refuse, and
			// let staff see the request fail (the declaration test should
			// have caught it).
			return fmt.Errorf("requests: collect: table %s holds an item of undeclared kind %q", table, kind)
		}
		h := byKind[kind]
		if h == nil {
			h = &Holding{Kind: kind, Table: table, Register: reg}
			byKind[kind] = h
		}
		h.Items = append(h.Items, it)
		return nil
	}
	for _, table := range record.Tables(reg) {
		if st.Catalogue().Table(table) == "" {
			return nil, fmt.Errorf("requests: collect: table %s is not in the catalogue; the copy would be incomplete", table)
		}
		items, err := st.Items(ctx, table, subjectKey)
		if err != nil {
			return nil, fmt.Errorf("requests: collect: %w", err)
		}
		var linked []recordstore.Key
		for _, it := range items {
			if err := add(table, it); err != nil {
				return nil, err
			}
			if str(it, record.AttrKind) == contactKind && (skip == nil || !skip(table, it)) {
				if pk, id, ok := strings.Cut(str(it, answerRefAttr), "/"); ok && pk != "" && id != "" {
					linked = append(linked, recordstore.Key{PK: pk, SK: id}, recordstore.Key{PK: pk, SK: id + textSuffix})
				}
			}
		}
		if len(linked) == 0 {
			continue
		}
		answers, err := st.Fetch(ctx, table, linked)
		if err != nil {
			return nil, fmt.Errorf("requests: collect: linked answers: %w", err)
		}
		for _, it := range answers {
			if err := add(table, it); err != nil {
				return nil, err
			}
		}
	}
	var out []Holding
	for _, k := range reg.Records {
		if h := byKind[k.Kind]; h != nil {
			slices.SortFunc(h.Items, func(a, b map[string]types.AttributeValue) int {
				if c := strings.Compare(str(a, record.AttrPK), str(b, record.AttrPK)); c != 0 {
					return c
				}
				return strings.Compare(str(a, record.AttrSK), str(b, record.AttrSK))
			})
			out = append(out, *h)
		}
	}
	return out, nil
}

// What a copy shows of an item.

// hiddenAttrs are the envelope's internal attributes, left out of a copy;
// the expiry is shown as keptUntil.
var hiddenAttrs = []string{record.AttrPK, record.AttrSK, record.AttrKind, record.AttrSubjectKey,
	record.AttrExpiresAt, record.AttrExpiryBucket, record.AttrPurgeAt, record.AttrExpiryRule}

const keptUntil = "keptUntil"

// columnsOf are the attributes the items hold, in the declaration's order
// (undeclared envelope attributes such as restrictedAt after them, sorted),
// without the hidden ones; keptUntil last where an item expires.
func columnsOf(k register.RecordKind, items []map[string]types.AttributeValue) []string {
	present := map[string]bool{}
	for _, it := range items {
		for a := range it {
			present[a] = true
		}
	}
	var cols, extra []string
	for _, a := range k.Attributes {
		if present[a] && !slices.Contains(hiddenAttrs, a) {
			cols = append(cols, a)
		}
	}
	for a := range present {
		if !slices.Contains(k.Attributes, a) && !slices.Contains(hiddenAttrs, a) {
			extra = append(extra, a)
		}
	}
	sort.Strings(extra)
	cols = append(cols, extra...)
	if present[record.AttrExpiresAt] {
		cols = append(cols, keptUntil)
	}
	return cols
}

// plain is an attribute value as plain JSON: strings, numbers, booleans,
// lists and objects (binary as base64).
func plain(av types.AttributeValue) any {
	list := func(n int, at func(int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return json.Number(v.Value)
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberB:
		return base64.StdEncoding.EncodeToString(v.Value)
	case *types.AttributeValueMemberSS:
		return list(len(v.Value), func(i int) any { return v.Value[i] })
	case *types.AttributeValueMemberNS:
		return list(len(v.Value), func(i int) any { return json.Number(v.Value[i]) })
	case *types.AttributeValueMemberBS:
		return list(len(v.Value), func(i int) any { return base64.StdEncoding.EncodeToString(v.Value[i]) })
	case *types.AttributeValueMemberL:
		return list(len(v.Value), func(i int) any { return plain(v.Value[i]) })
	case *types.AttributeValueMemberM:
		out := make(map[string]any, len(v.Value))
		for k, x := range v.Value {
			out[k] = plain(x)
		}
		return out
	}
	return nil // NULL
}

// text is a plain value as the page shows it.
func (p *page) text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return map[bool]string{true: p.T["yes"], false: p.T["no"]}[v]
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = p.text(x)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		parts := make([]string, 0, len(v))
		for k, x := range v {
			parts = append(parts, k+": "+p.text(x))
		}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	return ""
}
