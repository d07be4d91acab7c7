package record

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/register"
)

// Rule is the declared retention rule of kind in state.
func (c *Catalogue) Rule(kind, state string) (register.Rule, error) {
	k, ok := c.reg.Record(kind)
	if !ok {
		return register.Rule{}, fmt.Errorf("record: register %s declares no kind %q", c.reg.ID, kind)
	}
	for _, r := range k.Retention {
		if r.When == state {
			return r, nil
		}
	}
	return register.Rule{}, fmt.Errorf("record: register %s declares no retention for %s in state %q", c.reg.ID, kind, state)
}

// Put is a transaction item putting item — a record struct or an attribute
// map — of kind, in state, into the kind's declared table. Its retention
// attributes come from the rule for state, counted from the item's own value
// of the rule's after attribute; a rule that keeps no period (kept until an
// event) leaves the item off the expiry index.
func (c *Catalogue) Put(kind, state string, item any, condition ...string) (types.TransactWriteItem, error) {
	table, err := c.TableOf(kind)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	av, ok := item.(map[string]types.AttributeValue)
	if !ok {
		if av, err = dynamo.MarshalMap(item); err != nil {
			return types.TransactWriteItem{}, fmt.Errorf("marshal %T: %w", item, err)
		}
	}
	if err := c.Stamp(kind, state, av); err != nil {
		return types.TransactWriteItem{}, err
	}
	p := &types.Put{TableName: aws.String(table), Item: av}
	if len(condition) > 0 {
		p.ConditionExpression = aws.String(condition[0])
	}
	return types.TransactWriteItem{Put: p}, nil
}

// Stamp writes kind into item and the retention attributes of the rule for
// state, counted from the item's own after attribute.
func (c *Catalogue) Stamp(kind, state string, item map[string]types.AttributeValue) error {
	rule, err := c.Rule(kind, state)
	if err != nil {
		return err
	}
	if got, ok := item[AttrKind].(*types.AttributeValueMemberS); ok && got.Value != kind {
		return fmt.Errorf("record: item of kind %q stamped as %s", got.Value, kind)
	}
	item[AttrKind] = &types.AttributeValueMemberS{Value: kind}
	delete(item, AttrExpiresAt)
	delete(item, AttrExpiryBucket)
	delete(item, AttrPurgeAt)
	delete(item, AttrExpiryRule)
	if rule.Keep.IsZero() {
		return nil
	}
	base, err := TimeOf(item[rule.After])
	if err != nil {
		return fmt.Errorf("record: %s rule %s counts from %s: %w", kind, rule.ID, rule.After, err)
	}
	pk, _ := item[AttrPK].(*types.AttributeValueMemberS)
	if pk == nil || pk.Value == "" {
		return fmt.Errorf("record: %s item without a partition key", kind)
	}
	r := dynamo.Expires(rule.Due(rule.Keep.From(base)), pk.Value)
	item[AttrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)}
	item[AttrExpiryBucket] = &types.AttributeValueMemberS{Value: r.ExpiryBucket}
	if !rule.Holds() { // a record its rule keeps when due is no TTL's to delete
		item[AttrPurgeAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.PurgeAt, 10)}
	}
	item[AttrExpiryRule] = &types.AttributeValueMemberS{Value: rule.ID}
	return nil
}

// Change is what entering a state does to an existing item's retention
// attributes, as clauses to join to the capability's own update.
type Change struct {
	set    string
	remove string
	values map[string]types.AttributeValue
}

// The placeholders a Change uses; no capability's update uses these names.
const (
	valExpiresAt    = ":recordExpiresAt"
	valExpiryBucket = ":recordExpiryBucket"
	valPurgeAt      = ":recordPurgeAt"
	valExpiryRule   = ":recordExpiryRule"
)

// Enter is the change of an item of kind, with partition key pk, entering
// state. at holds the times the same update writes (or the item already
// holds), by attribute name; the rule's after attribute must be among them.
func (c *Catalogue) Enter(kind, state, pk string, at map[string]time.Time) (Change, error) {
	rule, err := c.Rule(kind, state)
	if err != nil {
		return Change{}, err
	}
	if rule.Keep.IsZero() {
		return Change{remove: strings.Join([]string{AttrExpiresAt, AttrExpiryBucket, AttrPurgeAt, AttrExpiryRule}, ", ")}, nil
	}
	base, ok := at[rule.After]
	if !ok {
		return Change{}, fmt.Errorf("record: %s rule %s counts from %s, which entering %q does not give", kind, rule.ID, rule.After, state)
	}
	r := dynamo.Expires(rule.Due(rule.Keep.From(base)), pk)
	if rule.Holds() { // kept when due: no TTL backstop
		return Change{
			set:    AttrExpiresAt + " = " + valExpiresAt + ", " + AttrExpiryBucket + " = " + valExpiryBucket + ", " + AttrExpiryRule + " = " + valExpiryRule,
			remove: AttrPurgeAt,
			values: map[string]types.AttributeValue{
				valExpiresAt:    &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)},
				valExpiryBucket: &types.AttributeValueMemberS{Value: r.ExpiryBucket},
				valExpiryRule:   &types.AttributeValueMemberS{Value: rule.ID},
			},
		}, nil
	}
	return Change{
		set: AttrExpiresAt + " = " + valExpiresAt + ", " + AttrExpiryBucket + " = " + valExpiryBucket + ", " +
			AttrPurgeAt + " = " + valPurgeAt + ", " + AttrExpiryRule + " = " + valExpiryRule,
		values: map[string]types.AttributeValue{
			valExpiresAt:    &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ExpiresAt, 10)},
			valExpiryBucket: &types.AttributeValueMemberS{Value: r.ExpiryBucket},
			valPurgeAt:      &types.AttributeValueMemberN{Value: strconv.FormatInt(r.PurgeAt, 10)},
			valExpiryRule:   &types.AttributeValueMemberS{Value: rule.ID},
		},
	}, nil
}

// MustEnter is Enter for a kind and state the caller names from constants
// the register's tests prove declared; at must hold the rule's attribute.
func (c *Catalogue) MustEnter(kind, state, pk string, at map[string]time.Time) Change {
	ch, err := c.Enter(kind, state, pk, at)
	if err != nil {
		panic(err)
	}
	return ch
}

// Expression is an update expression of the capability's own SET and REMOVE
// clauses (either may be empty) with the change's joined in.
func (ch Change) Expression(set, remove string) string {
	join := func(a, b string) string {
		switch {
		case a == "":
			return b
		case b == "":
			return a
		}
		return a + ", " + b
	}
	var parts []string
	if s := join(set, ch.set); s != "" {
		parts = append(parts, "SET "+s)
	}
	if r := join(remove, ch.remove); r != "" {
		parts = append(parts, "REMOVE "+r)
	}
	return strings.Join(parts, " ")
}

// Values adds the change's placeholder values to vals and returns it.
func (ch Change) Values(vals map[string]types.AttributeValue) map[string]types.AttributeValue {
	if vals == nil && len(ch.values) > 0 {
		vals = make(map[string]types.AttributeValue, len(ch.values))
	}
	for k, v := range ch.values {
		vals[k] = v
	}
	return vals
}

// TimeOf reads a stored time: an RFC 3339 string, a date (YYYY-MM-DD, as
// midnight UTC of that date, the way bookings and answers store days), a
// month (YYYY-MM, its first day) or Unix seconds.
func TimeOf(v types.AttributeValue) (time.Time, error) {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01"} {
			if t, err := time.Parse(layout, x.Value); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("not a time: %d characters", len(x.Value))
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(x.Value, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("not Unix seconds")
		}
		return time.Unix(n, 0).UTC(), nil
	case nil:
		return time.Time{}, fmt.Errorf("the attribute is missing")
	}
	return time.Time{}, fmt.Errorf("not a time: %T", v)
}
