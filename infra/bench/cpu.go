package main

// CPU per operation (DESIGN §5): each operation is run once on the local
// stack with its AWS responses recorded, then, in a child process per
// function pinned to one core (GOMAXPROCS=1, taskset), the function is built
// by the same constructor its Lambda main calls and its Lambda entry point is
// invoked over and over with the same event while an http.RoundTripper
// replays the recorded responses. The emulators do no work while the clock
// runs, so time per operation is the function's own CPU, SDK included.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Goals of DESIGN §5, in microseconds of function CPU.
const (
	signupCPUGoal     = 100.0
	signupMailCPUGoal = 300.0
)

// cpuOp is one recorded operation: the event its function's entry point got
// and the AWS responses it was answered with.
type cpuOp struct {
	Name     string
	Function string // logical id in template.yaml
	Event    []byte
	Calls    []exchange
	// Want is what the entry point answered on the stack: the HTTP status,
	// or 0 for a queue batch (which must report no failures).
	Want int
}

// cpuInput is what a child process gets: its function's environment and
// the operations to measure.
type cpuInput struct {
	Function string
	Env      map[string]string
	Fallback []exchange
	Ops      []cpuOp
	Rounds   int
	Round    time.Duration
	Profile  time.Duration
	ProfDir  string
}

// cpuResult is one operation measured.
type cpuResult struct {
	Name, Function string
	NsPerOp        float64   // CPU (user+system, getrusage) per op, median of the rounds
	Rounds         []float64 // CPU ns/op of each round
	WallPerOp      float64   // wall ns/op, median of the rounds (on a busy machine it includes waiting)
	BytesPerOp     float64
	AllocsPerOp    float64
	Ops            int
	Profile        string // pprof file
	Top            []string
	Where          []string // share of the profile by part: "SigV4 12%"
	Err            string
}

type cpuReport struct {
	Results []cpuResult
	GoEnv   map[string]string // GOGC, GOMEMLIMIT, GOMAXPROCS the children ran with
	Pinned  string            // taskset CPU list, or "" when taskset is missing
}

// measureCPU measures the recorded operations in one child process per
// function. It runs once the emulators are stopped, so that they do not
// share the core (or its sibling) while the clock runs.
func measureCPU(ctx context.Context, rec *cpuRecorded, tmp string, rounds int, profile time.Duration) (*cpuReport, error) {
	ops, fallback := rec.ops, rec.fallback
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rep := &cpuReport{GoEnv: map[string]string{"GOMAXPROCS": "1"}}
	var pin []string
	if ts, err := exec.LookPath("taskset"); err == nil {
		rep.Pinned = strconv.Itoa(runtime.NumCPU() - 1)
		pin = []string{ts, "-c", rep.Pinned}
	}
	byFn := map[string][]cpuOp{}
	var order []string
	for _, op := range ops {
		if byFn[op.Function] == nil {
			order = append(order, op.Function)
		}
		byFn[op.Function] = append(byFn[op.Function], op)
	}
	results := map[string]cpuResult{}
	for _, fn := range order {
		env := rec.env[fn]
		in := cpuInput{Function: fn, Env: env, Fallback: fallback, Ops: byFn[fn], Rounds: rounds,
			Round: 200 * time.Millisecond, Profile: profile, ProfDir: tmp}
		inPath, outPath := filepath.Join(tmp, "cpu-"+fn+".json"), filepath.Join(tmp, "cpu-"+fn+".out.json")
		raw, _ := json.Marshal(in)
		if err := os.WriteFile(inPath, raw, 0o600); err != nil {
			return nil, err
		}
		// The child's process environment is the function's: Lambda puts
		// the template's variables (GOGC, GOMEMLIMIT among them) in the
		// process environment, where the Go runtime reads them at start.
		childEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GOMAXPROCS=1", "AWS_REGION=eu-north-1",
			"AWS_ACCESS_KEY_ID=AKIDBENCHREPLAY", "AWS_SECRET_ACCESS_KEY=bench-replay-secret", "AWS_LAMBDA_FUNCTION_NAME=" + fn,
			// template.yaml LoggingConfig: JSON at INFO, as Lambda tells the runtime.
			"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO"}
		for k, v := range env {
			if strings.HasPrefix(k, "GO") {
				childEnv = append(childEnv, k+"="+v)
				rep.GoEnv[k] = v
			}
		}
		args := append(slices.Clone(pin), exe, "-cpu-child", inPath, "-cpu-out", outPath)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = childEnv
		var stderr bytes.Buffer
		cmd.Stderr = &stderr // stdout, the functions' logs, is discarded as CloudWatch would take it
		progress("CPU: measuring %s (%d operations) in a child pinned to CPU %s", fn, len(in.Ops), rep.Pinned)
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("CPU child %s: %w: %s", fn, err, stderr.String())
		}
		var res []cpuResult
		raw, err = os.ReadFile(outPath)
		if err == nil {
			err = json.Unmarshal(raw, &res)
		}
		if err != nil {
			return nil, fmt.Errorf("CPU child %s: %w", fn, err)
		}
		for _, r := range res {
			r.Top = pprofTop(ctx, r.Profile)
			r.Where = pprofWhere(ctx, r.Profile)
			results[r.Name] = r
		}
	}
	for _, op := range ops {
		rep.Results = append(rep.Results, results[op.Name])
	}
	return rep, nil
}

// pprofTop is the profile's top consumers by own time, as `go tool pprof -top` lists them.
func pprofTop(ctx context.Context, file string) []string {
	if file == "" {
		return nil
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=8", file).Output()
	if err != nil {
		return []string{"(pprof: " + err.Error() + ")"}
	}
	var top []string
	seen := false
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "flat%") {
			seen = true
			continue
		}
		if seen && strings.TrimSpace(l) != "" {
			top = append(top, strings.TrimSpace(l))
		}
	}
	return top
}

// profileParts are the parts of an operation the review named, by the
// function whose cumulative time is the part's.
var profileParts = []struct{ name, fn string }{
	{"GC mark", "runtime.gcBgMarkWorker"},
	{"malloc", "runtime.mallocgc"},
	{"entry: event decode", "rekisteri/internal/awslambda.unmarshalEvent"},
	{"HTTP handler (incl. conversion)", "rekisteri/internal/awslambda.proxy"},
	{"HTTP event → request", "rekisteri/internal/awslambda.eventRequest"},
	{"AWS calls (whole SDK)", "github.com/aws/smithy-go/middleware.decoratedHandler.Handle"},
	{"SigV4 signing", "github.com/aws/aws-sdk-go-v2/aws/signer/v4.Signer.SignHTTP"},
	{"marshal", "rekisteri/internal/dynamo.MarshalMap"},
	{"unmarshal", "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue.Unmarshal"},
	{"MIME build", "rekisteri/internal/sesmail.Build"},
	{"mail render", "rekisteri/internal/mail.Render"},
	{"logging", "log/slog.(*Logger).log"},
	{"replay transport (stands for the wire)", "main.(*replay).RoundTrip"},
}

// pprofWhere is the share of the profile each part took (cumulative).
func pprofWhere(ctx context.Context, file string) []string {
	if file == "" {
		return nil
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=2000", file).Output()
	if err != nil {
		return nil
	}
	cum := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 6 && strings.HasSuffix(f[4], "%") {
			name := strings.Join(f[5:], " ")
			if _, ok := cum[name]; !ok {
				cum[name] = f[4]
			}
		}
	}
	var parts []string
	for _, p := range profileParts {
		best := ""
		for name, pct := range cum {
			if strings.HasSuffix(name, p.fn) || strings.HasPrefix(name, p.fn) || strings.Contains(name, p.fn) {
				if best == "" || pctVal(pct) > pctVal(best) {
					best = pct
				}
			}
		}
		if best != "" {
			parts = append(parts, p.name+" "+best)
		}
	}
	return parts
}

func pctVal(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return v
}
