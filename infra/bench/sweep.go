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
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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
			if _, err := sweepWrite(ctx, db, cat, table, fillers, b.Loaded, true); err != nil {
				return res, err
			}
			b.Loaded = fillers
		} else {
			progress("sweep %s: continuing the build of %s from %d items", size.Name, table, b.Loaded)
		}
		t0 := time.Now()
		bctx, cancel := context.WithTimeout(ctx, sweepBuildBudget)
		loaded, err := sweepWrite(bctx, db, cat, table, b.Loaded, fillers, false)
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
	if _, err := sweepWrite(ctx, db, cat, table, -sweepDue, 0, false); err != nil {
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
	if _, err := sweepWrite(ctx, db, cat, table, -sweepDue, 0, false); err != nil {
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

// sweepWrite puts (or with del deletes) items [from, to) (negative: the due
// ones) with BatchWriteItem from parallel workers and returns up to where
// every item is written.
func sweepWrite(ctx context.Context, db *dynamodb.Client, cat *record.Catalogue, table string, from, to int, del bool) (int, error) {
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errs       = make([]error, sweepLoaders)
		cur        = make([]int, sweepLoaders) // each worker's chunk in hand; to when it has none left
		t0         = time.Now()
	)
	next.Store(int64(from))
	for w := range cur {
		cur[w] = from
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				d := done.Load()
				progress("sweep: loading %s: %d of %d items, %.0f items/s", table, d, to-from, float64(d)/time.Since(t0).Seconds())
			}
		}
	}()
	for w := range sweepLoaders {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := int(next.Add(25)) - 25
				if start >= to {
					cur[w] = to
					return
				}
				cur[w] = start
				end := min(start+25, to)
				reqs := make([]types.WriteRequest, 0, end-start)
				for i := start; i < end; i++ {
					item, err := sweepItem(cat, i)
					if err != nil {
						errs[w] = err
						return
					}
					if del {
						reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}}})
					} else {
						reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
					}
				}
				pending := map[string][]types.WriteRequest{table: reqs}
				for attempt := 0; len(pending[table]) > 0; attempt++ {
					if attempt > 0 {
						time.Sleep(time.Duration(min(attempt, 6)) * 50 * time.Millisecond)
					}
					out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						errs[w] = err
						return
					}
					pending = out.UnprocessedItems
				}
				done.Add(int64(end - start))
			}
		})
	}
	wg.Wait()
	close(stop)
	loaded := to // every chunk below each worker's last one is in
	for _, c := range cur {
		loaded = min(loaded, c)
	}
	if err := ctx.Err(); err != nil {
		return loaded, err
	}
	return loaded, errors.Join(errs...)
}

// sweepItem is item i: i < 0 is one of the sweepDue items
// due by sweepNow (the same in every table), i ≥ 0 one that is not due yet.
// Each is a record of a kind the bookings table holds, with its attributes,
// stamped from its declared rule.
func sweepItem(cat *record.Catalogue, i int) (map[string]types.AttributeValue, error) {
	due := i < 0
	seed := uint64(i)
	if due {
		seed = uint64(-i) | 1<<62
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ref := fmt.Sprintf("F%07d", i)
	if due {
		ref = fmt.Sprintf("D%06d", -i)
	}
	days := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	secs := func(d time.Duration) time.Duration {
		return time.Duration(rng.Int64N(int64(d/time.Second))) * time.Second
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	resources := []string{"guided-tour", "workshop", "school-visit", "auditorium"}
	resource := resources[rng.IntN(len(resources))]
	h := fnv.New64a()
	h.Write([]byte("subject:" + ref))
	subject := fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	num := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

	// What a bookings table holds: mostly bookings (kept 6 years), identity
	// codes of open bookings (12 months), capacity counters (30 days after
	// their day) and per-address mail budgets (1 day).
	p := rng.IntN(100)
	kind, state := "booking", "any"
	switch {
	case due && p < 55, !due && p < 70:
	case due && p < 75, !due && p < 85:
		kind, state = "booking-hetu", "open"
	case due && p < 95, !due && p < 99:
		kind = "capacity"
	default:
		kind = "mail-budget"
	}
	item := map[string]types.AttributeValue{}
	switch kind {
	case "booking":
		d := sweepNow.AddDate(-6, 0, days(1, 6*365+365)) // expires after now: up to a year ahead
		if due {
			d = sweepNow.AddDate(-6, 0, -days(0, sweepDueDays-1))
		}
		created := d.AddDate(0, 0, -days(3, 60)).Add(secs(24 * time.Hour))
		item = map[string]types.AttributeValue{
			"pk": s("BOOKING#" + ref), "sk": s("BOOKING"), "subjectKey": s(subject), "reference": s(ref),
			"resource": s(resource), "date": s(day(d)), "start": s(fmt.Sprintf("%02d:00", 9+rng.IntN(8))), "end": s(fmt.Sprintf("%02d:30", 10+rng.IntN(8))),
			"participants": num(1 + rng.IntN(30)), "firstName": s("Etunimi" + ref[1:4]), "lastName": s("Sukunimi" + ref[4:]),
			"email": s(strings.ToLower(ref) + "@example.fi"), "phone": s(fmt.Sprintf("+35840%07d", rng.IntN(10_000_000))),
			"organisation": s("Koulu " + ref[1:5]), "payment": s("invoice"), "street": s("Katu " + strconv.Itoa(1+rng.IntN(99))),
			"postcode": s(fmt.Sprintf("%05d", rng.IntN(100_000))), "city": s("Helsinki"), "hetuGiven": &types.AttributeValueMemberBOOL{Value: rng.IntN(5) == 0},
			"notes": s(strings.Repeat("lisätieto ", rng.IntN(8))), "lang": s("fi"), "status": s("confirmed"),
			"createdAt": s(stamp(created)), "decidedAt": s(stamp(created.Add(secs(48 * time.Hour)))),
		}
	case "booking-hetu":
		c := sweepNow.AddDate(0, -12, 0).Add(time.Hour + secs(364*24*time.Hour))
		if due {
			c = sweepNow.AddDate(0, -12, 0).Add(-secs(sweepDueDays * 24 * time.Hour))
		}
		item = map[string]types.AttributeValue{
			"pk": s("BOOKING#" + ref), "sk": s("HETU"), "subjectKey": s(subject),
			"sealed": s(fmt.Sprintf("v1.%016x%016x%016x%016x", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())), "createdAt": s(stamp(c)),
		}
	case "capacity":
		d := sweepNow.AddDate(0, 0, -30+days(1, 395))
		if due {
			d = sweepNow.AddDate(0, 0, -30-days(0, sweepDueDays-1))
		}
		item = map[string]types.AttributeValue{
			"pk": s("CAP#" + resource + "#" + day(d)), "sk": s("SLOT#" + ref), "used": num(rng.IntN(40)), "date": s(day(d)),
		}
	case "mail-budget":
		w := sweepNow.Add(-secs(23 * time.Hour))
		if due {
			w = sweepNow.AddDate(0, 0, -1).Add(-secs(sweepDueDays * 24 * time.Hour))
		}
		item = map[string]types.AttributeValue{
			"pk": s("MAILBUDGET#" + subject), "sk": s("BUDGET"), "subjectKey": s(subject), "mails": num(1 + rng.IntN(3)), "windowStart": s(stamp(w)),
		}
	}
	if err := cat.Stamp(kind, state, item); err != nil {
		return nil, err
	}
	// The sweep's clock decides: check the stamp put the item where meant.
	exp, _ := strconv.ParseInt(item[record.AttrExpiresAt].(*types.AttributeValueMemberN).Value, 10, 64)
	if isDue := exp <= sweepNow.Unix(); isDue != due || (due && exp <= sweepNow.AddDate(0, 0, -sweepDueDays-1).Unix()) {
		return nil, fmt.Errorf("generator: %s %s expires %s: due=%v, meant due=%v", kind, ref, time.Unix(exp, 0).UTC(), isDue, due)
	}
	return item, nil
}

// sweepDBFile is DynamoDB Local's database with -sharedDb.
const sweepDBFile = "shared-local-instance.db"

// sweepCopy copies a file through a temporary name, so a copy cut short is
// never taken for the whole.
func sweepCopy(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to + ".part")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(to+".part", to)
}

// The meta table records how far each table's build got.
const sweepMeta = "sweep-meta"

func sweepEnsureMeta(ctx context.Context, db *dynamodb.Client) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(sweepMeta),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	return err
}

// sweepBuild is how far a table's build got: items [0, Loaded) are in it,
// loaded in BuildTook so far.
type sweepBuild struct {
	N, Loaded int
	BuildTook time.Duration
}

func sweepMetaGet(ctx context.Context, db *dynamodb.Client, size sweepSize) (sweepBuild, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sweepMeta), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: size.Name}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return sweepBuild{}, err
	}
	num := func(name string) int64 {
		v, _ := out.Item[name].(*types.AttributeValueMemberN)
		if v == nil {
			return 0
		}
		x, _ := strconv.ParseFloat(v.Value, 64)
		return int64(x)
	}
	b := sweepBuild{N: int(num("n")), Loaded: int(num("loaded")), BuildTook: time.Duration(num("buildMs")) * time.Millisecond}
	if b.N != size.N {
		return sweepBuild{}, nil
	}
	return b, nil
}

func sweepMetaPut(ctx context.Context, db *dynamodb.Client, size sweepSize, b sweepBuild) error {
	n := func(v int64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: size.Name}, "n": n(int64(size.N)), "loaded": n(int64(b.Loaded)), "buildMs": n(b.BuildTook.Milliseconds()),
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sweepMeta), Item: item})
	return err
}

// sweepEnsureTable creates table with the schema template.yaml gives the
// declared table; fresh drops it first, else an existing one is kept.
func sweepEnsureTable(ctx context.Context, db *dynamodb.Client, tpl *local.Template, declared, table string, fresh bool) error {
	logical := strings.ToUpper(declared[:1]) + declared[1:] + "Table"
	r, ok := tpl.Resources[logical]
	if !ok || r.Type != "AWS::DynamoDB::Table" {
		return fmt.Errorf("template.yaml has no table %s for %s", logical, declared)
	}
	if fresh {
		_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			return err
		}
	}
	str := func(v any) string { s, _ := v.(string); return s }
	list := func(v any) []any { l, _ := v.([]any); return l }
	m := func(v any) map[string]any { x, _ := v.(map[string]any); return x }
	keys := func(v any) []types.KeySchemaElement {
		var out []types.KeySchemaElement
		for _, k := range list(v) {
			out = append(out, types.KeySchemaElement{AttributeName: aws.String(str(m(k)["AttributeName"])), KeyType: types.KeyType(str(m(k)["KeyType"]))})
		}
		return out
	}
	p := r.Properties
	in := &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest, KeySchema: keys(p["KeySchema"])}
	for _, a := range list(p["AttributeDefinitions"]) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(str(m(a)["AttributeName"])), AttributeType: types.ScalarAttributeType(str(m(a)["AttributeType"]))})
	}
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		pr := &types.Projection{ProjectionType: types.ProjectionType(str(m(m(g)["Projection"])["ProjectionType"]))}
		for _, a := range list(m(m(g)["Projection"])["NonKeyAttributes"]) {
			pr.NonKeyAttributes = append(pr.NonKeyAttributes, str(a))
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(str(m(g)["IndexName"])), KeySchema: keys(m(g)["KeySchema"]), Projection: pr})
	}
	_, err := db.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if !fresh && errors.As(err, &inUse) {
		return nil
	}
	return err
}
