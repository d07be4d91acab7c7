// Command gen writes templates.json, the form package mail loads its
// templates in, from templates/*.yaml, the templates people edit (decoded
// here, so that the functions link no YAML decoder): `go generate
// ./internal/mail` runs it in that directory. A file whose bytes would not
// change is not rewritten.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"rekisteri/internal/mail"
)

func main() {
	if err := run("."); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "templates", "*.yaml"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no templates/*.yaml in %s", dir)
	}
	sources := map[string][]byte{}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		sources[strings.TrimSuffix(filepath.Base(name), ".yaml")] = raw
	}
	js, err := mail.GenerateJSON(sources, yaml.Unmarshal)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "templates.json")
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, js) {
		return nil
	}
	if err := os.WriteFile(out, js, 0o644); err != nil {
		return err
	}
	fmt.Println("gen: wrote", out)
	return nil
}
