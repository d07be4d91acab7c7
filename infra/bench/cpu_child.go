package main

// CPU per operation, the child process (cpu.go): the function built and its
// entry point invoked over and over against the replayed responses, timed by
// the process's CPU, with its CPU and allocation profiles.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"rekisteri/infra/local"
	"rekisteri/internal/awslambda"
	"rekisteri/internal/config"
)

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
