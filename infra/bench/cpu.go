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
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/infra/local"
	"rekisteri/internal/awslambda"
	"rekisteri/internal/config"
	"rekisteri/internal/helsinki"
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

// httpEvent builds the payload 2.0 event API Gateway's HTTP API sends for a
// JSON POST, with the headers a browser and the API add.
func httpEvent(path string, body map[string]any) []byte {
	raw, _ := json.Marshal(body)
	host := "a1b2c3d4e5.execute-api.eu-north-1.amazonaws.com"
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path,
		Headers: map[string]string{
			"accept": "application/json", "accept-language": "fi-FI,fi;q=0.9,en;q=0.8", "content-length": strconv.Itoa(len(raw)),
			"content-type": "application/json", "host": host, "origin": "https://www.example.org",
			"user-agent":      "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
			"x-amzn-trace-id": "Root=1-681b2a48-3f0c1e2d4b5a69788796a5b4", "x-forwarded-for": "203.0.113.7",
			"x-forwarded-port": "443", "x-forwarded-proto": "https",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "a1b2c3d4e5", DomainName: host, DomainPrefix: "a1b2c3d4e5",
			RequestID: "J8kQwhGbgi0EJjQ=", RouteKey: "POST " + path, Stage: "$default",
			Time: "07/May/2026:09:30:00 +0000", TimeEpoch: 1778146200000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7",
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"},
		},
		Body: string(raw),
	}
	out, _ := json.Marshal(ev)
	return out
}

// invokeRecorded runs one event through the function's entry point on the
// stack and returns the AWS calls it made.
func (b *bench) invokeRecorded(ctx context.Context, name, function string, event []byte, want int) (cpuOp, error) {
	op := cpuOp{Name: name, Function: function, Event: event, Want: want}
	mark := b.rec2.mark()
	out, err := b.stack.Functions[function].Entry().Invoke(ctx, event)
	if err != nil {
		return op, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkAnswer(out, want); err != nil {
		return op, fmt.Errorf("%s on the stack: %w", name, err)
	}
	op.Calls = b.rec2.since(mark)
	return op, nil
}

func checkAnswer(out []byte, want int) error {
	var resp struct {
		StatusCode        int               `json:"statusCode"`
		BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("answer %q: %w", out, err)
	}
	if resp.StatusCode != want || len(resp.BatchItemFailures) > 0 {
		return fmt.Errorf("answered %s, want status %d and no failed messages", out, want)
	}
	return nil
}

// recordCPU runs each operation once on the stack with its AWS responses
// recorded. It comes first, so the first calls of each function (the
// secrets) are recorded too, for the children's first invocation.
func (b *bench) recordCPU(ctx context.Context) ([]cpuOp, []exchange, error) {
	progress("CPU: recording each operation's AWS responses on the stack")
	b.rec2.set(true)
	defer b.rec2.set(false)
	var ops []cpuOp
	add := func(op cpuOp, err error) error {
		if err == nil {
			ops = append(ops, op)
		}
		return err
	}
	// Warm-ups read the secrets; their responses are the children's too.
	if err := b.mustSignup(ctx, b.address()); err != nil {
		return nil, nil, err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return nil, nil, err
	}
	addr := b.address()
	if err := add(b.invokeRecorded(ctx, "signup", "NewsletterFunction",
		httpEvent("/newsletter/subscribe", map[string]any{"email": addr, "name": "Vera Visitor", "lists": []string{"newsletter"}, "consent": true, "lang": "fi"}), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	ev, done, err := b.mailEvent(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := add(b.invokeRecorded(ctx, "signup's mail", "MailerFunction", ev, 0)); err != nil {
		return nil, nil, err
	}
	if err := done(); err != nil {
		return nil, nil, err
	}
	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	if err := add(b.invokeRecorded(ctx, "confirm", "NewsletterFunction",
		httpEvent("/newsletter/confirm", map[string]any{"token": tok, "lang": "fi"}), http.StatusOK)); err != nil {
		return nil, nil, err
	}
	day := helsinki.Today(time.Now()).AddDate(0, 0, 21).Format("2006-01-02")
	card := func(addr string) map[string]any {
		return map[string]any{"resource": "guide", "date": day, "start": "13:00", "end": "14:00", "participants": 5,
			"first_name": "Bench", "last_name": "Mark", "email": addr, "payment": "card", "lang": "fi"}
	}
	if code, body := b.post(ctx, "/bookings", card(b.address())); code != http.StatusAccepted {
		return nil, nil, fmt.Errorf("booking warm-up answered %d: %s", code, body)
	}
	if err := add(b.invokeRecorded(ctx, "card booking", "BookingsFunction", httpEvent("/bookings", card(b.address())), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	today := time.Now().UTC().Format("2006-01-02")
	survey := map[string]any{"visit_date": today, "visit_reason": "exhibition", "age_group": "30-44", "feedback": "Hyvä näyttely", "lang": "fi"}
	if code, body := b.post(ctx, "/feedback", survey); code != http.StatusAccepted {
		return nil, nil, fmt.Errorf("feedback warm-up answered %d: %s", code, body)
	}
	if err := add(b.invokeRecorded(ctx, "anonymous survey answer", "FeedbackFunction", httpEvent("/feedback", survey), http.StatusAccepted)); err != nil {
		return nil, nil, err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return nil, nil, err
	}
	return ops, b.rec2.all(), nil
}

// mailEvent takes the one message on the mail queue and makes the SQS event
// Lambda would deliver; done deletes the message once it is handled.
func (b *bench) mailEvent(ctx context.Context) ([]byte, func() error, error) {
	api, q := b.stack.Clients().SQS, b.stack.Resolve("MailQueue")
	for range 20 {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 1, VisibilityTimeout: 60,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			return nil, nil, err
		}
		if len(out.Messages) == 0 {
			continue
		}
		m := out.Messages[0]
		ev := events.SQSEvent{Records: []events.SQSMessage{{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-north-1:123456789012:MailQueue", AWSRegion: "eu-north-1",
			MessageAttributes: map[string]events.SQSMessageAttribute{}, Md5OfBody: aws.ToString(m.MD5OfBody),
		}}}
		raw, _ := json.Marshal(ev)
		return raw, func() error {
			_, err := api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
			return err
		}, nil
	}
	return nil, nil, errors.New("no message on the mail queue after the signup")
}

// cpuRecorded is what the children need from the stack: the operations and
// every function's environment.
type cpuRecorded struct {
	ops      []cpuOp
	fallback []exchange
	env      map[string]map[string]string
}

// recordForCPU records the operations on the stack.
func (b *bench) recordForCPU(ctx context.Context) (*cpuRecorded, error) {
	ops, fallback, err := b.recordCPU(ctx)
	if err != nil {
		return nil, fmt.Errorf("CPU recording: %w", err)
	}
	return &cpuRecorded{ops: ops, fallback: fallback, env: b.stack.Env}, nil
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

// cpuChild is the child process: it builds the function and measures each
// operation's entry-point calls over the replayed responses.
func cpuChild(inPath, outPath string) error {
	raw, err := os.ReadFile(inPath)
	if err != nil {
		return err
	}
	var in cpuInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	// The Lambda main's own log handler, writing to stdout as in Lambda.
	slog.SetDefault(slog.New(lambdacontext.NewLogHandler()))
	rp := newReplay(in.Fallback)
	awsCfg, err := awslambda.AWSConfig(os.LookupEnv)
	if err != nil {
		return err
	}
	awsCfg.HTTPClient = &http.Client{Transport: rp}
	build, ok := local.Constructors[in.Function]
	if !ok {
		return fmt.Errorf("no constructor for %s", in.Function)
	}
	ctx := context.Background()
	fn, err := build(ctx, config.Map(in.Env), awsCfg)
	if err != nil {
		return err
	}
	entry := fn.Entry()
	lc := &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		InvokedFunctionArn: "arn:aws:lambda:eu-north-1:123456789012:function:" + in.Function}
	var results []cpuResult
	for _, op := range in.Ops {
		r := cpuResult{Name: op.Name, Function: op.Function}
		if err := measureOp(ctx, lc, entry.Invoke, rp, op, in, &r); err != nil {
			r.Err = err.Error()
		}
		results = append(results, r)
	}
	// The allocation profiles come after every operation's timed rounds:
	// the sampled objects' records cost the sweeps that follow.
	for i, op := range in.Ops {
		if results[i].Err != "" || results[i].Profile == "" {
			continue
		}
		rp.load(op.Calls)
		call := func() ([]byte, error) { return entry.Invoke(lambdacontext.NewContext(ctx, lc), op.Event) }
		if err := allocProfile(call, strings.TrimSuffix(results[i].Profile, ".pprof")+".alloc.pprof"); err != nil {
			results[i].Err = err.Error()
		}
	}
	out, _ := json.Marshal(results)
	return os.WriteFile(outPath, out, 0o600)
}

func measureOp(ctx context.Context, lc *lambdacontext.LambdaContext, invoke func(context.Context, []byte) ([]byte, error), rp *replay, op cpuOp, in cpuInput, r *cpuResult) error {
	rp.load(op.Calls)
	call := func() ([]byte, error) { return invoke(lambdacontext.NewContext(ctx, lc), op.Event) }
	// Warm: the first invocation reads the secrets (from the fallback).
	for range 3 {
		out, err := call()
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if err := checkAnswer(out, op.Want); err != nil {
			return fmt.Errorf("warm-up over the replay: %w", err)
		}
	}
	rp.enforce()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	total := 0
	var walls []float64
	for range in.Rounds {
		n := 0
		cpu0 := processCPU()
		start := time.Now()
		for processCPU()-cpu0 < in.Round {
			for range 20 {
				if _, err := call(); err != nil {
					return err
				}
			}
			n += 20
		}
		walls = append(walls, float64(time.Since(start).Nanoseconds())/float64(n))
		r.Rounds = append(r.Rounds, float64((processCPU()-cpu0).Nanoseconds())/float64(n))
		total += n
	}
	slices.Sort(walls)
	r.WallPerOp = walls[len(walls)/2]
	runtime.ReadMemStats(&m1)
	r.Ops = total
	r.BytesPerOp = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(total)
	r.AllocsPerOp = float64(m1.Mallocs-m0.Mallocs) / float64(total)
	sorted := slices.Clone(r.Rounds)
	sort.Float64s(sorted)
	r.NsPerOp = sorted[len(sorted)/2]
	out, err := call()
	if err == nil {
		err = checkAnswer(out, op.Want)
	}
	if err != nil {
		return fmt.Errorf("after measuring: %w", err)
	}
	rp.mu.Lock()
	diverged := slices.Clone(rp.diverged)
	rp.mu.Unlock()
	if len(diverged) > 0 {
		return fmt.Errorf("calls not in the recording: %v", diverged)
	}
	// A separate run under the profiler, so its cost is not in the figures.
	prof := filepath.Join(in.ProfDir, "cpu-"+strings.NewReplacer(" ", "-", "'", "").Replace(op.Name)+".pprof")
	f, err := os.Create(prof)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	for cpu0 := processCPU(); processCPU()-cpu0 < in.Profile; {
		if _, err := call(); err != nil {
			pprof.StopCPUProfile()
			return err
		}
	}
	pprof.StopCPUProfile()
	r.Profile = prof
	return nil
}

// allocProfile writes where the operation allocates: 500 calls with every
// 64th byte sampled, after every operation's timed rounds and CPU profile
// (so none pays for the sampling); `go tool pprof -sample_index=alloc_space`
// reads it.
func allocProfile(call func() ([]byte, error), path string) error {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 64
	defer func() { runtime.MemProfileRate = rate }()
	for range 500 {
		if _, err := call(); err != nil {
			return err
		}
	}
	runtime.GC() // the profile holds allocations up to the last GC
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// processCPU is the CPU time the process has used, every thread's, user and
// system: on a shared machine, the time waiting for a core is not in it.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func us(ns float64) float64 { return ns / 1e3 }

func printCPU(w io.Writer, rep *cpuReport) {
	var env []string
	for k, v := range rep.GoEnv {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	pin := "taskset missing: not pinned"
	if rep.Pinned != "" {
		pin = "taskset -c " + rep.Pinned
	}
	fmt.Fprintf(w, "\nCPU per operation: Lambda entry point to return, AWS SDK included, recorded responses replayed (emulators idle);\n"+
		"one child process per function, one core (%s, %s, GO* from template.yaml Globals);\n"+
		"CPU = the process's user+system time (getrusage) per op, median of the rounds; wall for comparison\n", strings.Join(env, " "), pin)
	tw := table(w)
	row(tw, "operation", "function", "CPU/op", "rounds (min–max)", "wall/op", "B/op", "allocs/op", "goal", "result")
	by := map[string]cpuResult{}
	for _, r := range rep.Results {
		by[r.Name] = r
		if r.Err != "" {
			row(tw, r.Name, r.Function, "-", "-", "-", "-", "-", "-", "ERROR: "+r.Err)
			continue
		}
		goal, res := "-", "info"
		if r.Name == "signup" {
			goal, res = fmt.Sprintf("≤ %.0f µs", signupCPUGoal), verdict(us(r.NsPerOp) <= signupCPUGoal)
		}
		lo, hi := slices.Min(r.Rounds), slices.Max(r.Rounds)
		row(tw, r.Name, r.Function, fmt.Sprintf("%.0f µs", us(r.NsPerOp)), fmt.Sprintf("%.0f–%.0f µs", us(lo), us(hi)), fmt.Sprintf("%.0f µs", us(r.WallPerOp)),
			fmt.Sprintf("%.0f", r.BytesPerOp), fmt.Sprintf("%.0f", r.AllocsPerOp), goal, res)
	}
	s, m := by["signup"], by["signup's mail"]
	if s.Err == "" && m.Err == "" && s.NsPerOp > 0 && m.NsPerOp > 0 {
		sum := us(s.NsPerOp + m.NsPerOp)
		row(tw, "signup + its mail", "", fmt.Sprintf("%.0f µs", sum), "", "", fmt.Sprintf("%.0f", s.BytesPerOp+m.BytesPerOp),
			fmt.Sprintf("%.0f", s.AllocsPerOp+m.AllocsPerOp), fmt.Sprintf("≤ %.0f µs", signupMailCPUGoal), verdict(sum <= signupMailCPUGoal))
	}
	tw.Flush()
	for _, r := range rep.Results {
		if len(r.Top) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n  pprof of %s, by part (cumulative): %s\n", r.Name, strings.Join(r.Where, " · "))
		fmt.Fprintf(w, "  top (flat, flat%%, sum%%, cum, cum%%, function):\n")
		for _, l := range r.Top {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}
