package main

// The data-subject request rows (issue 9): read units, write units, calls
// and wall time of an access (requests.Collect + requests.BuildCopy) and an
// erasure (Eraser.Inventory + Eraser.Erase, no exports, nothing skipped) of
// one subject with 20 records, in tables of 10 k and of 1 M items of other
// subjects. Goal: the same units at both sizes, 0 Scans, wall(1 M) ≤ 1.2 ×
// wall(10 k) — the seam reaches a subject by Queries on bySubject and reads
// by key, so what it reads must not grow with the tables.
//
// The subscribers, bookings, mail and requests tables each hold N items of
// other subjects, made as the capabilities make them and stamped by
// record.Catalogue.Stamp; feedback and audit, which Collect and Inventory
// read too, are empty. The bookings items are the retention sweep's
// (sweepItem); at 1 M the sweep's kept 1 M bookings table is reused (its
// DynamoDB Local file copied as the start of this one) when there is one,
// else built the sweep's way. Each size's tables are built once in a
// DynamoDB Local kept under .local/bench-data/requests-<version>/<size>, run
// on a copy in /dev/shm, and reused while the version stays the same; a
// build that runs out of its budget keeps what it loaded and goes on next
// run. The subject's 20 records are put back before every run.

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
)

// reqDataVersion names the shape of the generated data; change it when the
// generator changes, and the next run builds fresh tables.
const reqDataVersion = "v1"

// reqRuns timed runs per operation (the median is reported), after
// reqWarm untimed ones (each DynamoDB Local is a fresh JVM).
const (
	reqRuns = 5
	reqWarm = 2
)

// reqBuildBudget is how long building one size's tables may take in one run
// ($BENCH_REQUESTS_BUDGET overrides it); a build that runs out keeps what it
// loaded, and the rows at that size are not measured.
const reqBuildBudget = 9 * time.Minute

// reqFilled are the declared tables filled with other subjects' items.
var reqFilled = []string{"subscribers", "bookings", "mail", "requests"}

// reqNow is the requests' clock (the copy's date, the erasure's time).
var reqNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

const reqRequestID = "rbench0000001"

// reqSubjectKey is the measured subject's key, shaped as real ones are.
var reqSubjectKey = reqSubjectOf("bench-subject")

type reqSize struct {
	Name string
	N    int
}

// reqSizes are the sizes `-requests` selects.
func reqSizes(flag string) ([]reqSize, error) {
	switch strings.ToLower(flag) {
	case "", "10k":
		return []reqSize{{"10k", 10_000}}, nil
	case "1m":
		return []reqSize{{"10k", 10_000}, {"1m", 1_000_000}}, nil
	case "off", "0", "none":
		return nil, nil
	}
	return nil, fmt.Errorf("-requests %q: want 10k, 1m or off", flag)
}

// reqRun is one timed run of an operation.
type reqRun struct {
	Counts   awsprobe.Counts // every AWS call, by the SDK recorder
	Read     float64         // ConsumedCapacity of Query and BatchGetItem
	ReadMin  float64         // the same at AWS's minimum per call and key (reqDB)
	Write    float64         // ConsumedCapacity of BatchWriteItem and UpdateItem
	Queries  int
	GetKeys  int // keys read by BatchGetItem
	Took     time.Duration
	Records  int    // access: records in the copy; erasure: deleted + kept
	Detail   string // what the run found
	CopySize int    // access: JSON + HTML bytes
}

type reqTable struct {
	Declared, Name string
	Items          int64 // DescribeTable's ItemCount
	Built          bool  // loaded (in part) by this run
}

type reqSizeResult struct {
	Size        reqSize
	Seeded      string        // the file this size's DynamoDB Local started from, when it was the sweep's
	BuildTook   time.Duration // all builds of these tables, this run's and earlier ones
	BuiltNow    time.Duration // this run's part
	Incomplete  string        // the build ran out of its budget: how far it got
	Tables      []reqTable
	StartTook   time.Duration
	CountTook   time.Duration
	RestoreTook time.Duration // putting the subject's 20 records back, each time
	Access      []reqRun
	Erasure     []reqRun
	Took        time.Duration // the rows at this size in all: copy, start, build or reuse, runs
}

type reqReport struct {
	DataDir string
	Budget  time.Duration
	Sizes   []reqSizeResult
}

func measureRequests(ctx context.Context, root, logDir, which string) (*reqReport, error) {
	sizes, err := reqSizes(which)
	if err != nil || len(sizes) == 0 {
		return nil, err
	}
	reg := register.MustLoad("museum")
	tpl, err := local.ReadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	base := cmp.Or(os.Getenv("BENCH_SWEEP_DATA"), filepath.Join(root, ".local", "bench-data"))
	rep := &reqReport{DataDir: filepath.Join(base, "requests-"+reqDataVersion), Budget: reqBuildBudget}
	if v := os.Getenv("BENCH_REQUESTS_BUDGET"); v != "" {
		if rep.Budget, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("BENCH_REQUESTS_BUDGET: %w", err)
		}
	}
	// Every size's DynamoDB Local runs at once and the runs alternate
	// between them, so a change in the machine's load falls on both sizes.
	var envs []*reqEnv
	defer func() {
		for _, e := range envs {
			e.close()
		}
	}()
	for _, size := range sizes {
		e, err := reqOpen(ctx, root, logDir, base, rep, reg, tpl, size)
		if e != nil {
			envs = append(envs, e)
		}
		if err != nil {
			return rep, fmt.Errorf("requests %s: %w", size.Name, err)
		}
	}
	for _, op := range []string{requests.Access, requests.Erasure} {
		for i := range reqWarm + reqRuns {
			for j := range envs {
				e := envs[(i+j)%len(envs)] // who goes first alternates too
				if e.res.Incomplete != "" {
					continue
				}
				t := time.Now()
				if op == requests.Erasure {
					if err := e.restore(ctx); err != nil {
						return rep, fmt.Errorf("requests %s: %w", e.res.Size.Name, err)
					}
				}
				r, err := reqMeasure(ctx, e.cfg, e.opt, e.cat, op)
				if err != nil {
					return rep, fmt.Errorf("requests %s: %s: %w", e.res.Size.Name, op, err)
				}
				if i >= reqWarm && op == requests.Access {
					e.res.Access = append(e.res.Access, r)
				} else if i >= reqWarm {
					e.res.Erasure = append(e.res.Erasure, r)
				}
				e.res.Took += time.Since(t)
			}
		}
	}
	for _, e := range envs {
		if e.res.Incomplete == "" {
			if err := e.restore(ctx); err != nil { // leave the subject whole
				return rep, err
			}
			a, x := reqMedian(e.res.Access), reqMedian(e.res.Erasure)
			progress("requests %s: access %s (%.1f RCU, %d calls), erasure %s (%.1f RCU, %.1f WCU, %d calls)", e.res.Size.Name,
				ms(a), e.res.Access[0].Read, e.res.Access[0].Counts.Total(), ms(x), e.res.Erasure[0].Read, e.res.Erasure[0].Write, e.res.Erasure[0].Counts.Total())
		}
		rep.Sizes = append(rep.Sizes, *e.res)
	}
	return rep, nil
}

// reqEnv is one size's running DynamoDB Local with its tables.
type reqEnv struct {
	res     *reqSizeResult
	cfg     aws.Config
	opt     func(*dynamodb.Options)
	db      *dynamodb.Client
	cat     *record.Catalogue
	subject []reqRecord
	close   func() // stops DynamoDB Local and keeps what was built
}

// restore puts the subject's 20 records back.
func (e *reqEnv) restore(ctx context.Context) error {
	t := time.Now()
	err := reqPut(ctx, e.db, e.subject)
	e.res.RestoreTook = max(e.res.RestoreTook, time.Since(t))
	return err
}
