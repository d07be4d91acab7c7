package record

import (
	"strings"
	"testing"

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
