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
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// reqDB splits the record store's consumed capacity into reads and writes,
// and counts reads at AWS's minimum: 0.5 RCU per Query (a bySubject Query is
// eventually consistent) and 1 RCU per key of a strongly consistent
// BatchGetItem — DynamoDB Local bills 0 for what reads nothing.
type reqDB struct {
	recordstore.DB
	mu                     sync.Mutex
	read, readMin, write   float64
	queries, getKeys       int
	batchWrites, updateOps int
}

func cu(c *types.ConsumedCapacity) float64 {
	if c == nil {
		return 0
	}
	return aws.ToFloat64(c.CapacityUnits)
}

func cus(cs []types.ConsumedCapacity) float64 {
	t := 0.0
	for i := range cs {
		t += cu(&cs[i])
	}
	return t
}

func (d *reqDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := d.DB.Query(ctx, in, opts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queries++
	if err == nil {
		c := cu(out.ConsumedCapacity)
		d.read += c
		d.readMin += max(c, 0.5)
	}
	return out, err
}

func (d *reqDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	keys := 0
	for _, ka := range in.RequestItems {
		keys += len(ka.Keys)
	}
	out, err := d.DB.BatchGetItem(ctx, in, opts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.getKeys += keys
	if err == nil {
		c := cus(out.ConsumedCapacity)
		d.read += c
		d.readMin += max(c, float64(keys))
	}
	return out, err
}

func (d *reqDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	out, err := d.DB.BatchWriteItem(ctx, in, opts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.batchWrites++
	if err == nil {
		d.write += cus(out.ConsumedCapacity)
	}
	return out, err
}

func (d *reqDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := d.DB.UpdateItem(ctx, in, opts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.updateOps++
	if err == nil {
		d.write += cu(out.ConsumedCapacity)
	}
	return out, err
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

// reqOpen starts one size's DynamoDB Local on a copy of its kept tables and
// builds what is not built yet; the env's close stops it and keeps them.
func reqOpen(ctx context.Context, root, logDir, base string, rep *reqReport, reg *register.Register, tpl *local.Template, size reqSize) (env *reqEnv, err error) {
	res := &reqSizeResult{Size: size}
	began := time.Now()
	defer func() { res.Took += time.Since(began) }()
	kept := filepath.Join(rep.DataDir, size.Name)
	work, dirty := kept, false
	var cleanup []func()
	closeAll := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	defer func() {
		if env == nil {
			closeAll()
		}
	}()
	t0 := time.Now()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if work, err = os.MkdirTemp("/dev/shm", "rekisteri-bench-requests-"); err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(work) })
	}
	from := filepath.Join(kept, sweepDBFile)
	if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) && size.N == 1_000_000 {
		// No 1 M tables of our own yet: start from the sweep's, whose 1 M
		// bookings table is what ours would be (sweepItem), however far it got.
		if sw := filepath.Join(base, "sweep-"+sweepDataVersion, sweepDBFile); fileExists(sw) {
			from, res.Seeded, dirty = sw, sw, true
		}
	}
	if work != kept || res.Seeded != "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return nil, err
		}
		if err := sweepCopy(from, filepath.Join(work, sweepDBFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	progress("requests %s: starting DynamoDB Local on %s (kept in %s%s)", size.Name, work, kept, map[bool]string{true: "; starting from the sweep's " + res.Seeded}[res.Seeded != ""])
	em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: root, LogDir: filepath.Join(logDir, "requests-"+size.Name), DynamoDBDataDir: work, DynamoDBHeap: "2g"})
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() {
		_ = em.Stop()
		if dirty && work != kept {
			t := time.Now()
			err := os.MkdirAll(kept, 0o755)
			if err == nil {
				err = sweepCopy(filepath.Join(work, sweepDBFile), filepath.Join(kept, sweepDBFile))
			}
			if err != nil {
				progress("requests %s: keeping the built tables: %v", size.Name, err)
			} else {
				progress("requests %s: built tables kept in %s (%s)", size.Name, kept, time.Since(t).Round(100*time.Millisecond))
			}
		}
	})
	res.StartTook = time.Since(t0)

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
	if err := sweepEnsureMeta(ctx, db); err != nil {
		return nil, err
	}

	deployed := map[string]string{}
	for _, t := range record.Tables(reg) {
		deployed[t] = "requests-" + size.Name + "-" + t
	}
	if size.N == 1_000_000 {
		deployed["bookings"] = "sweep-1m-bookings" // the sweep's table, its items and meta row
	}
	cat, err := record.NewCatalogue(reg, deployed)
	if err != nil {
		return nil, err
	}
	for _, t := range record.Tables(reg) {
		if !slices.Contains(reqFilled, t) {
			if err := sweepEnsureTable(ctx, db, tpl, t, deployed[t], false); err != nil { // empty
				return nil, err
			}
		}
	}
	e := &reqEnv{res: res, cfg: cfg, opt: opt, db: db, cat: cat, close: closeAll}

	// Build what is not built yet, within the budget, table by table.
	bctx, cancel := context.WithTimeout(ctx, rep.Budget)
	defer cancel()
	for _, t := range reqFilled {
		now, took, err := reqBuild(bctx, db, tpl, cat, size, t, &dirty)
		res.BuildTook += took
		res.BuiltNow += now
		res.Tables = append(res.Tables, reqTable{Declared: t, Name: deployed[t], Built: now > 0})
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			res.Incomplete = fmt.Sprintf("building %s ran out of the %s budget", deployed[t], rep.Budget)
			return e, nil
		}
		if err != nil {
			return nil, err
		}
	}
	t0 = time.Now()
	for i := range res.Tables {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(res.Tables[i].Name)})
		if err != nil {
			return nil, err
		}
		res.Tables[i].Items = aws.ToInt64(out.Table.ItemCount)
	}
	res.CountTook = time.Since(t0)
	if e.subject, err = reqSubject(cat); err != nil {
		return nil, err
	}
	if err := e.restore(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// reqBuild loads one declared table of one size up to size.N items, going on
// from where an earlier build stopped. It reports how long this run loaded
// and the build time in all (earlier runs', and the sweep's, included).
func reqBuild(ctx context.Context, db *dynamodb.Client, tpl *local.Template, cat *record.Catalogue, size reqSize, declared string, dirty *bool) (now, took time.Duration, err error) {
	table := cat.Table(declared)
	meta := sweepSize{Name: "requests-" + size.Name + "-" + declared, N: size.N}
	from, to := 0, size.N
	write := func(ctx context.Context, from, to int) (int, error) {
		return reqWrite(ctx, db, table, from, to, func(i int) (map[string]types.AttributeValue, error) { return reqItem(cat, declared, i) })
	}
	if declared == "bookings" {
		write = func(ctx context.Context, from, to int) (int, error) {
			return sweepWrite(ctx, db, cat, table, from, to, false)
		}
		if size.N == 1_000_000 {
			// The sweep's layout: its meta row, its N-sweepDue not due, then
			// its due ones (which its runs delete) put back once.
			meta, to = sweepSize{Name: "1m", N: size.N}, size.N-sweepDue
		}
	}
	b, err := sweepMetaGet(ctx, db, meta)
	if err != nil {
		return 0, 0, err
	}
	took = b.BuildTook
	if b.Loaded < to {
		if b.Loaded == 0 {
			if err := sweepEnsureTable(ctx, db, tpl, declared, table, true); err != nil {
				return 0, 0, err
			}
		} else {
			progress("requests %s: continuing the build of %s from %d items", size.Name, table, b.Loaded)
			from = b.Loaded
		}
		t0 := time.Now()
		loaded, werr := write(ctx, from, to)
		now = time.Since(t0)
		b.Loaded, b.BuildTook = loaded, b.BuildTook+now
		*dirty = true
		if err := sweepMetaPut(context.WithoutCancel(ctx), db, meta, b); err != nil {
			return now, b.BuildTook, err
		}
		progress("requests %s: %s: %d of %d items, %s in all", size.Name, table, loaded, to, b.BuildTook.Round(time.Second))
		if werr != nil {
			return now, b.BuildTook, werr
		}
		took = b.BuildTook
	} else {
		progress("requests %s: reusing %s (built earlier in %s)", size.Name, table, b.BuildTook.Round(time.Second))
	}
	if declared == "bookings" && size.N == 1_000_000 {
		due := sweepSize{Name: "requests-1m-bookings-due", N: sweepDue}
		d, err := sweepMetaGet(ctx, db, due)
		if err != nil {
			return now, took, err
		}
		if d.Loaded < sweepDue {
			t0 := time.Now()
			if _, err := sweepWrite(ctx, db, cat, table, -sweepDue, 0, false); err != nil {
				return now + time.Since(t0), took, err
			}
			d.Loaded, d.BuildTook = sweepDue, time.Since(t0)
			now += d.BuildTook
			*dirty = true
			if err := sweepMetaPut(ctx, db, due, d); err != nil {
				return now, took, err
			}
		}
		took += d.BuildTook
	}
	return now, took, nil
}

// reqWrite puts items [from, to) of gen into table with BatchWriteItem
// from parallel workers (sweepWrite's way, for any generator) and returns up
// to where every item is written.
func reqWrite(ctx context.Context, db *dynamodb.Client, table string, from, to int, gen func(int) (map[string]types.AttributeValue, error)) (int, error) {
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errs       = make([]error, sweepLoaders)
		cur        = make([]int, sweepLoaders)
		t0         = time.Now()
		stop       = make(chan struct{})
	)
	next.Store(int64(from))
	for w := range cur {
		cur[w] = from
	}
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				d := done.Load()
				progress("requests: loading %s: %d of %d items, %.0f items/s", table, d, to-from, float64(d)/time.Since(t0).Seconds())
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
					item, err := gen(i)
					if err != nil {
						errs[w] = err
						return
					}
					reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
				}
				if err := reqBatch(ctx, db, map[string][]types.WriteRequest{table: reqs}); err != nil {
					errs[w] = err
					return
				}
				done.Add(int64(end - start))
			}
		})
	}
	wg.Wait()
	close(stop)
	loaded := to
	for _, c := range cur {
		loaded = min(loaded, c)
	}
	if err := ctx.Err(); err != nil {
		return loaded, err
	}
	return loaded, errors.Join(errs...)
}

// reqBatch writes one BatchWriteItem's requests, retrying unprocessed ones.
func reqBatch(ctx context.Context, db *dynamodb.Client, pending map[string][]types.WriteRequest) error {
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 6)) * 50 * time.Millisecond)
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// reqSubjectOf is a subject key as package subject makes them (32 hex).
func reqSubjectOf(name string) string {
	h := fnv.New64a()
	h.Write([]byte("subject:" + name))
	return fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
}

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func avN(v int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

// reqItem is item i of a declared table other than bookings: another
// subject's record as the capability writes it, stamped from its rule.
// subscribers: four per subject (two lists, a subscription and its consent
// each); mail: two jobs per subject; requests: one answered request each.
func reqItem(cat *record.Catalogue, declared string, i int) (map[string]types.AttributeValue, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 0x7e9))
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	ago := func(maxDays int) time.Time {
		return reqNow.Add(-time.Duration(1+rng.Int64N(int64(maxDays)*86400)) * time.Second)
	}
	langs := []string{"fi", "sv", "en"}
	lang := langs[rng.IntN(3)]
	var kind, state string
	var item map[string]types.AttributeValue
	switch declared {
	case "subscribers":
		who := fmt.Sprintf("S%07d", i/4)
		subj := reqSubjectOf(who)
		list := []string{"news", "openings"}[i%4/2]
		signup := ago(900)
		common := map[string]types.AttributeValue{"pk": avS("SUB#" + subj), "subjectKey": avS(subj), "list": avS(list),
			"signupId": avS(fmt.Sprintf("s%07d%d", i/4, i%4/2)), "signupAt": avS(stamp(signup)), "lang": avS(lang), "channel": avS("web-form")}
		item = common
		if i%2 == 0 {
			kind, state = "subscription", "active"
			item["sk"] = avS("LIST#" + list)
			item["email"], item["name"] = avS(strings.ToLower(who)+"@example.fi"), avS("Tilaaja "+who[1:])
			item["status"], item["confirmedAt"] = avS("active"), avS(stamp(signup.Add(time.Hour)))
			item["lastActiveAt"] = avS(stamp(signup.Add(48 * time.Hour)))
			if list == "openings" {
				state = "unsubscribed"
				item["status"], item["unsubscribedAt"] = avS("unsubscribed"), avS(stamp(reqNow.Add(-time.Duration(rng.IntN(20*86400))*time.Second)))
				delete(item, "email")
				delete(item, "name")
			}
		} else {
			kind, state = "consent", "confirmed"
			item["sk"] = avS("CONSENT#" + list + "#" + attrOf(item, "signupId"))
			item["purpose"], item["legalBasis"] = avS(list), avS("consent")
			item["consentTextVersion"], item["noticeVersion"], item["form"] = avS("2026-01"), avS("2026-01"), avS("newsletter")
			item["method"], item["confirmedAt"] = avS("double-opt-in"), avS(stamp(signup.Add(time.Hour)))
			if list == "openings" {
				state = "withdrawn"
				item["withdrawnAt"], item["withdrawalChannel"] = avS(stamp(reqNow.Add(-time.Duration(rng.IntN(20*86400))*time.Second))), avS("unsubscribe-link")
			}
		}
	case "mail":
		subj := reqSubjectOf(fmt.Sprintf("M%07d", i/2))
		created := ago(29)
		templates := []string{"confirm", "welcome", "booking-received", "booking-accepted", "newsletter"}
		kind, state = "mail", "any"
		item = map[string]types.AttributeValue{
			"pk": avS(fmt.Sprintf("MAIL#%s.%07d", templates[i%5], i)), "sk": avS("MAIL"), "subjectKey": avS(subj),
			"to": avS(fmt.Sprintf("m%07d@example.fi", i/2)), "template": avS(templates[i%5]), "lang": avS(lang),
			"params": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"name": avS(fmt.Sprintf("Vastaanottaja %d", i/2)), "link": avS(fmt.Sprintf("https://museo.example.fi/l/%016x", rng.Uint64()))}},
			"class":  avS("transactional"), "status": avS("sent"), "attempts": avN(1 + rng.IntN(2)),
			"createdAt": avS(stamp(created)), "sentAt": avS(stamp(created.Add(time.Duration(1+rng.IntN(60)) * time.Second))),
			"sesMessageId": avS(fmt.Sprintf("%016x-%016x-000000", rng.Uint64(), rng.Uint64())),
		}
	case "requests":
		subj := reqSubjectOf(fmt.Sprintf("R%07d", i))
		received := ago(1000)
		types_ := []string{"access", "erasure", "rectification", "restriction", "objection"}
		kind, state = "request", "resolved"
		item = map[string]types.AttributeValue{
			"pk": avS(fmt.Sprintf("REQUEST#r%012d", i)), "sk": avS("REQUEST"), "subjectKey": avS(subj), "type": avS(types_[i%5]),
			"email": avS(fmt.Sprintf("r%07d@example.fi", i)), "details": avS(strings.Repeat("lisätietoja ", rng.IntN(10))), "lang": avS(lang),
			"status": avS("resolved"), "channel": avS("web-form"), "receivedAt": avS(stamp(received)), "verifiedAt": avS(stamp(received.Add(10 * time.Minute))),
			"dueOn": avS(received.AddDate(0, 1, 0).Format("2006-01-02")), "resolvedAt": avS(stamp(received.Add(time.Duration(1+rng.IntN(20)) * 24 * time.Hour))),
			"steps":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"copy": avS(stamp(received.Add(time.Hour))), "reply": avS(stamp(received.Add(2 * time.Hour)))}},
			"outcome": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"records": avS(strconv.Itoa(rng.IntN(20)))}},
		}
	default:
		return nil, fmt.Errorf("generator: no items for table %s", declared)
	}
	if err := cat.Stamp(kind, state, item); err != nil {
		return nil, err
	}
	return item, nil
}

func attrOf(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// reqRecord is one of the measured subject's records, stamped.
type reqRecord struct {
	Table string // deployed
	Item  map[string]types.AttributeValue
}

// reqSubject are the measured subject's 20 records: 6 in subscribers (two
// subscriptions, three consent receipts, a signup handed over), 7 in
// bookings (four bookings, two identity codes, a mail budget), 6 mail jobs
// and an earlier request. Erasure keeps 6 under their exceptions (two
// consent receipts, two accepted bookings, the invoiced identity code, the
// request) and deletes 14.
func reqSubject(cat *record.Catalogue) ([]reqRecord, error) {
	p := reqSubjectKey[:12]
	email := "maija.meikalainen@example.fi"
	recs := []struct {
		kind, state, pk, sk string
		attrs               map[string]string
	}{
		{"subscription", "active", "SUB#" + p, "LIST#news", map[string]string{"list": "news", "email": email, "name": "Maija Meikäläinen", "lang": "fi", "status": "active", "signupId": "s1", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z", "channel": "web-form"}},
		{"subscription", "unsubscribed", "SUB#" + p, "LIST#openings", map[string]string{"list": "openings", "lang": "fi", "status": "unsubscribed", "signupId": "s2", "signupAt": "2026-02-01T10:00:00Z", "confirmedAt": "2026-02-01T10:30:00Z", "unsubscribedAt": "2026-11-20T08:00:00Z", "channel": "web-form"}},
		{"consent", "confirmed", "SUB#" + p, "CONSENT#news#s1", map[string]string{"list": "news", "purpose": "newsletter", "legalBasis": "consent", "signupId": "s1", "consentTextVersion": "2026-01", "noticeVersion": "2026-01", "form": "newsletter", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z"}},
		{"consent", "withdrawn", "SUB#" + p, "CONSENT#openings#s2", map[string]string{"list": "openings", "purpose": "openings", "legalBasis": "consent", "signupId": "s2", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-02-01T10:00:00Z", "confirmedAt": "2026-02-01T10:30:00Z", "withdrawnAt": "2026-11-20T08:00:00Z", "withdrawalChannel": "unsubscribe-link"}},
		{"consent", "unconfirmed", "SUB#" + p, "CONSENT#news#s3", map[string]string{"list": "news", "purpose": "newsletter", "legalBasis": "consent", "signupId": "s3", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-11-29T10:00:00Z"}},
		{"signup-request", "any", "SIGNUP#" + p, "SIGNUP", map[string]string{"email": email, "name": "Maija", "lang": "fi", "channel": "bookings-form", "form": "bookings", "createdAt": "2026-11-30T10:00:00Z"}},
		{"booking", "any", "BOOKING#A1" + p, "BOOKING", map[string]string{"reference": "A1" + p[:4], "resource": "guided-tour", "date": "2026-09-01", "start": "10:00", "end": "11:00", "firstName": "Maija", "lastName": "Meikäläinen", "email": email, "phone": "+358401234567", "organisation": "Koulu", "payment": "invoice", "notes": "lisätieto", "lang": "fi", "status": "accepted", "createdAt": "2026-08-01T10:00:00Z", "decidedAt": "2026-08-02T10:00:00Z"}},
		{"booking", "any", "BOOKING#A2" + p, "BOOKING", map[string]string{"reference": "A2" + p[:4], "resource": "workshop", "date": "2026-12-15", "start": "12:00", "end": "14:00", "firstName": "Maija", "lastName": "Meikäläinen", "email": email, "phone": "+358401234567", "payment": "card", "lang": "fi", "status": "accepted", "remindOn": "2026-12-13", "createdAt": "2026-11-01T10:00:00Z", "decidedAt": "2026-11-02T10:00:00Z"}},
		{"booking", "any", "BOOKING#D1" + p, "BOOKING", map[string]string{"reference": "D1" + p[:4], "resource": "auditorium", "date": "2026-12-20", "firstName": "Maija", "email": email, "lang": "fi", "status": "declined", "declineReason": "full", "createdAt": "2026-11-10T10:00:00Z", "decidedAt": "2026-11-11T10:00:00Z"}},
		{"booking", "any", "BOOKING#C1" + p, "BOOKING", map[string]string{"reference": "C1" + p[:4], "resource": "school-visit", "date": "2027-01-20", "firstName": "Maija", "email": email, "lang": "fi", "status": "cancelled", "createdAt": "2026-11-12T10:00:00Z", "cancelledAt": "2026-11-13T10:00:00Z"}},
		{"booking-hetu", "invoiced", "BOOKING#A1" + p, "HETU", map[string]string{"sealed": "v1.c2VhbGVkLWJlbmNoLWhldHUtaW52b2ljZWQ", "createdAt": "2026-08-01T10:00:00Z", "invoicedAt": "2026-09-02T10:00:00Z"}},
		{"booking-hetu", "open", "BOOKING#A2" + p, "HETU", map[string]string{"sealed": "v1.c2VhbGVkLWJlbmNoLWhldHUtb3Blbg", "createdAt": "2026-11-01T10:00:00Z"}},
		{"mail-budget", "any", "MAILBUDGET#" + reqSubjectKey, "BUDGET", map[string]string{"windowStart": "2026-11-30T10:00:00Z"}},
		{"mail", "any", "MAIL#confirm." + p, "MAIL", map[string]string{"to": email, "template": "confirm", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-29T10:00:01Z", "sentAt": "2026-11-29T10:00:03Z"}},
		{"mail", "any", "MAIL#welcome." + p, "MAIL", map[string]string{"to": email, "template": "welcome", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-29T10:05:00Z", "sentAt": "2026-11-29T10:05:02Z"}},
		{"mail", "any", "MAIL#booking-received." + p, "MAIL", map[string]string{"to": email, "template": "booking-received", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-12T10:00:01Z", "sentAt": "2026-11-12T10:00:02Z"}},
		{"mail", "any", "MAIL#booking-declined." + p, "MAIL", map[string]string{"to": email, "template": "booking-declined", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-11T10:00:01Z", "sentAt": "2026-11-11T10:00:02Z"}},
		{"mail", "any", "MAIL#booking-accepted." + p, "MAIL", map[string]string{"to": email, "template": "booking-accepted", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-02T10:00:01Z", "sentAt": "2026-11-02T10:00:02Z"}},
		{"mail", "any", "MAIL#request-verify." + p, "MAIL", map[string]string{"to": email, "template": "request-verify", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-30T09:00:01Z", "sentAt": "2026-11-30T09:00:02Z"}},
		{"request", "resolved", "REQUEST#rearlier" + p[:5], "REQUEST", map[string]string{"type": "access", "email": email, "details": "Haluan kopion tiedoistani.", "lang": "fi", "status": "resolved", "channel": "web-form", "receivedAt": "2026-03-01T10:00:00Z", "verifiedAt": "2026-03-01T10:10:00Z", "dueOn": "2026-04-01", "resolvedAt": "2026-03-05T10:00:00Z"}},
	}
	out := make([]reqRecord, 0, len(recs))
	for _, r := range recs {
		item := map[string]types.AttributeValue{"pk": avS(r.pk), "sk": avS(r.sk), "subjectKey": avS(reqSubjectKey)}
		for k, v := range r.attrs {
			item[k] = avS(v)
		}
		tw, err := cat.Put(r.kind, r.state, item)
		if err != nil {
			return nil, fmt.Errorf("subject's %s %s: %w", r.kind, r.state, err)
		}
		out = append(out, reqRecord{Table: aws.ToString(tw.Put.TableName), Item: tw.Put.Item})
	}
	return out, nil
}

// reqPut puts the subject's records back as they were (whole items).
func reqPut(ctx context.Context, db *dynamodb.Client, recs []reqRecord) error {
	for start := 0; start < len(recs); start += 25 {
		pending := map[string][]types.WriteRequest{}
		for _, r := range recs[start:min(start+25, len(recs))] {
			pending[r.Table] = append(pending[r.Table], types.WriteRequest{PutRequest: &types.PutRequest{Item: r.Item}})
		}
		if err := reqBatch(ctx, db, pending); err != nil {
			return err
		}
	}
	return nil
}

// reqMeasure is one run of op with the recorder on the SDK.
func reqMeasure(ctx context.Context, cfg aws.Config, opt func(*dynamodb.Options), cat *record.Catalogue, op string) (reqRun, error) {
	rec := awsprobe.NewRecorder()
	pc := cfg.Copy()
	rec.Attach(&pc)
	meter := &reqDB{DB: dynamodb.NewFromConfig(pc, opt)}
	st := recordstore.NewStore(meter, cat)
	var r reqRun
	t0 := time.Now()
	switch op {
	case requests.Access:
		holdings, err := requests.Collect(ctx, st, reqSubjectKey, nil)
		if err != nil {
			return r, err
		}
		req := requests.Request{PK: "REQUEST#" + reqRequestID, SK: "REQUEST", Kind: requests.Kind, SubjectKey: reqSubjectKey, Type: requests.Access, Lang: "fi", Status: requests.Open}
		cp, err := requests.BuildCopy(cat.Register(), req, holdings, reqNow)
		if err != nil {
			return r, err
		}
		r.Took = time.Since(t0)
		for _, h := range holdings {
			r.Records += len(h.Items)
		}
		r.CopySize = len(cp.JSON) + len(cp.HTML)
		r.Detail = fmt.Sprintf("%d kinds, copy %d B JSON + %d B HTML", len(holdings), len(cp.JSON), len(cp.HTML))
	case requests.Erasure:
		e := requests.NewEraser(st, nil)
		inv, err := e.Inventory(ctx, reqSubjectKey, nil)
		if err != nil {
			return r, err
		}
		done, err := e.Erase(ctx, reqSubjectKey, reqRequestID, reqNow, nil, nil)
		if err != nil {
			return r, err
		}
		r.Took = time.Since(t0)
		del, keep := sumCounts(done.Deleted), sumCounts(done.Kept)
		r.Records = del + keep
		r.Detail = fmt.Sprintf("inventory %d to delete, %d to keep; erased %d, kept %d (%s)", sumCounts(inv.Delete), sumCounts(inv.Keep), del, keep, strings.Join(done.Exceptions, ", "))
	default:
		return r, fmt.Errorf("no operation %q", op)
	}
	r.Counts = rec.Snapshot()
	r.Read, r.ReadMin, r.Write, r.Queries, r.GetKeys = meter.read, meter.readMin, meter.write, meter.queries, meter.getKeys
	return r, nil
}

func sumCounts(c requests.Counts) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

func reqMedian(runs []reqRun) time.Duration {
	if len(runs) == 0 {
		return 0
	}
	d := make([]time.Duration, len(runs))
	for i, r := range runs {
		d[i] = r.Took
	}
	slices.Sort(d)
	return d[len(d)/2]
}

func reqSpread(runs []reqRun) string {
	lo, hi := runs[0].Took, runs[0].Took
	for _, r := range runs {
		lo, hi = min(lo, r.Took), max(hi, r.Took)
	}
	return fmt.Sprintf("%s (%s–%s)", ms(reqMedian(runs)), ms(lo), ms(hi))
}

// reqSame: every run read and wrote the same and made the same calls.
func reqSame(runs []reqRun) bool {
	for _, r := range runs[1:] {
		if r.Read != runs[0].Read || r.Write != runs[0].Write || r.Counts.String() != runs[0].Counts.String() {
			return false
		}
	}
	return true
}

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
