package main

// The data-subject request rows' tables (requests.go): one size's DynamoDB
// Local started on a copy of its kept tables, the tables built or reused,
// and the subject's records put back.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

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
		return sweepWrite(ctx, db, table, from, to, func(i int) (map[string]types.AttributeValue, error) { return reqItem(cat, declared, i) }, false)
	}
	if declared == "bookings" {
		write = func(ctx context.Context, from, to int) (int, error) {
			return sweepWrite(ctx, db, table, from, to, sweepGen(cat), false)
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
			if _, err := sweepWrite(ctx, db, table, -sweepDue, 0, sweepGen(cat), false); err != nil {
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
