package record

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// handWritten is how code computes or writes an expiry itself: the retention
// attributes by name, or dynamo.Expires.
var handWritten = regexp.MustCompile(`\b(expiresAt|expiryBucket|purgeAt|expiryRule)\b|dynamo\.Expires\(`)

// TestNoCapabilityWritesRetentionByHand: outside this seam (its operations
// in recordstore, and dynamo's
// definition of the attributes), no code names a retention attribute or
// computes an expiry. Tests may, to check what the seam wrote.
func TestNoCapabilityWritesRetentionByHand(t *testing.T) {
	root := filepath.Join("..", "..")
	allowed := []string{filepath.Join("internal", "record"), filepath.Join("internal", "recordstore"), filepath.Join("internal", "dynamo")}
	checked := 0
	for _, dir := range []string{"internal", "infra", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if d.IsDir() {
				if d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			for _, a := range allowed {
				if strings.HasPrefix(rel, a+string(filepath.Separator)) {
					return nil
				}
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			for i, line := range strings.Split(string(src), "\n") {
				if handWritten.MatchString(line) {
					t.Errorf("%s:%d writes retention by hand (say the state through internal/record): %s", rel, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: is the walk rooted right?", checked)
	}
}
