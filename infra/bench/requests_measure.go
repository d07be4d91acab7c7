package main

// The data-subject request rows' runs (requests.go): the record store's
// units counted by reqDB, one timed access or erasure, and the runs' median,
// spread and likeness.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/requests"
)

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
