// Package repocheck tests the repository itself rather than any capability:
// what a fresh clone builds with.
package repocheck

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// minimumPatch is the first Go 1.26 patch with the html/template and
// net/http fixes every function reaches (1.26.9 and 1.26.10).
const minimumPatch = 10

// TestToolchainPinned fails when go.mod does not pin a Go 1.26 toolchain
// with those fixes, or when the tests (and so the Lambda builds, which go
// through the same Makefile) run on another one.
func TestToolchainPinned(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var pinned string
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "toolchain "); ok {
			pinned = strings.TrimSpace(v)
		}
	}
	patch, ok := strings.CutPrefix(pinned, "go1.26.")
	n, err := strconv.Atoi(patch)
	if !ok || err != nil {
		t.Fatalf("go.mod must pin a Go 1.26 patch with a toolchain line, has %q", pinned)
	}
	if n < minimumPatch {
		t.Errorf("go.mod pins %s; the fixes need go1.26.%d or later", pinned, minimumPatch)
	}
	if got := runtime.Version(); got != pinned {
		t.Errorf("tests run on %s, go.mod pins %s: run them through make (it sets GOTOOLCHAIN=auto) or set GOTOOLCHAIN=auto", got, pinned)
	}
}
