package main

// The library rows' runs (library.go): what a run changed put back, the
// yearly purge as the libraries' retention function runs it, and the weekly
// transfer as LibraryTransferFunction's schedule does.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/library"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/retention"
)

// restore puts back what a run may have changed: the due patrons and
// their links, the overdue loans and their patrons; empties transfers and
// the platform's audit table.
func (e *libEnv) restore(ctx context.Context) error {
	t0 := time.Now()
	s := e.size.Shape
	var pats []int
	for q := range s.Due {
		pats = append(pats, 20*q)
	}
	for k := 0; k < s.overdue(); k += 2 {
		pats = append(pats, libOverduePatron(k))
	}
	for n := range 2 * s.guardians() {
		pats = append(pats, s.Patrons+n)
	}
	pick := func(list []int, gen func(int) (map[string]types.AttributeValue, error)) func(int) (map[string]types.AttributeValue, error) {
		return func(i int) (map[string]types.AttributeValue, error) { return gen(list[i]) }
	}
	if _, err := sweepWrite(ctx, e.db, e.tables[library.TablePatrons], 0, len(pats), pick(pats, func(i int) (map[string]types.AttributeValue, error) { return e.gen.patronsItem(ctx, i) }), false); err != nil {
		return err
	}
	if _, err := sweepWrite(ctx, e.db, e.tables[library.TableLoans], s.fillers(), s.Loans, e.gen.loansItem, false); err != nil {
		return err
	}
	for _, t := range []string{library.TableTransfers} {
		if err := sweepEnsureTable(ctx, e.db, e.tpl, t, e.tables[t], true); err != nil {
			return err
		}
	}
	for _, t := range []string{"audit", "mail", "bookings"} {
		if err := sweepEnsureTable(ctx, e.db, e.tpl, t, "lib-"+t, t == "audit"); err != nil {
			return err
		}
	}
	e.rep.RestoreTook = max(e.rep.RestoreTook, time.Since(t0))
	return nil
}

// purge is the yearly purge: the libraries' retention sweep on 1 January.
func (e *libEnv) purge(ctx context.Context) (*libPurgeResult, error) {
	rec := awsprobe.NewRecorder()
	pc := e.cfg.Copy()
	rec.Attach(&pc)
	m := &libMeter{}
	m.attach(&pc)
	db := dynamodb.NewFromConfig(pc, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	meter := &sweepDB{DB: db}
	now := func() time.Time { return libPurgeNow }
	ledger, err := retention.LedgerFor(db, e.platCat, e.reg.ID, now)
	if err != nil {
		return nil, err
	}
	s, err := retention.New(e.cat, recordstore.NewStore(meter, e.cat), ledger, nil, now)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r, err := s.Run(ctx)
	res := &libPurgeResult{Report: r, Due: e.size.Shape.due(), Expiry: m.index("byExpiry"), With: m.others("byExpiry"), BatchGetRCU: m.batchRCU, Counts: rec.Snapshot(), Took: time.Since(t0)}
	if err == nil && !r.Done {
		err = errors.New("the run did not finish")
	}
	progress("library purge: %d read, %d batch writes, %.1f RCU in %d byExpiry queries, %.1f in %d others, %s", r.Read, r.Batches, res.Expiry.RCU, res.Expiry.Queries, res.With.RCU, res.With.Queries, res.Took.Round(time.Millisecond))
	return res, err
}

// transfer is the weekly transfer, run as the schedule runs it.
func (e *libEnv) transfer(ctx context.Context) (*libTransferResult, error) {
	stand := &libStandIn{dynamo: e.cfg.HTTPClient.(*http.Client).Transport, calls: map[string]int{}}
	rec := awsprobe.NewRecorder()
	meter := &libMeter{}
	pc := e.cfg.Copy()
	pc.HTTPClient = &http.Client{Transport: stand}
	rec.Attach(&pc)
	meter.attach(&pc)
	env := map[string]string{
		"REGISTER": "library", "PLATFORM_REGISTER": "museum",
		"PATRONS_TABLE": e.tables[library.TablePatrons], "LOANS_TABLE": e.tables[library.TableLoans],
		"TRANSFERS_TABLE": e.tables[library.TableTransfers], "STATISTICS_TABLE": e.tables[library.TableStatistics],
		"MAIL_TABLE": "lib-mail", "AUDIT_TABLE": "lib-audit", "BOOKINGS_TABLE": "lib-bookings",
		"DATA_KEY_ID": "bench", "TRANSFERS_BUCKET": "bench-transfers",
	}
	rctx := clock.With(ctx, func() time.Time { return libTransferNow })
	// The function's DynamoDB client takes its endpoint from the process's
	// AWS_ENDPOINT_URL_DYNAMODB (dynamo.NewClient), where a local stack
	// this process started earlier left its own, stopped emulator's.
	prev, had := os.LookupEnv("AWS_ENDPOINT_URL_DYNAMODB")
	os.Setenv("AWS_ENDPOINT_URL_DYNAMODB", e.em.DynamoDBURL)
	defer func() {
		if had {
			os.Setenv("AWS_ENDPOINT_URL_DYNAMODB", prev)
		} else {
			os.Unsetenv("AWS_ENDPOINT_URL_DYNAMODB")
		}
	}()
	fn, err := library.TransferFunction(rctx, config.Map(env), pc)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := fn.Schedule(rctx, json.RawMessage(`{"run":"transfer"}`)); err != nil {
		return nil, err
	}
	res := &libTransferResult{Overdue: e.size.Shape.overdue(), Took: time.Since(t0), Counts: rec.Snapshot(),
		ByDue: meter.index(library.IndexByDue), Files: meter.others(library.IndexByDue), BatchGetRCU: meter.batchRCU}
	res.Stand, res.FileBytes = stand.snapshot()
	// What it wrote: the transfer items (a Scan of the small transfers
	// table, not counted: the run is over).
	seen := map[string]bool{}
	in := &dynamodb.ScanInput{TableName: aws.String(e.tables[library.TableTransfers])}
	for {
		out, err := e.db.Scan(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range out.Items {
			if v, ok := it["subjectKey"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(sAttr(it, "sk"), "item#") {
				res.Transferred++
				seen[v.Value] = true
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	res.Patrons = len(seen)
	for k := 0; k < res.Overdue; k++ {
		if e.gen.isChild(libOverduePatron(k)) {
			res.Skipped++
		}
	}
	progress("library transfer: %d overdue, %d transferred for %d patrons, byDue %.1f RCU in %d queries (%d items), %s", res.Overdue, res.Transferred, res.Patrons, res.ByDue.RCU, res.ByDue.Queries, res.ByDue.Items, res.Took.Round(time.Millisecond))
	return res, nil
}

func sAttr(it map[string]types.AttributeValue, name string) string {
	v, _ := it[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}
