package main

// What a full Scan of the sweep's bookings table reads, against which the
// sweep's own read units are put. A real Scan of a million items does not
// finish in DynamoDB Local (its heap runs out, or it takes over 15 min), so
// the full Scan's read units are computed the way DynamoDB bills them: per
// page of at most 1 MB, ceil(page bytes / 4 KB) × 0.5 RCU (eventually
// consistent). The formula is checked against a real, measured Scan at 100 k,
// paged the same way, every run.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/record"
)

// sweepScanMeasuredMax is the largest table a real Scan is measured over;
// above it the full Scan is computed only.
const sweepScanMeasuredMax = 100_000

// sweepScanPage is the Limit of the measured Scan's pages: DynamoDB Local's
// Scan of large tables overflows its heap with 1 MB pages.
const sweepScanPage = 1000

// The billing units of a read (DynamoDB's Developer Guide, "Read consistency"
// and "Item sizes"): a Scan or Query page is billed on the sum of the sizes
// of the items it reads, rounded up to 4 KB, at 0.5 RCU per 4 KB eventually
// consistent; a page holds at most 1 MB.
const (
	readUnitBytes = 4096
	readUnitRCU   = 0.5
	scanPageBytes = 1 << 20
)

// sweepModel is what a full Scan of the table reads, computed.
type sweepModel struct {
	// Items and Bytes are DescribeTable's ItemCount and TableSizeBytes
	// (DynamoDB Local counts them when asked; 0: not reported).
	Items int64
	Bytes int64
	// GenItems and GenBytes are the generator's own items, sized by
	// DynamoDB's rules: what the bench wrote.
	GenItems int
	GenBytes int64
	// RCU is a full Scan in 1 MB pages (what a Scan without Limit is billed);
	// Paged the same in pages of sweepScanPage items, as the measured Scan.
	// From DescribeTable's figures when reported, else the generator's.
	RCU, Paged float64
	// GenRCU and GenPaged are the same from the generator's item sizes.
	GenRCU, GenPaged float64
	Source           string
	Took             time.Duration
}

// sweepScanModel computes what a full Scan of table, holding n items (the
// n-sweepDue not due and the sweepDue due ones), reads.
func sweepScanModel(ctx context.Context, db *dynamodb.Client, cat *record.Catalogue, table string, n int) (sweepModel, error) {
	t0 := time.Now()
	var m sweepModel
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return m, err
	}
	m.Items, m.Bytes = aws.ToInt64(out.Table.ItemCount), aws.ToInt64(out.Table.TableSizeBytes)
	// The generator's items, in pages as a Scan would read them (the order
	// differs from the table's; only the rounding of each page does).
	full, paged := scanPages{limit: math.MaxInt}, scanPages{limit: sweepScanPage}
	for i := -sweepDue; i < n-sweepDue; i++ {
		item, err := sweepItem(cat, i)
		if err != nil {
			return m, err
		}
		b := dynamoItemSize(item)
		m.GenItems++
		m.GenBytes += b
		full.add(b)
		paged.add(b)
	}
	m.GenRCU, m.GenPaged = full.total(), paged.total()
	if m.Items > 0 && m.Bytes > 0 {
		m.Source = "DescribeTable"
		m.RCU = scanRCU(m.Items, m.Bytes, math.MaxInt)
		m.Paged = scanRCU(m.Items, m.Bytes, sweepScanPage)
	} else {
		m.Source = "the generator's item sizes (DescribeTable reports no size)"
		m.RCU, m.Paged = m.GenRCU, m.GenPaged
	}
	m.Took = time.Since(t0)
	progress("sweep: %s: full Scan computed from %s: %.1f RCU in 1 MB pages, %.1f in pages of %d (DescribeTable %d items, %d B; generator %d items, %d B, %.1f / %.1f RCU), %s",
		table, m.Source, m.RCU, m.Paged, sweepScanPage, m.Items, m.Bytes, m.GenItems, m.GenBytes, m.GenRCU, m.GenPaged, m.Took.Round(time.Millisecond))
	return m, nil
}

// scanPages sums the billed units of a Scan's pages from its items' sizes.
type scanPages struct {
	limit      int // items per page
	items      int
	bytes, rcu float64
}

func (p *scanPages) add(b int64) {
	p.items++
	p.bytes += float64(b)
	if p.items >= p.limit || p.bytes >= scanPageBytes {
		p.end()
	}
}

func (p *scanPages) end() {
	if p.items > 0 {
		p.rcu += math.Ceil(p.bytes/readUnitBytes) * readUnitRCU
	}
	p.items, p.bytes = 0, 0
}

func (p *scanPages) total() float64 { p.end(); return p.rcu }

// scanRCU is a full Scan's units over items of together bytes, in pages of
// at most limit items and 1 MB, every item of the average size.
func scanRCU(items, bytes int64, limit int) float64 {
	avg := float64(bytes) / float64(items)
	per := min(int64(limit), int64(math.Ceil(scanPageBytes/avg)))
	page := func(k int64) float64 { return math.Ceil(float64(k)*avg/readUnitBytes) * readUnitRCU }
	return float64(items/per)*page(per) + page(items%per)
}

// dynamoItemSize is an item's size as DynamoDB bills it: each attribute's
// name plus its value (a string's UTF-8 bytes, a number's 1 byte per two
// significant digits plus 1, a Boolean or null 1).
func dynamoItemSize(item map[string]types.AttributeValue) int64 {
	var n int64
	for name, v := range item {
		n += int64(len(name)) + attrSize(v)
	}
	return n
}

func attrSize(v types.AttributeValue) int64 {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return int64(len(x.Value))
	case *types.AttributeValueMemberN:
		d := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(x.Value), "0")
		return int64((utf8.RuneCountInString(d)+1)/2 + 1)
	case *types.AttributeValueMemberB:
		return int64(len(x.Value))
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		var n int64
		for _, s := range x.Value {
			n += int64(len(s))
		}
		return n
	case *types.AttributeValueMemberNS:
		var n int64
		for _, s := range x.Value {
			n += attrSize(&types.AttributeValueMemberN{Value: s})
		}
		return n
	case *types.AttributeValueMemberL:
		n := int64(3)
		for _, e := range x.Value {
			n += 1 + attrSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := int64(3)
		for k, e := range x.Value {
			n += 1 + int64(len(k)) + attrSize(e)
		}
		return n
	}
	return 0
}

// sweepScanTable is one full Scan of table, for the comparison only.
func sweepScanTable(ctx context.Context, cfg aws.Config, opt func(*dynamodb.Options), table string) (sweepScan, error) {
	rec := awsprobe.NewRecorder()
	pc := cfg.Copy()
	rec.Attach(&pc)
	db := dynamodb.NewFromConfig(pc, opt)
	t0 := time.Now()
	// One segment, pages of 1000: DynamoDB Local's Scan of a million items
	// overflows its heap otherwise.
	const segments = 1
	var (
		mu    sync.Mutex
		items int
		wg    sync.WaitGroup
		errs  = make([]error, segments)
	)
	for seg := range segments {
		wg.Go(func() {
			in := &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(sweepScanPage), Select: types.SelectCount, // reads, and is billed, as a full Scan; returns only counts
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
			for {
				out, err := db.Scan(ctx, in)
				if err != nil {
					errs[seg] = err
					return
				}
				mu.Lock()
				items += int(out.Count)
				mu.Unlock()
				if out.LastEvaluatedKey == nil {
					return
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return sweepScan{}, fmt.Errorf("scan: %w", err)
	}
	c := rec.Snapshot()
	s := sweepScan{RCU: c.Capacity, Items: items, Calls: c.Scans, Took: time.Since(t0)}
	progress("sweep: full Scan of %s: %d items, %.1f RCU, %s", table, items, s.RCU, s.Took.Round(time.Millisecond))
	return s, nil
}
