package main

// The data-subject request rows printed (requests.go): each size's tables,
// then the rows against their goals.

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"rekisteri/internal/requests"
)

func printRequests(w io.Writer, rep *reqReport) {
	fmt.Fprintf(w, "\ndata-subject requests: access (requests.Collect + BuildCopy) and erasure (Eraser.Inventory + Erase; no exports,\n"+
		"nothing skipped) of one subject with 20 records (subscribers 6, bookings 7, mail 6, requests 1; put back before each run)\n"+
		"in tables holding N items of other subjects each (subscribers, bookings, mail, requests; feedback and audit empty);\n"+
		"DynamoDB Local kept in %s, run from /dev/shm; wall time median (min–max) of %d runs after %d warm-up\n", rep.DataDir, reqRuns, reqWarm)
	for _, s := range rep.Sizes {
		if s.Incomplete != "" {
			fmt.Fprintf(w, "  %s: %s after %s in all; kept: the next run goes on from there. Rows at this size not measured\n", s.Size.Name, s.Incomplete, s.BuildTook.Round(time.Second))
			continue
		}
		var tabs []string
		for _, t := range s.Tables {
			tabs = append(tabs, fmt.Sprintf("%s %d", t.Declared, t.Items))
		}
		how := fmt.Sprintf("reused (built earlier in %s)", s.BuildTook.Round(time.Second))
		if s.BuiltNow > 0 {
			how = fmt.Sprintf("built now (%s this run, %s in all)", s.BuiltNow.Round(time.Second), s.BuildTook.Round(time.Second))
		}
		if s.Seeded != "" {
			how += "; started from the sweep's kept tables (its 1 M bookings)"
		}
		fmt.Fprintf(w, "  %s: %s; items (DescribeTable, counted in %s): %s; copied and started in %s; subject put back in ≤ %s; rows at this size took %s\n",
			s.Size.Name, how, s.CountTook.Round(100*time.Millisecond), strings.Join(tabs, ", "), s.StartTook.Round(100*time.Millisecond), ms(s.RestoreTook), s.Took.Round(time.Second))
	}
	byName := map[string]reqSizeResult{}
	for _, s := range rep.Sizes {
		if s.Incomplete == "" {
			byName[s.Size.Name] = s
		}
	}
	small, okSmall := byName["10k"]
	big, okBig := byName["1m"]
	missing := "not measured: -requests 1m (make bench BENCH_REQUESTS=1m)"
	for _, s := range rep.Sizes {
		if s.Incomplete != "" {
			missing = "not measured: the 1 M build is not finished; run -requests 1m again"
		}
	}
	tw := table(w)
	row(tw, "operation", "measure", "10 k", "1 M", "goal", "result")
	for _, op := range []string{requests.Access, requests.Erasure} {
		pick := func(s reqSizeResult) []reqRun {
			if op == requests.Access {
				return s.Access
			}
			return s.Erasure
		}
		var a, b []reqRun
		if okSmall {
			a = pick(small)
		}
		if okBig {
			b = pick(big)
		}
		if len(a) == 0 && len(b) == 0 {
			continue
		}
		cell := func(runs []reqRun, f func(reqRun) string) string {
			if len(runs) == 0 {
				return "-"
			}
			return f(runs[0])
		}
		cmpRow := func(measure string, f func(reqRun) string, v func(reqRun) float64, goal string) {
			res := missing
			if len(a) > 0 && len(b) > 0 {
				res = verdict(apart(v(a[0]), v(b[0])) <= 5)
			}
			row(tw, op, measure, cell(a, f), cell(b, f), goal, res)
		}
		cmpRow("read units (as DynamoDB Local bills)", func(r reqRun) string { return fmt.Sprintf("%.1f RCU", r.Read) }, func(r reqRun) float64 { return r.Read }, "1 M = 10 k within 5 %")
		cmpRow("read units at AWS's minimum", func(r reqRun) string {
			return fmt.Sprintf("%.1f RCU (%d Queries × ≥ 0.5, %d keys × ≥ 1)", r.ReadMin, r.Queries, r.GetKeys)
		}, func(r reqRun) float64 { return r.ReadMin }, "1 M = 10 k within 5 %")
		cmpRow("write units", func(r reqRun) string { return fmt.Sprintf("%.1f WCU", r.Write) }, func(r reqRun) float64 { return r.Write }, "1 M = 10 k within 5 %")
		callRes := missing
		if len(a) > 0 && len(b) > 0 {
			callRes = verdict(a[0].Counts.String() == b[0].Counts.String())
		}
		row(tw, op, "calls by operation", cell(a, func(r reqRun) string { return fmt.Sprintf("%d: %s", r.Counts.Total(), r.Counts.String()) }),
			cell(b, func(r reqRun) string { return fmt.Sprintf("%d: %s", r.Counts.Total(), r.Counts.String()) }), "the same", callRes)
		scans := 0
		for _, r := range slices.Concat(a, b) {
			scans += r.Counts.Scans
		}
		row(tw, op, "Scans (every run)", cell(a, func(reqRun) string { return strconv.Itoa(countScans(a)) }), cell(b, func(reqRun) string { return strconv.Itoa(countScans(b)) }), "0", verdict(scans == 0))
		wallRes := missing
		if len(a) > 0 && len(b) > 0 {
			ratio := float64(reqMedian(b)) / float64(reqMedian(a))
			wallRes = fmt.Sprintf("%s (×%.2f)", verdict(ratio <= 1.2), ratio)
		}
		row(tw, op, "wall time", cell(a, func(reqRun) string { return reqSpread(a) }), cell(b, func(reqRun) string { return reqSpread(b) }), "1 M ≤ 1.2 × 10 k", wallRes)
		want := 20
		okRecs := true
		for _, r := range slices.Concat(a, b) {
			okRecs = okRecs && r.Records == want
		}
		row(tw, op, "records found", cell(a, func(r reqRun) string { return fmt.Sprintf("%d: %s", r.Records, r.Detail) }),
			cell(b, func(r reqRun) string { return fmt.Sprintf("%d: %s", r.Records, r.Detail) }), "20", verdict(okRecs))
		same := (len(a) == 0 || reqSame(a)) && (len(b) == 0 || reqSame(b))
		alike := func(runs []reqRun) string {
			switch {
			case len(runs) == 0:
				return "-"
			case reqSame(runs):
				return "yes"
			}
			return "no"
		}
		row(tw, op, "the runs alike (units, calls)", alike(a), alike(b), "-", map[bool]string{true: "info", false: "info (varied: the first run shown)"}[same])
	}
	tw.Flush()
}

func countScans(runs []reqRun) int {
	n := 0
	for _, r := range runs {
		n += r.Counts.Scans
	}
	return n
}
