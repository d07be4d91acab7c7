package record

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/register"
)

// TestCatalogueLibraryTables: the libraries' declaration has its own
// tables, which a function serving it (REGISTER=library) must be given;
// the museum's catalogue neither knows nor asks for them.
func TestCatalogueLibraryTables(t *testing.T) {
	lib := register.MustLoad("library")
	if got := strings.Join(Tables(lib), ","); got != "loans,patrons,statistics,transfers" {
		t.Fatalf("library tables %s", got)
	}
	_, err := FromEnv(lib, func(string) (string, bool) { return "", false }, true)
	for _, v := range []string{"LOANS_TABLE", "PATRONS_TABLE", "STATISTICS_TABLE", "TRANSFERS_TABLE"} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("FromEnv(library) without tables: %v, want %s named", err, v)
		}
	}
	env := map[string]string{"LOANS_TABLE": "l", "PATRONS_TABLE": "p", "STATISTICS_TABLE": "s", "TRANSFERS_TABLE": "t"}
	cat, err := FromEnv(lib, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, true)
	if err != nil {
		t.Fatal(err)
	}
	if tb, err := cat.TableOf("transfer"); err != nil || tb != "t" {
		t.Errorf("TableOf(transfer) = %q, %v", tb, err)
	}
	if _, err := NewCatalogue(register.MustLoad("museum"), map[string]string{"patrons": "p"}); err == nil {
		t.Error("the museum's catalogue took the libraries' table")
	}
}

// TestHeldRuleStampsNoBackstop: an unresolved patron falls due on the
// 1 January after 3 years unused, as an inactive one does, but its rule
// keeps it (action keep): it carries no purgeAt, so TTL never deletes it,
// and entering the state removes one an earlier state set.
func TestHeldRuleStampsNoBackstop(t *testing.T) {
	lib := register.MustLoad("library")
	cat := MustCatalogue(lib, map[string]string{"patrons": "p", "loans": "l", "statistics": "s", "transfers": "t"})
	used := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	jan := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		state, rule string
		purge       bool
	}{
		{"active", "patron-inactive", true},
		{"unresolved", "patron-unresolved", false},
	}
	for _, tc := range tests {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "patron#1"}, "sk": &types.AttributeValueMemberS{Value: "patron"},
			"lastUsedAt": &types.AttributeValueMemberS{Value: used.Format(time.RFC3339)}}
		if err := cat.Stamp("patron", tc.state, item); err != nil {
			t.Fatal(err)
		}
		exp, _ := TimeOf(item[AttrExpiresAt])
		_, purge := item[AttrPurgeAt]
		if !exp.Equal(jan) || purge != tc.purge || item[AttrExpiryRule].(*types.AttributeValueMemberS).Value != tc.rule {
			t.Errorf("%s: expires %s, purgeAt %v, rule %v; want %s, %v, %s", tc.state, exp, purge, item[AttrExpiryRule], jan, tc.purge, tc.rule)
		}
		ch, err := cat.Enter("patron", tc.state, "patron#1", map[string]time.Time{"lastUsedAt": used})
		if err != nil {
			t.Fatal(err)
		}
		expr := ch.Expression("", "")
		if strings.Contains(expr, "REMOVE "+AttrPurgeAt) == tc.purge || strings.Contains(expr, AttrPurgeAt+" = ") != tc.purge {
			t.Errorf("%s: entering it is %q", tc.state, expr)
		}
	}
}
