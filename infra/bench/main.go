// Command bench is `make bench`: the numbers DESIGN §5 sets goals for,
// measured with counters wherever a counter exists, so they hold on a noisy
// machine. For every function of template.yaml: the arm64 zip's size, the
// AWS services its binary links against the ones its policy lets it call,
// process start → ready under a fake Lambda Runtime API, and connections
// made during init. For the newsletter, on the local stack: AWS calls and
// consumed capacity of a signup and a confirm, mail sent when every queue
// message is delivered twice, and what becomes of accepted signups when 10 %
// of AWS calls fail and the system then heals (faults off, two minutes
// simulated by backdating the outbox, relay run, DLQ redriven).
//
// It prints a table with each row's goal and PASS or MISS, and exits
// non-zero only when it could not measure; a missed goal is a result.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	root := flag.String("root", ".", "repository root (template.yaml, functions/, infra/emulators)")
	runs := flag.Int("runs", 20, "process starts per function; the median is reported")
	nDup := flag.Int("dup", 20, "signups in the duplicate-delivery run")
	nFaults := flag.Int("faults", 50, "signups in the fault-injection run")
	nCampaign := flag.Int("campaign", 50000, "subscribers of the campaign whose page writer is measured (0: skip the campaign rows)")
	nCampaignMail := flag.Int("campaign-mail", 1000, "subscribers of the campaign sent through the mailer")
	seed := flag.Uint64("seed", 1, "seed of the injected faults")
	skipFunctions := flag.Bool("skip-functions", false, "skip the per-function measurements")
	skipStack := flag.Bool("skip-stack", false, "skip the measurements on the local stack")
	keep := flag.Bool("keep", false, "keep the scratch directory (binaries, zips, logs, CPU profiles)")
	cpuRounds := flag.Int("cpu-rounds", 9, "timed rounds of 0.2 s CPU per operation in the CPU measurement (0: skip it)")
	cpuProfile := flag.Duration("cpu-profile", 2*time.Second, "CPU time per operation under the profiler (pprof parts and top)")
	cpuOnly := flag.Bool("cpu-only", false, "on the local stack, measure only the CPU per operation")
	sweep := flag.String("sweep", cmp.Or(os.Getenv("BENCH_SWEEP"), "100k"), "retention sweep rows: 100k, 1m (adds the 1 M rows; tables kept in .local/bench-data) or off; default $BENCH_SWEEP")
	sweepOnly := flag.Bool("sweep-only", false, "measure only the retention sweep rows")
	lib := flag.String("library", cmp.Or(os.Getenv("BENCH_LIBRARY"), "small"), "library rows (transfer, yearly purge, circulation): small (20 k patrons, 100 k open loans), on (and 1 M patrons, 500 k open loans), 5m (5 M loans) or off; tables kept in .local/bench-data; default $BENCH_LIBRARY or small")
	libOnly := flag.Bool("library-only", false, "measure only the library rows")
	reqs := flag.String("requests", cmp.Or(os.Getenv("BENCH_REQUESTS"), "10k"), "data-subject request rows: 10k, 1m (adds the 1 M rows; tables kept in .local/bench-data) or off; default $BENCH_REQUESTS")
	cpuIn := flag.String("cpu-child", "", "internal: run as the CPU measurement's child with this input")
	cpuOut := flag.String("cpu-out", "", "internal: where the CPU child writes its results")
	flag.Parse()
	if *cpuIn != "" {
		if err := cpuChild(*cpuIn, *cpuOut); err != nil {
			fatal(err)
		}
		return
	}

	abs, err := filepath.Abs(*root)
	if err != nil {
		fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "template.yaml")); err != nil {
		fatal(fmt.Errorf("-root %s: %w", *root, err))
	}
	tmp, err := os.MkdirTemp("", "rekisteri-bench-")
	if err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	started := time.Now()

	var (
		fns  []fnResult
		ops  opsReport
		errs []error
	)
	if !*skipFunctions && !*sweepOnly && !*libOnly {
		fns, err = measureFunctions(ctx, abs, tmp, *runs)
		if err != nil {
			errs = append(errs, fmt.Errorf("functions: %w", err))
		}
	}
	if !*skipStack && !*sweepOnly && !*libOnly && ctx.Err() == nil {
		logDir := filepath.Join(tmp, "logs")
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			fatal(err)
		}
		ops, err = measureOperations(ctx, abs, tmp, logDir, *nDup, *nFaults, [2]int{*nCampaign, *nCampaignMail}, *seed, *cpuRounds, *cpuOnly, *cpuProfile)
		if err != nil {
			errs = append(errs, fmt.Errorf("operations: %w", err))
		}
	}
	var sw *sweepReport
	if ctx.Err() == nil && !*libOnly {
		if sw, err = measureSweep(ctx, abs, filepath.Join(tmp, "logs"), *sweep); err != nil {
			errs = append(errs, fmt.Errorf("sweep: %w", err))
		}
	}
	var rq *reqReport
	if ctx.Err() == nil && !*sweepOnly && !*libOnly {
		if rq, err = measureRequests(ctx, abs, filepath.Join(tmp, "logs"), *reqs); err != nil {
			errs = append(errs, fmt.Errorf("requests: %w", err))
		}
	}
	var lb *libReport
	if ctx.Err() == nil && !*sweepOnly {
		if lb, err = measureLibrary(ctx, abs, filepath.Join(tmp, "logs"), *lib); err != nil {
			errs = append(errs, fmt.Errorf("library: %w", err))
		}
	}
	stop()

	fmt.Printf("rekisteri bench  %s  %s %s/%s, %d CPUs, took %s\n", time.Now().Format("2006-01-02 15:04"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Since(started).Round(time.Second))
	if len(fns) > 0 {
		printFunctions(os.Stdout, fns, *runs)
	}
	if ops.CPU != nil {
		printCPU(os.Stdout, ops.CPU)
	}
	if len(ops.Ops) > 0 {
		printOps(os.Stdout, ops.Ops)
	}
	if len(ops.States) > 0 {
		printStates(os.Stdout, ops.States)
	}
	if len(ops.Dups) > 0 {
		printDups(os.Stdout, ops.Dups)
	}
	if ops.Faults != nil && len(errs) == 0 {
		printFaults(os.Stdout, *ops.Faults)
	}
	if ops.Campaign != nil && len(errs) == 0 {
		printCampaign(os.Stdout, ops.Campaign)
	}
	if sw != nil {
		printSweep(os.Stdout, sw)
	}
	if rq != nil {
		printRequests(os.Stdout, rq)
	}
	if lb != nil {
		printLibrary(os.Stdout, lb)
	}
	if len(errs) > 0 || *keep {
		fmt.Fprintf(os.Stderr, "bench: scratch directory kept: %s (logs/ has the emulators' and functions' logs)\n", tmp)
	} else {
		_ = os.RemoveAll(tmp)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "bench:", e)
		}
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// progress says what the bench is doing, on stderr: stdout is the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func row(tw io.Writer, cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(tw, strings.Join(s, "\t"))
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func printFunctions(w io.Writer, fns []fnResult, runs int) {
	fmt.Fprintf(w, "\nfunctions: zip and links of the linux/arm64 build; start→ready of the %s/%s build, median of %d starts\n", runtime.GOOS, runtime.GOARCH, runs)
	tw := table(w)
	row(tw, "function", "measure", "value", "goal", "result")
	for _, f := range fns {
		row(tw, f.Name, "zip", fmt.Sprintf("%.2f MiB (%d B)", float64(f.ZipBytes)/(1<<20), f.ZipBytes), "≤ 5 MiB", verdict(f.ZipBytes <= zipGoal))
		linked := list(f.Linked)
		var notes []string
		if len(f.Modules) > 0 {
			notes = append(notes, "no client of "+list(f.Modules))
		}
		if len(f.Extra) > 0 {
			notes = append(notes, "not in policy: "+list(f.Extra))
		}
		if len(notes) > 0 {
			linked += " (" + strings.Join(notes, "; ") + ")"
		}
		row(tw, "", "service clients", linked, "⊆ policy: "+list(f.Called), verdict(len(f.Extra) == 0))
		if len(f.Unlinked) > 0 {
			row(tw, "", "  in policy, no client", list(f.Unlinked), "(key use by the service, e.g. SSE-KMS)", "info")
		}
		sorted := append([]time.Duration(nil), f.Ready...)
		lo, hi := time.Duration(0), time.Duration(0)
		for i, d := range sorted {
			if i == 0 || d < lo {
				lo = d
			}
			hi = max(hi, d)
		}
		row(tw, "", "start→ready", fmt.Sprintf("%s (min %s, max %s)", ms(f.median()), ms(lo), ms(hi)), "≤ 15 ms", verdict(f.median() <= readyGoal))
		row(tw, "", "net@init", fmt.Sprintf("%d connections", f.NetAtInit), "0", verdict(f.NetAtInit == 0))
	}
	tw.Flush()
}

func printOps(w io.Writer, ops []opResult) {
	fmt.Fprintln(w, "\noperations: AWS calls counted by SDK middleware (warm process; secrets already read)")
	tw := table(w)
	row(tw, "operation", "calls", "goal", "capacity (CU)", "scans", "by operation", "result")
	for _, o := range ops {
		goal, res := "-", "info"
		if o.Goal > 0 {
			goal, res = fmt.Sprintf("≤ %d", o.Goal), verdict(o.Counts.Total() <= o.Goal)
		}
		if o.Counts.Scans > 0 {
			res = "MISS (Scan)"
		}
		row(tw, o.Name, o.Counts.Total(), goal, fmt.Sprintf("%.1f", o.Counts.Capacity), o.Counts.Scans, o.Counts.String(), res)
	}
	tw.Flush()
}

func printDups(w io.Writer, dups []dupResult) {
	fmt.Fprintln(w, "\nduplicate delivery: every outbox stream batch delivered twice at once, then every mail-queue message twice")
	tw := table(w)
	row(tw, "mail", "subjects", "messages duplicated", "mails sent", "mails per subject", "extra", "missing", "goal", "result")
	for _, d := range dups {
		ratio := 0.0
		if got := d.Subjects - d.Missing; got > 0 {
			ratio = float64(d.Sent) / float64(got)
		}
		row(tw, d.Name, d.Subjects, d.Duplicated, d.Sent, fmt.Sprintf("%.2f", ratio), d.Extra, d.Missing, "1.00, 0 extra, 0 missing",
			verdict(d.Extra == 0 && d.Missing == 0 && d.Sent == d.Subjects))
	}
	tw.Flush()
}

func printFaults(w io.Writer, f faultResult) {
	fmt.Fprintf(w, "\nfaults: %d signups while 10 %% of the functions' AWS calls fail (mailer included); then healed: faults off,\n"+
		"2 minutes simulated (unsent outbox jobs and leases backdated 10 min), relay run, DLQ redriven, drained\n", f.N)
	tw := table(w)
	row(tw, "measure", "value", "goal", "result")
	row(tw, "answered 202", fmt.Sprintf("%d/%d", f.Accepted, f.N), "-", "info")
	row(tw, "AWS calls failed by injection", f.Fired, "-", "info")
	row(tw, "before healing: accepted, unsent / in DLQ", fmt.Sprintf("%d / %d", f.UnsentBeforeHeal, f.InDLQBeforeHeal), "-", "info")
	row(tw, "healing: aged / relay re-queued / DLQ redriven / left in DLQ", fmt.Sprintf("%d / %d / %d / %d", f.Aged, f.Requeued, f.RedrivenFromDLQ, f.LeftInDLQ), "-", "info")
	row(tw, "confirmation mails sent", f.Sent, "-", "info")
	row(tw, "accepted and mailed exactly once", fmt.Sprintf("%d/%d", f.OK, f.Accepted), fmt.Sprintf("%d/%d", f.Accepted, f.Accepted), verdict(f.OK == f.Accepted))
	unsent := f.UnsentLostMsg + f.UnsentLeased + f.UnsentRe
	row(tw, "accepted, still unsent, durable in outbox", fmt.Sprintf("%d (never received: %d, lease held: %d, failed after receive: %d)", unsent, f.UnsentLostMsg, f.UnsentLeased, f.UnsentRe), "0", verdict(unsent == 0))
	row(tw, "lost (accepted; no mail, no unsent job)", f.Lost, "0", verdict(f.Lost == 0))
	row(tw, "duplicates (accepted; >1 confirmation mail)", f.Duplicates, "0", verdict(f.Duplicates == 0))
	row(tw, "refused (not 202) but mailed", f.Refused, "-", "info")
	tw.Flush()
}
