package main

// The library rows printed (library.go) against issue 11's goals, a
// column per size: the same due and overdue sets in tables of each size.

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"rekisteri/infra/awsprobe"
)

func printLibrary(w io.Writer, rep *libReport) {
	fmt.Fprintf(w, "\nlibrary: patrons as records.go writes them (identity codes sealed), open loans on byDue as loans.go writes them,\n"+
		"guardian links both ways, unpaid fees, stamped from library.yaml; at every size the same %d patrons due in the yearly\n"+
		"purge (%s; %d kept: unpaid fee; %d guardians, links both ways) and %d loans 60–73 days overdue on the weekly\n"+
		"transfer's day (%s; every 10th patron a child); KMS, Secrets Manager and S3 answered in-process and counted\n",
		libDue, libPurgeNow.Format("2006-01-02"), (libDue+4)/5, libDue/10, libOverdue, libTransferNow.Format("Mon 2006-01-02"))
	var sizes []*libSizeReport
	for _, s := range rep.Sizes {
		sh := s.Size.Shape
		fmt.Fprintf(w, "  %s: %d patrons (%.2f %% due), %d open loans (%.2f %% overdue) in %s: ", s.Size.Name, sh.Patrons, pct(float64(sh.Due), float64(sh.Patrons)),
			sh.Loans, pct(float64(sh.Overdue), float64(sh.Loans)), s.DataDir)
		switch {
		case s.Incomplete != "":
			fmt.Fprintf(w, "build stopped at its %s budget (%s) after %s in all (%.0f items/s); kept: the next run goes on. Not measured\n",
				libBuildBudget, s.Incomplete, s.BuildTook.Round(time.Second), s.BuildRate)
			continue
		case s.Built:
			fmt.Fprintf(w, "built now, %s this run, %s in all (%.0f items/s)", s.BuiltNow.Round(time.Second), s.BuildTook.Round(time.Second), s.BuildRate)
		default:
			fmt.Fprintf(w, "reused (built earlier in %s)", s.BuildTook.Round(time.Second))
		}
		fmt.Fprintf(w, "; put back before each run %s; rows took %s\n", s.RestoreTook.Round(100*time.Millisecond), s.Took.Round(time.Second))
		if s.Transfer != nil && s.Purge != nil {
			sizes = append(sizes, s)
		}
	}
	if len(sizes) > 0 {
		tw := table(w)
		head := []any{"row", "measure"}
		for _, s := range sizes {
			head = append(head, s.Size.Name)
		}
		row(tw, append(head, "goal", "result")...)
		line := func(name, measure, goal string, val func(*libSizeReport) string, ok func(*libSizeReport) bool) {
			cells := []any{name, measure}
			res := "info"
			if ok != nil {
				res = "PASS"
			}
			for _, s := range sizes {
				cells = append(cells, val(s))
				if ok != nil && !ok(s) {
					res = "MISS"
				}
			}
			row(tw, append(cells, goal, res)...)
		}
		// The same set read at every size: the units must not grow with the table.
		same := func(f func(*libSizeReport) float64) func(*libSizeReport) bool {
			return func(s *libSizeReport) bool { return apart(f(s), f(sizes[0])) <= 5 }
		}
		tr := func(s *libSizeReport) *libTransferResult { return s.Transfer }
		pu := func(s *libSizeReport) *libPurgeResult { return s.Purge }
		line("weekly transfer", "overdue / open loans", "-", func(s *libSizeReport) string { return fmt.Sprintf("%d / %d", tr(s).Overdue, s.Size.Shape.Loans) }, nil)
		line("", "loans transferred / patrons (children not)", fmt.Sprintf("%d", libOverdue-tr(sizes[0]).Skipped), func(s *libSizeReport) string {
			return fmt.Sprintf("%d / %d (%d not)", tr(s).Transferred, tr(s).Patrons, tr(s).Skipped)
		}, func(s *libSizeReport) bool { return tr(s).Transferred == tr(s).Overdue-tr(s).Skipped })
		line("", "byDue Queries: items read", "= overdue", func(s *libSizeReport) string { return fmt.Sprintf("%d in %d", tr(s).ByDue.Items, tr(s).ByDue.Queries) },
			func(s *libSizeReport) bool { return tr(s).ByDue.Items == tr(s).Overdue })
		line("", "byDue Query read units", "∝ overdue: same at every size", func(s *libSizeReport) string {
			return fmt.Sprintf("%.1f RCU (%.3f/overdue)", tr(s).ByDue.RCU, tr(s).ByDue.RCU/float64(max(tr(s).Overdue, 1)))
		}, same(func(s *libSizeReport) float64 { return tr(s).ByDue.RCU }))
		line("", "loans read (BatchGetItem), files' Queries", "-", func(s *libSizeReport) string {
			return fmt.Sprintf("%.1f RCU, %.1f RCU", tr(s).BatchGetRCU, tr(s).Files.RCU)
		}, nil)
		line("", "Scans", "0", func(s *libSizeReport) string { return fmt.Sprint(tr(s).Counts.Scans) }, func(s *libSizeReport) bool { return tr(s).Counts.Scans == 0 })
		line("", "AWS calls (KMS.Decrypt: codes opened)", "-", func(s *libSizeReport) string { return libCalls(tr(s).Counts.Calls) }, nil)
		line("", "calls per overdue loan / capacity", "same at every size", func(s *libSizeReport) string {
			return fmt.Sprintf("%.2f / %.0f CU", float64(tr(s).Counts.Total())/float64(tr(s).Overdue), tr(s).Counts.Capacity)
		}, same(func(s *libSizeReport) float64 { return float64(tr(s).Counts.Total()) }))
		line("", "files (S3.PutObject)", "-", func(s *libSizeReport) string {
			return fmt.Sprintf("%d, %d B", tr(s).Stand["S3.PutObject"], tr(s).FileBytes)
		}, nil)
		line("", "wall", "-", func(s *libSizeReport) string { return tr(s).Took.Round(time.Millisecond).String() }, nil)

		line("yearly purge", "due patrons / patrons", "-", func(s *libSizeReport) string { return fmt.Sprintf("%d / %d", pu(s).Due, s.Size.Shape.Patrons) }, nil)
		line("", "due items read", "= due", func(s *libSizeReport) string { return fmt.Sprint(pu(s).Report.Read) }, func(s *libSizeReport) bool { return pu(s).Report.Read == pu(s).Due })
		count := func(s *libSizeReport) (del, with, kept, other int) {
			for id, c := range pu(s).Report.Rules {
				del, with, kept = del+c.Deleted, with+c.With, kept+c.Kept
				if id != "patron-inactive" && id != "patron-unresolved" {
					other += c.Deleted + c.Kept
				}
			}
			return
		}
		line("", "deleted / with them (guardian links)", fmt.Sprintf("%d / %d", libDue-(libDue+4)/5, 2*(libDue/10)), func(s *libSizeReport) string {
			d, wi, _, _ := count(s)
			return fmt.Sprintf("%d / %d", d, wi)
		}, func(s *libSizeReport) bool {
			d, wi, _, o := count(s)
			return d == s.Size.Shape.Due-s.Size.Shape.kept() && wi == 2*s.Size.Shape.guardians() && o == 0
		})
		line("", "kept: unresolved (unpaid fee)", fmt.Sprint((libDue+4)/5), func(s *libSizeReport) string { _, _, k, _ := count(s); return fmt.Sprint(k) },
			func(s *libSizeReport) bool { _, _, k, _ := count(s); return k == s.Size.Shape.kept() })
		line("", "byExpiry Query read units", "∝ due: same at every size", func(s *libSizeReport) string {
			return fmt.Sprintf("%.1f RCU in %d (%.3f/due)", pu(s).Expiry.RCU, pu(s).Expiry.Queries, pu(s).Expiry.RCU/float64(max(pu(s).Due, 1)))
		}, same(func(s *libSizeReport) float64 { return pu(s).Expiry.RCU }))
		line("", "what goes with: Queries, BatchGetItem", "∝ due: same at every size", func(s *libSizeReport) string {
			return fmt.Sprintf("%.1f RCU in %d, %.1f RCU", pu(s).With.RCU, pu(s).With.Queries, pu(s).BatchGetRCU)
		}, same(func(s *libSizeReport) float64 { return pu(s).With.RCU + pu(s).BatchGetRCU }))
		line("", "BatchWriteItem calls", "≈ due/25 (≤ 1.5×)", func(s *libSizeReport) string {
			return fmt.Sprintf("%d (due/25 = %d)", pu(s).Counts.Calls["DynamoDB.BatchWriteItem"], int(math.Ceil(float64(pu(s).Due)/25)))
		}, func(s *libSizeReport) bool {
			return float64(pu(s).Counts.Calls["DynamoDB.BatchWriteItem"]) <= 1.5*math.Ceil(float64(pu(s).Due)/25)
		})
		line("", "Scans", "0", func(s *libSizeReport) string { return fmt.Sprint(pu(s).Counts.Scans) }, func(s *libSizeReport) bool { return pu(s).Counts.Scans == 0 })
		line("", "AWS calls", "-", func(s *libSizeReport) string { return libCalls(pu(s).Counts.Calls) }, nil)
		line("", "wall", "-", func(s *libSizeReport) string { return pu(s).Took.Round(time.Millisecond).String() }, nil)
		tw.Flush()
		last := sizes[len(sizes)-1]
		up, ut := 50_000/libDue, 25_000/libOverdue
		fmt.Fprintf(w, "  the issue's 1 M patrons with 5 %% due (50 000) and 5 M open loans with 0.5 %% overdue (25 000) scale the sets above by %d× and %d×;\n"+
			"  as reads and calls are ∝ the set (same at every size), at %s's figures: purge ≈ %d calls, %.0f RCU, %d BatchWriteItem;\n"+
			"  transfer ≈ %d calls, %.0f byDue RCU (wall on DynamoDB Local ×%d and ×%d too)\n", up, ut, last.Size.Name,
			up*last.Purge.Counts.Total(), float64(up)*(last.Purge.Expiry.RCU+last.Purge.With.RCU+last.Purge.BatchGetRCU), up*last.Purge.Counts.Calls["DynamoDB.BatchWriteItem"],
			ut*last.Transfer.Counts.Total(), float64(ut)*last.Transfer.ByDue.RCU, up, ut)
	}
	if len(rep.Circ) == 0 {
		return
	}
	fmt.Fprintf(w, "\ncirculation feed: library.Service.ApplyCirculation (the work of POST /library/circulation) in-process, one batch of\n"+
		"%d events of one type for %d patrons, in a loan's order, then the loans' batch again; per event. CPU: this process's user+system\n"+
		"time (getrusage) over the batch / events - the library code and the SDK against a live DynamoDB Local, not pinned to a core and\n"+
		"not the CPU rows' replay (the circulation event is not among those rows)\n", libCircN, libCircN)
	tw := table(w)
	row(tw, "event", "accepted / duplicates", "calls/event", "RCU/event", "WCU/event", "scans", "by operation (batch)", "CPU/event", "wall/event", "result")
	for _, c := range rep.Circ {
		n := float64(max(c.Events, 1))
		res := "info"
		if c.Type == "duplicate" {
			res = verdict(c.Duplicates == c.Events)
		}
		if c.Counts.Scans > 0 {
			res = "MISS (Scan)"
		}
		row(tw, c.Type, fmt.Sprintf("%d / %d", c.Accepted, c.Duplicates), fmt.Sprintf("%.2f", float64(c.Counts.Total())/n),
			fmt.Sprintf("%.2f", c.RCU/n), fmt.Sprintf("%.2f", c.WCU/n), c.Counts.Scans, libCalls(c.Counts.Calls),
			fmt.Sprintf("%.0f µs", float64(c.CPU.Microseconds())/n), fmt.Sprintf("%.0f µs", float64(c.Took.Microseconds())/n), res)
	}
	tw.Flush()
}

// libCalls lists calls as "Op×n" without the service's name for DynamoDB.
func libCalls(calls map[string]int) string {
	var parts []string
	for _, p := range strings.Fields((awsprobe.Counts{Calls: calls}).String()) {
		parts = append(parts, strings.TrimPrefix(p, "DynamoDB."))
	}
	return strings.Join(parts, " ")
}
