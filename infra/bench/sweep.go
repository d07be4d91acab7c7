package main

// The retention sweep's rows (issue 8, DESIGN §5): the sweep over a bookings
// table of 100 k and of 1 M items with the same 10 k due, its Queries' read
// units against each other and against one full Scan (computed from the
// table's size, the formula checked against a real Scan at 100 k:
// sweep_scan.go), its BatchWriteItem calls against due/25, and a second run
// right after the first, its Queries counted at AWS's 0.5 RCU minimum.
//
// The items are made as the capabilities make them: bookings, identity
// codes, capacity counters and mail budgets with their attributes, stamped by
// record.Catalogue.Stamp from museum.yaml's rules, so their expiries fall on
// the days and the 16 shards real records would. Which are due is decided by
// the sweep's clock alone: the sweep is given a now past their expiry.
//
// Loading a million items into DynamoDB Local takes minutes, so the table is
// built once in a DynamoDB Local that keeps its files under
// .local/bench-data/sweep-<version> and reused while the version (the shape
// of the generated data) stays the same. A run deletes the due items; the
// next run puts the same 10 k back (the same stamping) before it sweeps.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/retention"
)

// sweepDataVersion names the shape of the generated data; change it when the
// generator changes, and the next run builds fresh tables.
const sweepDataVersion = "v1"

// sweepDue is how many items the sweep's clock makes due, in every table.
const sweepDue = 10_000

// sweepNow is the sweep's clock: due items expired in the week before it.
var sweepNow = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

// sweepDueDays is how many days before sweepNow the due items' expiries
// spread over (a sweep that has not run for a week, or its first run).
const sweepDueDays = 7

// sweepLoaders is how many BatchWriteItem workers load a table.
const sweepLoaders = 8

// sweepBuildBudget is how long building one table may take; a build that
// runs out reports the size it reached, and the rows at that size are skipped.
const sweepBuildBudget = 9 * time.Minute

type sweepSize struct {
	Name string
	N    int
}

// sweepSizes are the sizes `-sweep` selects.
func sweepSizes(flag string) ([]sweepSize, error) {
	switch strings.ToLower(flag) {
	case "", "100k":
		return []sweepSize{{"100k", 100_000}}, nil
	case "1m":
		return []sweepSize{{"100k", 100_000}, {"1m", 1_000_000}}, nil
	case "off", "0", "none":
		return nil, nil
	}
	return nil, fmt.Errorf("-sweep %q: want 100k, 1m or off", flag)
}

type sweepRunResult struct {
	Report  retention.Report
	Removed int
	RCU     float64 // ConsumedCapacity of the sweep's Queries
	AtLeast float64 // RCU with AWS's 0.5 minimum per Query
	Queries int
	Counts  awsprobe.Counts // every AWS call of the run (ledger included)
	Took    time.Duration
}

type sweepScan struct {
	RCU   float64
	Items int
	Calls int
	Took  time.Duration
}

type sweepSizeResult struct {
	Size        sweepSize
	Built       bool // built by this run (else reused)
	BuildTook   time.Duration
	BuildRate   float64 // items/s while building
	Reached     int     // items loaded when the build budget ran out (0: complete)
	RestoreTook time.Duration
	First       sweepRunResult
	Second      sweepRunResult
	Scan        sweepScan // a real full Scan (at most sweepScanMeasuredMax items); Items 0: none
	ScanErr     error     // the comparison Scan failed
	Model       sweepModel
	Took        time.Duration // the rows at this size in all: build or reuse, put back, runs, Scan
}

type sweepReport struct {
	DataDir   string
	StartTook time.Duration
	Sizes     []sweepSizeResult
}

// sweepDB sums the consumed capacity of the Queries the record store makes.
type sweepDB struct {
	recordstore.DB
	mu      sync.Mutex
	rcu     float64
	atLeast float64 // the same with AWS's minimum of 0.5 RCU per Query (DynamoDB Local reports 0 for one that reads nothing)
	queries int
}

func (d *sweepDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := d.DB.Query(ctx, in, opts...)
	d.mu.Lock()
	d.queries++
	if err == nil && out.ConsumedCapacity != nil {
		cu := aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
		d.rcu += cu
		d.atLeast += max(cu, 0.5)
	}
	d.mu.Unlock()
	return out, err
}

func measureSweep(ctx context.Context, root, logDir, which string) (*sweepReport, error) {
	sizes, err := sweepSizes(which)
	if err != nil || len(sizes) == 0 {
		return nil, err
	}
	reg, err := register.Load("museum")
	if err != nil {
		return nil, err
	}
	tpl, err := local.ReadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	rep := &sweepReport{DataDir: filepath.Join(cmp.Or(os.Getenv("BENCH_SWEEP_DATA"), filepath.Join(root, ".local", "bench-data")), "sweep-"+sweepDataVersion)}
	t0 := time.Now()
	// DynamoDB Local syncs its SQLite file on every write, which on disk
	// makes loading ~7× slower than in memory: it runs on a copy in
	// /dev/shm, and what it builds is copied back when it stops.
	work, dirty := rep.DataDir, false
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if work, err = os.MkdirTemp("/dev/shm", "rekisteri-bench-sweep-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
		if err := sweepCopy(filepath.Join(rep.DataDir, sweepDBFile), filepath.Join(work, sweepDBFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	progress("sweep: starting DynamoDB Local on %s (kept in %s)", work, rep.DataDir)
	em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: root, LogDir: logDir, DynamoDBDataDir: work, DynamoDBHeap: "2g"})
	if err != nil {
		return nil, err
	}
	defer func() {
		_ = em.Stop()
		if dirty && work != rep.DataDir {
			t := time.Now()
			if err := os.MkdirAll(rep.DataDir, 0o755); err == nil {
				err = sweepCopy(filepath.Join(work, sweepDBFile), filepath.Join(rep.DataDir, sweepDBFile))
				if err != nil {
					progress("sweep: keeping the built tables: %v", err)
				} else {
					progress("sweep: built tables kept in %s (%s)", rep.DataDir, time.Since(t).Round(100*time.Millisecond))
				}
			}
		}
	}()
	rep.StartTook = time.Since(t0)

	cfg := aws.Config{
		Region: "eu-north-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench"}, nil
		}),
		BaseEndpoint: aws.String(em.DynamoDBURL),
		HTTPClient:   &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2 * sweepLoaders}},
	}
	opt := func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true }
	db := dynamodb.NewFromConfig(cfg, opt)

	shared := map[string]string{}
	for _, t := range record.Tables(reg) {
		shared[t] = "sweep-" + t
	}
	for t := range shared { // every other declared table, empty here
		if t == "bookings" || t == "audit" {
			continue
		}
		if err := sweepEnsureTable(ctx, db, tpl, t, shared[t], false); err != nil {
			return nil, err
		}
	}
	if err := sweepEnsureMeta(ctx, db); err != nil {
		return nil, err
	}
	for _, size := range sizes {
		deployed := map[string]string{}
		for k, v := range shared {
			deployed[k] = v
		}
		deployed["bookings"] = "sweep-" + size.Name + "-bookings"
		deployed["audit"] = "sweep-" + size.Name + "-audit"
		cat, err := record.NewCatalogue(reg, deployed)
		if err != nil {
			return nil, err
		}
		t := time.Now()
		res, err := sweepOne(ctx, cfg, opt, db, tpl, cat, size, &dirty)
		res.Took = time.Since(t)
		if err != nil {
			return rep, fmt.Errorf("sweep %s: %w", size.Name, err)
		}
		rep.Sizes = append(rep.Sizes, res)
		if res.Reached > 0 {
			break
		}
	}
	return rep, nil
}

func sweepOne(ctx context.Context, cfg aws.Config, opt func(*dynamodb.Options), db *dynamodb.Client, tpl *local.Template, cat *record.Catalogue, size sweepSize, dirty *bool) (sweepSizeResult, error) {
	res := sweepSizeResult{Size: size}
	table := cat.Table("bookings")
	b, err := sweepMetaGet(ctx, db, size)
	if err != nil {
		return res, err
	}
	fillers := size.N - sweepDue // with the due ones, the table holds size.N
	if b.Loaded == fillers {
		progress("sweep %s: reusing %s (built earlier in %s)", size.Name, table, b.BuildTook.Round(time.Second))
	} else {
		res.Built = true
		if b.Loaded == 0 {
			b.BuildTook = 0 // nothing kept from an earlier build
			if err := sweepEnsureTable(ctx, db, tpl, "bookings", table, true); err != nil {
				return res, err
			}
		} else if b.Loaded > fillers { // a build that held size.N besides the due ones
			progress("sweep %s: trimming %s to %d not due", size.Name, table, fillers)
			if _, err := sweepWrite(ctx, db, table, fillers, b.Loaded, sweepGen(cat), true); err != nil {
				return res, err
			}
			b.Loaded = fillers
		} else {
			progress("sweep %s: continuing the build of %s from %d items", size.Name, table, b.Loaded)
		}
		t0 := time.Now()
		bctx, cancel := context.WithTimeout(ctx, sweepBuildBudget)
		loaded, err := sweepWrite(bctx, db, table, b.Loaded, fillers, sweepGen(cat), false)
		cancel()
		took := time.Since(t0)
		res.BuildRate = float64(loaded-b.Loaded) / took.Seconds()
		b.Loaded, b.BuildTook = loaded, b.BuildTook+took
		*dirty = true
		if err := sweepMetaPut(ctx, db, size, b); err != nil {
			return res, err
		}
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			res.BuildTook, res.Reached = b.BuildTook, loaded
			return res, nil
		}
		if err != nil {
			return res, err
		}
	}
	res.BuildTook = b.BuildTook
	// The due items a previous run deleted come back, stamped the same way.
	t0 := time.Now()
	if _, err := sweepWrite(ctx, db, table, -sweepDue, 0, sweepGen(cat), false); err != nil {
		return res, err
	}
	res.RestoreTook = time.Since(t0)
	// What a full Scan of the table, now holding size.N items, would read:
	// computed from its size (a real Scan of 1 M items does not finish in
	// DynamoDB Local), the formula checked against a real Scan at 100 k.
	if res.Model, err = sweepScanModel(ctx, db, cat, table, size.N); err != nil {
		return res, err
	}
	if err := sweepEnsureTable(ctx, db, tpl, "audit", cat.Table("audit"), true); err != nil { // no cursor, no receipts
		return res, err
	}

	first, err := sweepRun(ctx, cfg, opt, cat, sweepNow)
	if err != nil {
		return res, err
	}
	res.First = first
	second, err := sweepRun(ctx, cfg, opt, cat, sweepNow.Add(first.Took)) // right after: the clock moved on by the first run
	if err != nil {
		return res, err
	}
	res.Second = second
	if size.N > sweepScanMeasuredMax {
		return res, nil // computed only (res.Model)
	}
	// The Scan the formula is checked against: every run, over the whole
	// table (the due items back in), paged as the formula says.
	if _, err := sweepWrite(ctx, db, table, -sweepDue, 0, sweepGen(cat), false); err != nil {
		return res, err
	}
	if res.Scan, err = sweepScanTable(ctx, cfg, opt, table); err != nil {
		res.ScanErr = err
	}
	return res, nil
}

func sweepRun(ctx context.Context, cfg aws.Config, opt func(*dynamodb.Options), cat *record.Catalogue, now time.Time) (sweepRunResult, error) {
	rec := awsprobe.NewRecorder()
	pc := cfg.Copy()
	rec.Attach(&pc)
	db := dynamodb.NewFromConfig(pc, opt)
	meter := &sweepDB{DB: db}
	clock := func() time.Time { return now }
	ledger, err := retention.NewLedger(db, cat, clock)
	if err != nil {
		return sweepRunResult{}, err
	}
	s, err := retention.New(cat, recordstore.NewStore(meter, cat), ledger, nil, clock)
	if err != nil {
		return sweepRunResult{}, err
	}
	t0 := time.Now()
	r, err := s.Run(ctx)
	out := sweepRunResult{Report: r, Took: time.Since(t0), RCU: meter.rcu, AtLeast: meter.atLeast, Queries: meter.queries, Counts: rec.Snapshot()}
	for _, c := range r.Rules {
		out.Removed += c.Deleted + c.Anonymised
	}
	if err == nil && !r.Done {
		err = errors.New("the run did not finish")
	}
	progress("sweep: run at %s: %d read, %d removed, %.1f RCU in %d queries, %s", now.Format(time.RFC3339), r.Read, out.Removed, out.RCU, out.Queries, out.Took.Round(time.Millisecond))
	return out, err
}
