package repocheck

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const yamlModule = "gopkg.in/yaml.v3"

// TestFunctionsLinkNoYAML fails when a Lambda main links gopkg.in/yaml.v3,
// which costs every zip some 135 KB of its 5 MiB. The register declarations
// and the mail templates are written in YAML, but `go generate` turns them
// into the JSON the functions embed and decode (internal/register's gen
// with registeryaml, internal/mail's gen); only build-time tools and tests
// decode YAML.
func TestFunctionsLinkNoYAML(t *testing.T) {
	root, _ := filepath.Abs("../..")
	// Each main with every package it links, as `make build` builds them
	// for Lambda; and each of those packages with its imports.
	mains := goList(t, root, "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./functions/...")
	imports := goList(t, root, "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./functions/...")
	if len(mains) == 0 {
		t.Fatal("go list ./functions/... lists no functions")
	}
	for _, main := range slices.Sorted(maps.Keys(mains)) {
		deps := mains[main]
		if !slices.Contains(deps, yamlModule) {
			continue
		}
		var importers []string
		for _, p := range deps {
			if slices.Contains(imports[p], yamlModule) {
				importers = append(importers, p)
			}
		}
		slices.Sort(importers)
		t.Errorf("%s links %s (imported by %s): decode the YAML at build time (go generate) and embed JSON instead",
			main, yamlModule, strings.Join(importers, ", "))
	}
}

// goList runs go list with args in dir for the functions' build (linux,
// arm64, no cgo, tag lambda.norpc) and reads each line it prints as a
// package's import path followed by a list of them.
func goList(t *testing.T, dir string, args ...string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-tags", "lambda.norpc"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, stderr)
	}
	pkgs := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			pkgs[fields[0]] = fields[1:]
		}
	}
	return pkgs
}
