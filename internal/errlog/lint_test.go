package errlog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exempt are trees that are not the project's code. Everything else is
// checked: what is deployed, the staff tool, and the local stack too, whose
// logs the end-to-end suite reads as it would CloudWatch's.
var exempt = []string{".local", "node_modules", ".git"}

// logCalls are the slog functions and Logger methods whose arguments become
// log attributes.
var logCalls = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true,
	"Log": true, "LogAttrs": true, "With": true, "Any": true, "String": true, "Group": true,
}

// errorLike reports whether e looks like an error value or its text: a
// variable or field named err, …Err or …Error, err.Error(), or a call that
// makes an error (errors.New, fmt.Errorf, errors.Join).
func errorLike(e ast.Expr) bool {
	named := func(n string) bool {
		l := strings.ToLower(n)
		return l == "err" || strings.HasSuffix(l, "err") || strings.HasSuffix(l, "error") || strings.HasSuffix(l, "errs")
	}
	switch x := e.(type) {
	case *ast.Ident:
		return named(x.Name)
	case *ast.SelectorExpr:
		return named(x.Sel.Name)
	case *ast.StarExpr:
		return errorLike(x.X)
	case *ast.ParenExpr:
		return errorLike(x.X)
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok {
				switch pkg.Name + "." + sel.Sel.Name {
				case "errors.New", "fmt.Errorf", "errors.Join", "errors.Unwrap":
					return true
				}
			}
			if sel.Sel.Name == "Error" && len(x.Args) == 0 {
				return true
			}
		}
	}
	return false
}

// safe reports whether e is this package's own rendering of an error.
func safe(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "errlog"
}

// findings are the places in src where an error reaches a log call other
// than through Attr: as an argument, inside a nested call's arguments
// (fmt.Sprint(err), slog.Any("err", err)), or in an []any of attributes.
func findings(fset *token.FileSet, f *ast.File) []string {
	var out []string
	var check func(e ast.Expr)
	check = func(e ast.Expr) {
		if safe(e) {
			return
		}
		if errorLike(e) {
			if p := fset.Position(e.Pos()).String(); !slices.Contains(out, p) {
				out = append(out, p)
			}
			return
		}
		switch x := e.(type) {
		case *ast.CallExpr:
			for _, a := range x.Args {
				check(a)
			}
		case *ast.CompositeLit:
			for _, el := range x.Elts {
				check(el)
			}
		case *ast.KeyValueExpr:
			check(x.Value)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok || !logCalls[sel.Sel.Name] {
				return true
			}
			pkg, isPkg := sel.X.(*ast.Ident)
			slogPkg := isPkg && pkg.Name == "slog"
			method := !slogPkg && (strings.HasSuffix(sel.Sel.Name, "Context") || sel.Sel.Name == "LogAttrs")
			if !slogPkg && !method {
				return true
			}
			for _, a := range x.Args {
				check(a)
			}
		case *ast.CompositeLit:
			// Attributes gathered first and logged later: []any{…} or []slog.Attr{…}.
			if at, ok := x.Type.(*ast.ArrayType); ok {
				isAny := false
				switch el := at.Elt.(type) {
				case *ast.Ident:
					isAny = el.Name == "any"
				case *ast.InterfaceType:
					isAny = el.Methods == nil || len(el.Methods.List) == 0
				case *ast.SelectorExpr:
					isAny = el.Sel.Name == "Attr"
				}
				if isAny {
					for _, el := range x.Elts {
						check(el)
					}
				}
			}
		}
		return true
	})
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..")) // internal/errlog → the repository
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestNoErrorReachesALogButThroughAttr parses every Go file of the module and
// fails on any slog call given an error, or an error's text, directly.
func TestNoErrorReachesALogButThroughAttr(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			for _, e := range exempt {
				if rel == e || strings.HasSuffix(rel, "/"+e) {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || rel == "internal/errlog/errlog.go" { // the one place that reads errors
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, p := range findings(fset, f) {
			t.Errorf("%s: an error is logged directly; log errlog.Attr(err), whose attributes carry no input", strings.TrimPrefix(p, root+"/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files found under %s; the check would prove little", files, root)
	}
}

// TestLintCatches proves the check on snippets: what it must flag, and what
// it must let through.
func TestLintCatches(t *testing.T) {
	cases := []struct {
		name, src string
		want      int
	}{
		{"error as a value", `slog.Error("x", "err", err)`, 1},
		{"error text", `slog.WarnContext(ctx, "x", "why", err.Error())`, 1},
		{"formatted", `slog.Info("x", "why", fmt.Sprint(sendErr))`, 1},
		{"slog.Any", `slog.Info("x", slog.Any("err", err))`, 1},
		{"a logger's method", `logger.ErrorContext(ctx, "x", "e", res.Err)`, 1},
		{"attributes gathered first", `attrs := []any{"id", id, "err", err}; slog.Error("x", attrs...)`, 1},
		{"through Attr", `slog.Error("x", "id", id, errlog.Attr(err))`, 0},
		{"no error", `slog.Info("x", "count", n, "subject", subject.Prefix(sk))`, 0},
		{"not a log call", `return fmt.Errorf("x: %w", err)`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x\nfunc f() {\n"+c.src+"\n}\n", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := findings(fset, f); len(got) != c.want {
				t.Fatalf("%d findings %v, want %d", len(got), got, c.want)
			}
		})
	}
}
