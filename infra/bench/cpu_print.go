package main

// CPU per operation, the rows printed (cpu.go) against DESIGN §5's goals.

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

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
