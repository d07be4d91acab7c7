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
	"io"
	"math"
	"strconv"
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

func pct(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}

func apart(a, b float64) float64 {
	if max(a, b) == 0 {
		return 0
	}
	return 100 * math.Abs(a-b) / max(a, b)
}

// sweepFormulaOK: the computed full Scan is within 5 % of the measured one.
func sweepFormulaOK(s sweepSizeResult) bool {
	return s.ScanErr == nil && s.Scan.Items > 0 && apart(s.Model.Paged, s.Scan.RCU) <= 5
}

func printSweep(w io.Writer, rep *sweepReport) {
	fmt.Fprintf(w, "\nretention sweep: a bookings table (bookings, identity codes, capacity counters, mail budgets, stamped by\n"+
		"record.Catalogue.Stamp from museum.yaml), %d due by the sweep's clock (%s; expiries over the %d days before it,\n"+
		"16 shards), the rest not yet; DynamoDB Local kept in %s (copied to memory and started in %s)\n",
		sweepDue, sweepNow.Format("2006-01-02 15:04 MST"), sweepDueDays, rep.DataDir, rep.StartTook.Round(100*time.Millisecond))
	for _, s := range rep.Sizes {
		switch {
		case s.Reached > 0:
			fmt.Fprintf(w, "  %s: build stopped at its %s budget with %d of %d items after %s in all (%.0f items/s); kept: the next run goes on from there. Rows at this size not measured\n", s.Size.Name, sweepBuildBudget, s.Reached, s.Size.N, s.BuildTook.Round(time.Second), s.BuildRate)
			continue
		case s.Built:
			fmt.Fprintf(w, "  %s: built now in %s (%.0f items/s, %d BatchWriteItem workers)", s.Size.Name, s.BuildTook.Round(time.Second), s.BuildRate, sweepLoaders)
		default:
			fmt.Fprintf(w, "  %s: reused (built earlier in %s)", s.Size.Name, s.BuildTook.Round(time.Second))
		}
		scan := "no real Scan (computed only)"
		if s.Scan.Items > 0 || s.ScanErr != nil {
			scan = "real full Scan (to check the formula) " + s.Scan.Took.Round(100*time.Millisecond).String()
		}
		fmt.Fprintf(w, "; due items put back %s; full Scan computed %s; first run %s, second %s; %s; rows at this size took %s\n",
			s.RestoreTook.Round(100*time.Millisecond), s.Model.Took.Round(100*time.Millisecond), s.First.Took.Round(100*time.Millisecond),
			s.Second.Took.Round(100*time.Millisecond), scan, s.Took.Round(time.Second))
	}
	tw := table(w)
	row(tw, "row", "measure", "value", "goal", "result")
	byName := map[string]sweepSizeResult{}
	missing := "not measured: -sweep 1m (make bench BENCH_SWEEP=1m)"
	for _, s := range rep.Sizes {
		if s.Reached == 0 {
			byName[s.Size.Name] = s
		} else {
			missing = fmt.Sprintf("not measured: the %s table has %d of %d items; run -sweep %s again", s.Size.Name, s.Reached, s.Size.N, s.Size.Name)
		}
	}
	small, okSmall := byName["100k"]
	big, okBig := byName["1m"]
	if okSmall && okBig {
		a, b := small.First.RCU, big.First.RCU
		row(tw, "(1)", "sweep read units, same 10 k due: 100 k vs 1 M items", fmt.Sprintf("%.1f vs %.1f RCU (%d vs %d Queries), %.2f %% apart", a, b, small.First.Queries, big.First.Queries, apart(a, b)), "within 5 %", verdict(apart(a, b) <= 5))
	} else if okSmall {
		row(tw, "(1)", "sweep read units, 10 k due in 100 k items", fmt.Sprintf("%.1f RCU (%d Queries)", small.First.RCU, small.First.Queries), "= at 1 M within 5 %", missing)
	}
	for _, s := range []sweepSizeResult{small, big} {
		if s.Size.N == 0 {
			continue
		}
		scans := s.First.Counts.Scans + s.Second.Counts.Scans
		row(tw, "(1)", "Scans by the sweep, "+s.Size.Name+" (both runs)", scans, "0", verdict(scans == 0))
		due := s.First.Removed
		want := float64(due) / 25
		calls := s.First.Counts.Calls["DynamoDB.BatchWriteItem"]
		ratio := 0.0
		if want > 0 {
			ratio = float64(calls) / want
		}
		row(tw, "(1)", "BatchWriteItem calls, "+s.Size.Name, fmt.Sprintf("%d for %d removed (due/25 = %.0f, ×%.2f; a page's last batch may be part full)", calls, due, want, ratio),
			"≈ due/25 (×1.00–1.25)", verdict(due == sweepDue && ratio >= 1 && ratio <= 1.25))
		m := s.Model
		if s.Scan.Items > 0 || s.ScanErr != nil {
			label := "full Scan read units, " + s.Size.Name + ": formula vs a real Scan"
			if s.ScanErr != nil {
				row(tw, "(2)", label, fmt.Sprintf("formula %.1f RCU; the Scan failed: %v", m.Paged, s.ScanErr), "within 5 %", "MISS")
			} else {
				row(tw, "(2)", label, fmt.Sprintf("formula %.1f vs measured %.1f RCU (%d items in %d pages of ≤ %d, Select COUNT, ReturnConsumedCapacity TOTAL), %.2f %% apart",
					m.Paged, s.Scan.RCU, s.Scan.Items, s.Scan.Calls, sweepScanPage, apart(m.Paged, s.Scan.RCU)), "within 5 %", verdict(sweepFormulaOK(s)))
			}
		}
		row(tw, "", "  the formula's figures", fmt.Sprintf("from %s: %d items, %d B (%.0f B/item); generator: %d items, %d B, %.1f RCU in pages of %d; 1 MB pages: %.1f RCU",
			m.Source, m.Items, m.Bytes, float64(m.Bytes)/math.Max(1, float64(m.Items)), m.GenItems, m.GenBytes, m.GenPaged, sweepScanPage, m.RCU), "", "info")
		label, goal, res := "sweep read units vs one full Scan (computed, 1 MB pages), "+s.Size.Name+" ("+strconv.Itoa(int(pct(sweepDue, float64(s.Size.N))))+" % due)", "-", "info"
		if s.Size.N == 1_000_000 {
			goal, res = "≤ 1 %", verdict(pct(s.First.RCU, m.RCU) <= 1)
			if !sweepFormulaOK(small) {
				res += " (the formula is not checked: no passing 100 k Scan row)"
			}
		}
		row(tw, "(2)", label, fmt.Sprintf("%.1f (measured) vs %.1f RCU = %.3f %%", s.First.RCU, m.RCU, pct(s.First.RCU, m.RCU)), goal, res)
		row(tw, "", "  the same at AWS's 0.5 RCU minimum per Query", fmt.Sprintf("%.1f vs %.1f RCU = %.3f %% (%d Queries; DynamoDB Local bills 0 for one that reads nothing)",
			s.First.AtLeast, m.RCU, pct(s.First.AtLeast, m.RCU), s.First.Queries), "≤ 1 %", verdict(pct(s.First.AtLeast, m.RCU) <= 1)+" (info)")
		row(tw, "(3)", "second run right after, "+s.Size.Name+", at AWS's 0.5 RCU minimum per Query",
			fmt.Sprintf("removed %d; %.1f vs first %.1f RCU = %.2f %% (%d vs %d Queries; as DynamoDB Local bills: %.1f vs %.1f = %.2f %%)",
				s.Second.Removed, s.Second.AtLeast, s.First.AtLeast, pct(s.Second.AtLeast, s.First.AtLeast), s.Second.Queries, s.First.Queries,
				s.Second.RCU, s.First.RCU, pct(s.Second.RCU, s.First.RCU)),
			"removes 0, reads ≤ 1 %", verdict(s.Second.Removed == 0 && pct(s.Second.AtLeast, s.First.AtLeast) <= 1))
	}
	if !okBig {
		row(tw, "(2)", "sweep read units vs one full Scan, 1 M (1 % due)", "-", "≤ 1 %", missing)
	}
	tw.Flush()
}
