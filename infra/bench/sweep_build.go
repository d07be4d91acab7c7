package main

// The retention sweep's items loaded (sweep.go): sweepWrite's parallel
// BatchWriteItem loader, and the bookings table's items as the capabilities
// make them, stamped.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
)

// sweepWrite puts (or with del deletes) items [from, to) of gen (for
// sweepItem, negative: the due ones) into table with BatchWriteItem from
// parallel workers and returns up to where every item is written. Its
// progress lines are named by the table's prefix (sweep, requests).
func sweepWrite(ctx context.Context, db *dynamodb.Client, table string, from, to int, gen func(int) (map[string]types.AttributeValue, error), del bool) (int, error) {
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errs       = make([]error, sweepLoaders)
		cur        = make([]int, sweepLoaders) // each worker's chunk in hand; to when it has none left
		t0         = time.Now()
	)
	who, _, _ := strings.Cut(table, "-")
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
				progress("%s: loading %s: %d of %d items, %.0f items/s", who, table, d, to-from, float64(d)/time.Since(t0).Seconds())
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

// sweepGen is sweepItem of cat, sweepWrite's generator.
func sweepGen(cat *record.Catalogue) func(int) (map[string]types.AttributeValue, error) {
	return func(i int) (map[string]types.AttributeValue, error) { return sweepItem(cat, i) }
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
