package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
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

// iamToModule maps an IAM action prefix to the SDK module that calls it.
var iamToModule = map[string]string{
	"dynamodb": "dynamodb", "sqs": "sqs", "ses": "sesv2",
	"secretsmanager": "secretsmanager", "kms": "kms", "s3": "s3",
}

// fnResult is what was measured of one function.
type fnResult struct {
	Name, Dir string
	ZipBytes  int64
	Linked    []string // SDK services whose client the binary can build (their New is in it)
	Modules   []string // SDK service modules in the binary without a client (types, a package's init)
	Called    []string // services the policy lets it call, as SDK module names
	Extra     []string // a client it can build, not in its policy
	Unlinked  []string // called per policy, no client (e.g. kms: used by SSE only)
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
	if r.Linked, r.Modules, err = linkedServices(armBin); err != nil {
		return r, err
	}
	r.Called = calledServices(tmpl.Resources[name].Properties)
	for _, s := range r.Linked {
		if !slices.Contains(r.Called, s) {
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

// linkedServices lists the aws-sdk-go-v2 services whose client bin can
// build, and the service modules compiled into it without one. A client is
// there when the service's New is: the linker keeps only the functions the
// main reaches, so a package linked for its types (attributevalue links
// dynamodbstreams/types), or imported by a constructor of the same package
// that this main never calls (library.Function's SQS and Secrets Manager in
// LibraryTransferFunction), has none, and no code of the function could
// call that service. The function table is read from .gopclntab, which a
// stripped (-s -w) Go binary keeps for its tracebacks.
func linkedServices(bin string) (clients, modules []string, err error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, nil, fmt.Errorf("read build info: %w", err)
	}
	funcs, err := funcNames(bin)
	if err != nil {
		return nil, nil, err
	}
	const prefix = "github.com/aws/aws-sdk-go-v2/service/"
	for _, m := range info.Deps {
		name, ok := strings.CutPrefix(m.Path, prefix)
		if !ok || strings.HasPrefix(name, "internal/") {
			continue
		}
		if funcs[m.Path+".New"] {
			clients = append(clients, name)
		} else {
			modules = append(modules, name)
		}
	}
	sort.Strings(clients)
	sort.Strings(modules)
	return slices.Compact(clients), slices.Compact(modules), nil
}

// funcNames are the functions of the ELF Go binary bin, by full name.
func funcNames(bin string) (map[string]bool, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil, fmt.Errorf("%s: no .gopclntab or .text section", bin)
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("%s: function table: %w", bin, err)
	}
	out := make(map[string]bool, len(tab.Funcs))
	for _, fn := range tab.Funcs {
		out[fn.Name] = true
	}
	return out, nil
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
