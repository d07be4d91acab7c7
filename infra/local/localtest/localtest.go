// Package localtest gives a package's tests a local stack: every resource of
// template.yaml in the suite's emulators (REKISTERI_TEST_DYNAMODB and
// REKISTERI_TEST_MOTO, set by infra/testenv), or in its own when the test
// is run alone, and the record seam over its tables.
//
// infra/local builds every function, so a package whose function it builds
// can use this only from an external test package (package x_test).
package localtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"rekisteri/infra/local"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Stack starts a local stack whose resources are named prefix and a
// per-run number, so stacks share the emulators. Without the suite's
// emulators the stack starts its own; the test's cleanup stops them. It
// never skips: a stack that cannot start fails the test.
func Stack(t testing.TB, prefix string) *local.Stack {
	t.Helper()
	// Both empty or both set: local.Start starts its own emulators when
	// either is missing, and the stack's Stop ends them.
	ddbURL, motoURL := os.Getenv("REKISTERI_TEST_DYNAMODB"), os.Getenv("REKISTERI_TEST_MOTO")
	stack, err := local.Start(context.Background(), local.Options{
		RepoRoot: repoRoot(t), Prefix: fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e6), PublicBaseURL: "http://127.0.0.1:1",
		DynamoDBURL: ddbURL, MotoURL: motoURL, LogDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Stop)
	return stack
}

// Catalogue is register reg's record seam over s's tables, from the union
// of its functions' environments; every declared table must be there.
func Catalogue(t testing.TB, s *local.Stack, reg string) *record.Catalogue {
	t.Helper()
	env := map[string]string{}
	for _, fn := range s.Env {
		for k, v := range fn {
			env[k] = v
		}
	}
	cat, err := record.FromEnv(register.MustLoad(reg), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, true)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// repoRoot is the directory of go.mod above the test's working directory
// (its package's directory), where template.yaml is.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("localtest: no go.mod above the test's directory")
		}
		dir = parent
	}
}
