// Package record is the seam every stored item shares. It owns the envelope
// (keys, kind, subject key, retention attributes, restriction), the
// catalogue from the declaration's table names to the deployed ones, and the
// stamping of retention from the declaration's rules: a capability says which
// state a record is in ("this hetu is now invoiced"), and this package reads
// the rule for that state — when, after which attribute, keep how long — and
// writes expiresAt, expiryBucket and purgeAt. No capability computes an
// expiry itself.
//
// It also offers the generic operations retention and data-subject requests
// run over any declared table (find by subject, find due, delete), so those
// loop over the declaration and import no capability. Capabilities keep their
// own conditional-write workflows; this is the envelope, not a repository.
package record

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"rekisteri/internal/config"
	"rekisteri/internal/register"
)

// The envelope: attributes every stored item may have, whatever its kind.
const (
	AttrPK           = "pk"
	AttrSK           = "sk"
	AttrKind         = "kind"
	AttrSubjectKey   = "subjectKey"
	AttrExpiresAt    = "expiresAt"
	AttrExpiryBucket = "expiryBucket"
	AttrPurgeAt      = "purgeAt"
	// AttrExpiryRule is the id of the declared rule that set expiresAt, so
	// the sweep knows what to do with a due item from the index alone.
	AttrExpiryRule = "expiryRule"
	// AttrRestricted marks a record under restriction (GDPR Art. 18): no mail,
	// no transfer, no sweep. Its value is when the restriction began.
	AttrRestricted = "restrictedAt"
	// AttrRestrictedFor is why: the request, or the Art. 17(3) exception,
	// that restricted it.
	AttrRestrictedFor = "restrictedFor"
)

// Envelope lists the envelope attributes; every declared kind may carry them.
var Envelope = []string{AttrPK, AttrSK, AttrKind, AttrSubjectKey, AttrExpiresAt, AttrExpiryBucket, AttrPurgeAt, AttrExpiryRule, AttrRestricted, AttrRestrictedFor}

// The indexes every declared table has (template.yaml).
const (
	IndexBySubject = "bySubject"
	IndexByExpiry  = "byExpiry"
)

// Catalogue is one register's declaration with the deployed name of each
// table it declares.
type Catalogue struct {
	reg    *register.Register
	tables map[string]string // declared name → deployed name
}

// NewCatalogue pairs reg with deployed table names, keyed by the declared
// names (subscribers, feedback, bookings, mail, audit). A function passes only
// the tables it uses (an empty name counts as not given); a name the
// declaration does not use is an error.
func NewCatalogue(reg *register.Register, deployed map[string]string) (*Catalogue, error) {
	declared := Tables(reg)
	c := &Catalogue{reg: reg, tables: map[string]string{}}
	for name, real := range deployed {
		if !slices.Contains(declared, name) {
			return nil, fmt.Errorf("record: register %s declares no table %q", reg.ID, name)
		}
		if real != "" { // "": this function was not given that table
			c.tables[name] = real
		}
	}
	return c, nil
}

// MustCatalogue is NewCatalogue for tables the caller names from the
// declaration's own constants (tests prove them declared).
func MustCatalogue(reg *register.Register, deployed map[string]string) *Catalogue {
	c, err := NewCatalogue(reg, deployed)
	if err != nil {
		panic(err)
	}
	return c
}

// EnvName is the environment variable that names a declared table's deployed
// table in template.yaml: subscribers → SUBSCRIBERS_TABLE.
func EnvName(declared string) string {
	return strings.ToUpper(strings.ReplaceAll(declared, "-", "_")) + "_TABLE"
}

// FromEnv is the catalogue of every declared table whose variable env has;
// with all, every declared table must be there (retention and requests).
func FromEnv(reg *register.Register, env config.Lookup, all bool) (*Catalogue, error) {
	deployed := map[string]string{}
	var missing []string
	for _, name := range Tables(reg) {
		if v, ok := env(EnvName(name)); ok && v != "" {
			deployed[name] = v
		} else {
			missing = append(missing, EnvName(name))
		}
	}
	if all && len(missing) > 0 {
		return nil, fmt.Errorf("record: missing %s", strings.Join(missing, ", "))
	}
	return NewCatalogue(reg, deployed)
}

// Tables are the table names reg declares, sorted.
func Tables(reg *register.Register) []string {
	var out []string
	for _, k := range reg.Records {
		if !slices.Contains(out, k.Table) {
			out = append(out, k.Table)
		}
	}
	sort.Strings(out)
	return out
}

// Register is the declaration.
func (c *Catalogue) Register() *register.Register { return c.reg }

// Table is the deployed name of a declared table, or "" when this catalogue
// was not given it.
func (c *Catalogue) Table(declared string) string { return c.tables[declared] }

// TableOf is the deployed table of a record kind.
func (c *Catalogue) TableOf(kind string) (string, error) {
	k, ok := c.reg.Record(kind)
	if !ok {
		return "", fmt.Errorf("record: register %s declares no kind %q", c.reg.ID, kind)
	}
	t := c.tables[k.Table]
	if t == "" {
		return "", fmt.Errorf("record: kind %s lives in table %s, which this function was not given", kind, k.Table)
	}
	return t, nil
}

// Deployed is every declared table this catalogue has, declared name → deployed.
func (c *Catalogue) Deployed() map[string]string {
	out := make(map[string]string, len(c.tables))
	for k, v := range c.tables {
		out[k] = v
	}
	return out
}
