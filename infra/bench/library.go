package main

// The library register's rows (issue 11, "Scale"): the weekly
// collection-agency transfer (library.TransferFunction's schedule {"run":"transfer"},
// built as in Lambda) at libShape's patrons and open loans with 0.5 % of the
// loans 60 days overdue — its byDue Queries' read units against the overdue
// set, its Scans (0) and calls; the yearly purge (the retention sweep with
// REGISTER=library on 1 January) at 5 % of the patrons due — deleted (with
// their guardian links), kept (an unpaid fee), read units against due,
// BatchWriteItem calls against due/25, Scans 0; and the circulation feed
// (library.Service.ApplyCirculation, what POST /library/circulation runs)
// — AWS calls and write units per event, by type (library_circ.go).
//
// The tables are built once in a DynamoDB Local kept under
// .local/bench-data/library-<version>-<size> (run on a copy in /dev/shm as
// the sweep's is) and reused while the version stays the same; each run
// first puts back what the previous one changed (the due patrons and their
// links, the overdue loans and their patrons) and empties the transfers
// and audit tables. KMS, Secrets Manager and S3 are answered in-process and
// counted (library_aws.go).

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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/library"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/retention"
)

// libDataVersion names the shape of the generated data; change it when the
// generator changes, and the next run builds fresh tables.
const libDataVersion = "v2"

// libBuildBudget is how long building one size's tables may take in one
// run ($BENCH_LIBRARY_BUDGET overrides it); a build that runs out keeps
// what it loaded and goes on next run.
var libBuildBudget = 20 * time.Minute

// libDue patrons are due in the purge and libOverdue loans 60 days
// overdue, at every size: 5 % and 0.5 % of the small size's patrons and
// loans; at 1 M the same sets in tables 50 (patrons) and 5 (loans) times
// the size. DynamoDB Local applies the purge's and transfer's calls at a few
// hundred a second, so 5 % of 1 M (50 k due: ~300 k calls) would take ~20
// minutes a run; what a run reads per due item is what the rows compare.
const (
	libDue     = 1000
	libOverdue = 500
)

type libSize struct {
	Name  string
	Shape libShape
}

// libSizes are the sizes `-library` selects.
func libSizes(flag string) ([]libSize, error) {
	small := libSize{"20k", libShape{Patrons: 20_000, Loans: 100_000, Due: libDue, Overdue: libOverdue}}
	switch strings.ToLower(flag) {
	case "", "on", "1m":
		return []libSize{small, {"1m", libShape{Patrons: 1_000_000, Loans: 500_000, Due: libDue, Overdue: libOverdue}}}, nil
	case "5m":
		return []libSize{small, {"1m-5m", libShape{Patrons: 1_000_000, Loans: 5_000_000, Due: libDue, Overdue: libOverdue}}}, nil
	case "small", "20k":
		return []libSize{small}, nil
	case "off", "0", "none":
		return nil, nil
	}
	return nil, fmt.Errorf("-library %q: want on (20 k and 1 M patrons), 5m (20 k, and 1 M with 5 M loans), small or off", flag)
}

type libTransferResult struct {
	Overdue     int // loans on byDue due by the cutoff (the generator's)
	Transferred int // transfer items written
	Patrons     int // patrons with a transfer
	Skipped     int // overdue loans of children (not transferred)
	ByDue       libReads
	Files       libReads // the Queries of the week's transfer items, for the files
	BatchGetRCU float64
	Counts      awsprobe.Counts
	Stand       map[string]int
	FileBytes   int64
	Took        time.Duration
}

type libPurgeResult struct {
	Report      retention.Report
	Due         int
	Expiry      libReads // the byExpiry Queries: the due items
	With        libReads // the other Queries: what goes with a deleted patron
	BatchGetRCU float64
	Counts      awsprobe.Counts
	Took        time.Duration
}

type libReport struct {
	Sizes []*libSizeReport
	Circ  []libCircResult
	Took  time.Duration
}

type libSizeReport struct {
	DataDir     string
	Size        libSize
	Built       bool
	BuildTook   time.Duration
	BuiltNow    time.Duration
	BuildRate   float64
	Incomplete  string
	RestoreTook time.Duration
	Transfer    *libTransferResult
	Purge       *libPurgeResult
	Took        time.Duration
}

// libMeter sums the consumed capacity of the reads an SDK client makes,
// the Queries by index ("" for a table's own key).
type libMeter struct {
	mu       sync.Mutex
	batchRCU float64
	byIndex  map[string]*libReads
}

type libReads struct {
	RCU            float64
	Queries, Items int
}

func (m *libMeter) index(name string) libReads {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.byIndex[name]; r != nil {
		return *r
	}
	return libReads{}
}

// others sums the Queries of every index but name.
func (m *libMeter) others(name string) libReads {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out libReads
	for k, r := range m.byIndex {
		if k != name {
			out.RCU, out.Queries, out.Items = out.RCU+r.RCU, out.Queries+r.Queries, out.Items+r.Items
		}
	}
	return out
}

func (m *libMeter) attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("libMeter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			switch o := out.Result.(type) {
			case *dynamodb.QueryOutput:
				idx := ""
				if q, ok := in.Parameters.(*dynamodb.QueryInput); ok {
					idx = aws.ToString(q.IndexName)
				}
				if m.byIndex == nil {
					m.byIndex = map[string]*libReads{}
				}
				r := m.byIndex[idx]
				if r == nil {
					r = &libReads{}
					m.byIndex[idx] = r
				}
				r.Queries++
				r.Items += len(o.Items)
				if o.ConsumedCapacity != nil {
					r.RCU += aws.ToFloat64(o.ConsumedCapacity.CapacityUnits)
				}
			case *dynamodb.BatchGetItemOutput:
				for _, c := range o.ConsumedCapacity {
					m.batchRCU += aws.ToFloat64(c.CapacityUnits)
				}
			}
			return out, md, err
		}), middleware.After)
	})
}

// libEnv is the running DynamoDB Local with the library's tables.
type libEnv struct {
	root, logDir string
	size         libSize
	rep          *libSizeReport
	em           *local.Emulators
	db           *dynamodb.Client
	cfg          aws.Config
	tpl          *local.Template
	reg, plat    *register.Register
	tables       map[string]string // declared → deployed, library and platform
	cat, platCat *record.Catalogue
	gen          *libGen
}

func measureLibrary(ctx context.Context, root, logDir, which string) (*libReport, error) {
	sizes, err := libSizes(which)
	if err != nil || len(sizes) == 0 {
		return nil, err
	}
	if v := os.Getenv("BENCH_LIBRARY_BUDGET"); v != "" {
		if libBuildBudget, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("BENCH_LIBRARY_BUDGET: %w", err)
		}
	}
	t0 := time.Now()
	rep := &libReport{}
	for i, size := range sizes {
		r, circ, err := measureLibrarySize(ctx, root, logDir, size, i == 0)
		if r != nil {
			rep.Sizes = append(rep.Sizes, r)
		}
		if circ != nil {
			rep.Circ = circ
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", size.Name, err)
		}
	}
	rep.Took = time.Since(t0)
	return rep, nil
}

func measureLibrarySize(ctx context.Context, root, logDir string, size libSize, circ bool) (_ *libSizeReport, circRes []libCircResult, err error) {
	t0 := time.Now()
	e := &libEnv{root: root, logDir: logDir, size: size}
	e.rep = &libSizeReport{Size: size, DataDir: filepath.Join(cmp.Or(os.Getenv("BENCH_SWEEP_DATA"), filepath.Join(root, ".local", "bench-data")), "library-"+libDataVersion+"-"+size.Name)}
	if e.reg, err = register.Load("library"); err != nil {
		return nil, nil, err
	}
	if e.plat, err = register.Load("museum"); err != nil {
		return nil, nil, err
	}
	if e.tpl, err = local.ReadTemplate(filepath.Join(root, "template.yaml")); err != nil {
		return nil, nil, err
	}
	work, dirty := e.rep.DataDir, false
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if work, err = os.MkdirTemp("/dev/shm", "rekisteri-bench-library-"); err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(work)
		if err := sweepCopy(filepath.Join(e.rep.DataDir, sweepDBFile), filepath.Join(work, sweepDBFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	progress("library: starting DynamoDB Local on %s (kept in %s)", work, e.rep.DataDir)
	if e.em, err = local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: root, LogDir: logDir, DynamoDBDataDir: work, DynamoDBHeap: "2g"}); err != nil {
		return nil, nil, err
	}
	defer func() {
		_ = e.em.Stop()
		if dirty && work != e.rep.DataDir {
			if err := os.MkdirAll(e.rep.DataDir, 0o755); err == nil {
				if err := sweepCopy(filepath.Join(work, sweepDBFile), filepath.Join(e.rep.DataDir, sweepDBFile)); err != nil {
					progress("library: keeping the built tables: %v", err)
				}
			}
		}
	}()
	e.cfg = aws.Config{
		Region: "eu-north-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench"}, nil
		}),
		BaseEndpoint: aws.String(e.em.DynamoDBURL),
		HTTPClient:   &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2 * sweepLoaders}},
	}
	e.db = dynamodb.NewFromConfig(e.cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	e.tables = map[string]string{}
	for _, t := range record.Tables(e.reg) {
		e.tables[t] = "lib-" + t
	}
	platTables := map[string]string{}
	for _, t := range record.Tables(e.plat) {
		platTables[t] = "lib-" + t
	}
	if e.cat, err = record.NewCatalogue(e.reg, e.tables); err != nil {
		return nil, nil, err
	}
	if e.platCat, err = record.NewCatalogue(e.plat, platTables); err != nil {
		return nil, nil, err
	}
	e.gen = &libGen{shape: size.Shape, cat: e.cat, seal: fieldcrypt.New(libKMS{}, "bench")}
	if err := sweepEnsureMeta(ctx, e.db); err != nil {
		return nil, nil, err
	}
	if err := e.build(ctx, &dirty); err != nil || e.rep.Incomplete != "" {
		e.rep.Took = time.Since(t0)
		return e.rep, nil, err
	}
	if err := e.restore(ctx); err != nil {
		return e.rep, nil, err
	}
	if e.rep.Purge, err = e.purge(ctx); err != nil {
		return e.rep, nil, fmt.Errorf("library purge: %w", err)
	}
	if err := e.restore(ctx); err != nil {
		return e.rep, nil, err
	}
	if e.rep.Transfer, err = e.transfer(ctx); err != nil {
		return e.rep, nil, fmt.Errorf("library transfer: %w", err)
	}
	if err := e.restore(ctx); err != nil { // leave the tables as built
		return e.rep, nil, err
	}
	e.rep.Took = time.Since(t0)
	if circ {
		if circRes, err = e.circulation(ctx); err != nil {
			return e.rep, nil, fmt.Errorf("library circulation: %w", err)
		}
	}
	return e.rep, circRes, nil
}

// build loads the patrons and loans tables, or finds them loaded.
func (e *libEnv) build(ctx context.Context, dirty *bool) error {
	s := e.size.Shape
	for _, part := range []struct {
		declared string
		n        int
		gen      func(int) (map[string]types.AttributeValue, error)
	}{
		{library.TablePatrons, s.patronItems(), func(i int) (map[string]types.AttributeValue, error) { return e.gen.patronsItem(ctx, i) }},
		{library.TableLoans, s.loanItems(), e.gen.loansItem},
	} {
		key := sweepSize{Name: "library-" + e.size.Name + "-" + part.declared, N: part.n}
		b, err := sweepMetaGet(ctx, e.db, key)
		if err != nil {
			return err
		}
		e.rep.BuildTook += b.BuildTook
		if b.Loaded == part.n {
			continue
		}
		e.rep.Built = true
		if b.Loaded == 0 {
			if err := sweepEnsureTable(ctx, e.db, e.tpl, part.declared, e.tables[part.declared], true); err != nil {
				return err
			}
		}
		budget := libBuildBudget - e.rep.BuiltNow
		if budget <= 0 {
			e.rep.Incomplete = fmt.Sprintf("%s: %d of %d items", part.declared, b.Loaded, part.n)
			return nil
		}
		t0 := time.Now()
		bctx, cancel := context.WithTimeout(ctx, budget)
		loaded, err := sweepWrite(bctx, e.db, e.tables[part.declared], b.Loaded, part.n, part.gen, false)
		cancel()
		took := time.Since(t0)
		e.rep.BuiltNow += took
		e.rep.BuildTook += took
		e.rep.BuildRate = float64(loaded-b.Loaded) / took.Seconds()
		progress("library: %s: %d items loaded in %s (%.0f items/s)", part.declared, loaded-b.Loaded, took.Round(time.Second), e.rep.BuildRate)
		b.N, b.Loaded, b.BuildTook = part.n, loaded, b.BuildTook+took
		*dirty = true
		if err := sweepMetaPut(ctx, e.db, key, b); err != nil {
			return err
		}
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			e.rep.Incomplete = fmt.Sprintf("%s: %d of %d items", part.declared, loaded, part.n)
			return nil
		}
		if err != nil {
			return err
		}
	}
	// The tables the runs write to, empty.
	for _, t := range []string{library.TableTransfers, library.TableStatistics} {
		if err := sweepEnsureTable(ctx, e.db, e.tpl, t, e.tables[t], false); err != nil {
			return err
		}
	}
	return nil
}
