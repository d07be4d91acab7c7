// Command gen writes each register's <id>.json, the form Load decodes, from
// its <id>.yaml (decoded by package registeryaml, so that the functions link
// no YAML decoder): `go generate ./internal/register` runs it in that
// directory. A file whose bytes would not change is not rewritten.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"rekisteri/internal/register/registeryaml"
)

func main() {
	if err := run("."); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no *.yaml in %s", dir)
	}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		js, err := registeryaml.GenerateJSON(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out := strings.TrimSuffix(name, ".yaml") + ".json"
		if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, js) {
			continue
		}
		if err := os.WriteFile(out, js, 0o644); err != nil {
			return err
		}
		fmt.Println("gen: wrote", out)
	}
	return nil
}
