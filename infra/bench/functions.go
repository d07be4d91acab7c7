package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"rekisteri/infra/local"
)

// zipGoal is DESIGN §5's limit on a function's deployment package.
const zipGoal = 5 << 20

// readyGoal is DESIGN §5's limit on process start → first /next.
const readyGoal = 15 * time.Millisecond

// typesOnly are SDK service modules linked for their types only: the
// attributevalue package converts DynamoDB Streams records, so every
// DynamoDB user links dynamodbstreams/types without a client.
var typesOnly = map[string]bool{"dynamodbstreams": true}

// iamToModule maps an IAM action prefix to the SDK module that calls it.
var iamToModule = map[string]string{
	"dynamodb": "dynamodb", "sqs": "sqs", "ses": "sesv2",
	"secretsmanager": "secretsmanager", "kms": "kms", "s3": "s3",
}

// fnResult is what was measured of one function.
type fnResult struct {
	Name, Dir string
	ZipBytes  int64
	Linked    []string // SDK service modules in the binary
	Called    []string // services the policy lets it call, as SDK module names
	Extra     []string // linked, not called, not types-only
	Unlinked  []string // called per policy, not linked (e.g. kms: used by SSE only)
	Ready     []time.Duration
	NetAtInit int // most connections to the AWS endpoint seen before ready, over all runs
}

func (r fnResult) median() time.Duration {
	s := slices.Clone(r.Ready)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// functionDir maps a logical id to its main package: NewsletterFunction → functions/newsletter.
func functionDir(logical string) string {
	return filepath.Join("functions", strings.ToLower(strings.TrimSuffix(logical, "Function")))
}

// measureFunctions builds and measures every AWS::Serverless::Function.
func measureFunctions(ctx context.Context, root, tmp string, runs int) ([]fnResult, error) {
	tmpl, err := local.ReadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	names := tmpl.Names("AWS::Serverless::Function")
	if len(names) == 0 {
		return nil, errors.New("template.yaml declares no AWS::Serverless::Function")
	}
	var out []fnResult
	for _, name := range names {
		r, err := measureFunction(ctx, root, tmp, runs, tmpl, name)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func measureFunction(ctx context.Context, root, tmp string, runs int, tmpl *local.Template, name string) (fnResult, error) {
	r := fnResult{Name: name, Dir: functionDir(name)}
	if st, err := os.Stat(filepath.Join(root, r.Dir)); err != nil || !st.IsDir() {
		return r, fmt.Errorf("no main package at %s", r.Dir)
	}
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(filepath.Join(dir, "arm64"), 0o755); err != nil {
		return r, err
	}
	progress("building %s for linux/arm64", name)
	armBin := filepath.Join(dir, "arm64", "bootstrap")
	if err := goBuild(ctx, root, "linux", "arm64", r.Dir, armBin); err != nil {
		return r, err
	}
	var err error
	if r.ZipBytes, err = zipSize(armBin, filepath.Join(dir, "function.zip")); err != nil {
		return r, err
	}
	if r.Linked, err = linkedServices(armBin); err != nil {
		return r, err
	}
	r.Called = calledServices(tmpl.Resources[name].Properties)
	for _, s := range r.Linked {
		if !slices.Contains(r.Called, s) && !typesOnly[s] {
			r.Extra = append(r.Extra, s)
		}
	}
	for _, s := range r.Called {
		if !slices.Contains(r.Linked, s) {
			r.Unlinked = append(r.Unlinked, s)
		}
	}

	progress("building %s for %s/%s and starting it %d times", name, runtime.GOOS, runtime.GOARCH, runs)
	hostBin := filepath.Join(dir, "host", "bootstrap")
	if err := os.MkdirAll(filepath.Dir(hostBin), 0o755); err != nil {
		return r, err
	}
	if err := goBuild(ctx, root, runtime.GOOS, runtime.GOARCH, r.Dir, hostBin); err != nil {
		return r, err
	}
	for i := 0; i < runs; i++ {
		d, conns, err := startOnce(ctx, hostBin, func(endpoint string) []string { return functionEnv(tmpl, name, endpoint) })
		if err != nil {
			return r, fmt.Errorf("start run %d: %w", i+1, err)
		}
		r.Ready = append(r.Ready, d)
		r.NetAtInit = max(r.NetAtInit, conns)
	}
	return r, nil
}

// goBuild builds pkg the way the deployment build does.
func goBuild(ctx context.Context, root, goos, goarch, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, "./"+filepath.ToSlash(pkg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s (%s/%s): %w\n%s", pkg, goos, goarch, err, stderr.String())
	}
	return nil
}

// zipSize packs bin as the deployment zip (one file "bootstrap", mode 0755,
// Deflate at best compression) and returns the zip's size.
func zipSize(bin, zipPath string) (int64, error) {
	src, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	f, err := os.Create(zipPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, src); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// linkedServices lists the aws-sdk-go-v2 service modules compiled into bin.
func linkedServices(bin string) ([]string, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read build info: %w", err)
	}
	const prefix = "github.com/aws/aws-sdk-go-v2/service/"
	var out []string
	for _, m := range info.Deps {
		name, ok := strings.CutPrefix(m.Path, prefix)
		if !ok || strings.HasPrefix(name, "internal/") {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// calledServices reads the services a function's policy statements allow,
// as SDK module names.
func calledServices(props map[string]any) []string {
	seen := map[string]bool{}
	for _, p := range asList(props["Policies"]) {
		for _, st := range asList(asMap(p)["Statement"]) {
			var actions []string
			switch a := asMap(st)["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					if s, ok := x.(string); ok {
						actions = append(actions, s)
					}
				}
			}
			for _, a := range actions {
				svc, _, _ := strings.Cut(a, ":")
				svc = strings.ToLower(svc)
				if m, ok := iamToModule[svc]; ok {
					svc = m
				}
				seen[svc] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }
