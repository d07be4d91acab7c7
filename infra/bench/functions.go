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
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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

// functionEnv is the environment Lambda would give function name, with the
// template's variables resolved to plausible values and every AWS endpoint
// pointing at endpoint.
func functionEnv(tmpl *local.Template, name, endpoint string) []string {
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":          "bench-" + name,
		"AWS_LAMBDA_FUNCTION_VERSION":       "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":   "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":         "/aws/lambda/bench-" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":        "2026/01/01/[$LATEST]bench",
		"AWS_LAMBDA_LOG_FORMAT":             "JSON",
		"AWS_LAMBDA_LOG_LEVEL":              "INFO",
		"AWS_LAMBDA_INITIALIZATION_TYPE":    "on-demand",
		"AWS_EXECUTION_ENV":                 "AWS_Lambda_provided.al2023",
		"_HANDLER":                          "bootstrap",
		"LAMBDA_TASK_ROOT":                  "/var/task",
		"LAMBDA_RUNTIME_DIR":                "/var/runtime",
		"TZ":                                ":UTC",
		"LANG":                              "en_US.UTF-8",
		"AWS_REGION":                        "eu-north-1",
		"AWS_DEFAULT_REGION":                "eu-north-1",
		"AWS_ACCESS_KEY_ID":                 "ASIABENCHBENCHBENCH0",
		"AWS_SECRET_ACCESS_KEY":             "bench/bench/bench/bench/bench/bench/bench",
		"AWS_SESSION_TOKEN":                 "bench-session-token",
		"AWS_ENDPOINT_URL":                  endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB":         endpoint,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint,
	}
	rv := resolver{tmpl: tmpl, endpoint: endpoint}
	for k, v := range tmpl.GlobalEnv {
		env[k] = rv.str(v)
	}
	for k, v := range asMap(asMap(tmpl.Resources[name].Properties["Environment"])["Variables"]) {
		env[k] = rv.str(v)
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// resolver gives template intrinsics the values CloudFormation would give
// them in a stack named "bench", without creating anything.
type resolver struct {
	tmpl     *local.Template
	endpoint string
}

const benchAccount = "000000000000"

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

func (rv resolver) str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case local.Ref:
		return rv.ref(x.Name)
	case local.GetAtt:
		return rv.att(x.Resource, x.Attribute)
	case local.Sub:
		return subVar.ReplaceAllStringFunc(x.Format, func(m string) string {
			n := m[2 : len(m)-1]
			if res, attr, ok := strings.Cut(n, "."); ok {
				return rv.att(res, attr)
			}
			return rv.ref(n)
		})
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (rv resolver) ref(name string) string {
	switch name {
	case "AWS::Region":
		return "eu-north-1"
	case "AWS::AccountId":
		return benchAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return "bench"
	}
	if name == "PublicBaseURL" {
		return "http://bench.local"
	}
	if v, ok := rv.tmpl.Parameters[name]; ok {
		return v
	}
	phys := "bench-" + name
	switch rv.tmpl.Resources[name].Type {
	case "AWS::SQS::Queue":
		return strings.TrimRight(rv.endpoint, "/") + "/" + benchAccount + "/" + phys
	case "AWS::SecretsManager::Secret":
		return "arn:aws:secretsmanager:eu-north-1:" + benchAccount + ":secret:" + phys + "-AbCdEf"
	case "AWS::KMS::Key":
		return "0b5e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4"
	case "AWS::S3::Bucket":
		return strings.ToLower(phys)
	case "AWS::SNS::Topic":
		return "arn:aws:sns:eu-north-1:" + benchAccount + ":" + phys
	case "AWS::SES::EmailIdentity":
		return rv.str(rv.tmpl.Resources[name].Properties["EmailIdentity"])
	}
	return phys
}

func (rv resolver) att(res, attr string) string {
	phys := "bench-" + res
	switch attr {
	case "Arn":
		svc := map[string]string{
			"AWS::DynamoDB::Table": "dynamodb", "AWS::SQS::Queue": "sqs", "AWS::KMS::Key": "kms",
			"AWS::SecretsManager::Secret": "secretsmanager", "AWS::SNS::Topic": "sns",
		}[rv.tmpl.Resources[res].Type]
		switch svc {
		case "dynamodb":
			return "arn:aws:dynamodb:eu-north-1:" + benchAccount + ":table/" + phys
		case "kms":
			return "arn:aws:kms:eu-north-1:" + benchAccount + ":key/" + rv.ref(res)
		case "":
			svc = "bench"
		}
		return "arn:aws:" + svc + ":eu-north-1:" + benchAccount + ":" + phys
	case "QueueUrl":
		return rv.ref(res)
	}
	return phys
}

// startOnce starts bin under a fake Lambda Runtime API and returns the time
// from exec to its first GET /next, and how many connections it had opened
// to the AWS endpoint by then.
func startOnce(ctx context.Context, bin string, env func(endpoint string) []string) (time.Duration, int, error) {
	awsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer awsLn.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := awsLn.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_ = c.Close()
		}
	}()

	type readyAt struct {
		t     time.Time
		conns int64
	}
	ready := make(chan readyAt, 1)
	initErr := make(chan string, 1)
	release := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		at := readyAt{t: time.Now(), conns: conns.Load()}
		once.Do(func() { ready <- at })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case initErr <- string(b):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // runs before srv.Close: the blocked /next returns

	endpoint := "http://" + awsLn.Addr().String()
	cmd := exec.Command(bin)
	cmd.Env = append(env(endpoint), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"))
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	select {
	case at := <-ready:
		stop()
		return at.t.Sub(t0), int(at.conns), nil
	case msg := <-initErr:
		stop()
		return 0, 0, fmt.Errorf("init error reported: %s\n%s", msg, out.String())
	case err := <-exited:
		return 0, 0, fmt.Errorf("exited before asking for an event (%v)\n%s", err, out.String())
	case <-time.After(10 * time.Second):
		stop()
		return 0, 0, fmt.Errorf("not ready after 10 s\n%s", out.String())
	case <-ctx.Done():
		stop()
		return 0, 0, ctx.Err()
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
