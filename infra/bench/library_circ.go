package main

// The circulation feed's rows (library.go): what POST /library/circulation
// runs, library.Service.ApplyCirculation, over batches of libCircN events
// of one type each for libCircN patrons (one event each, as the library
// system sends a day's events of many customers), in the order a loan's life
// goes — loan, renewal, reservation, its cancellation, a fee, its payment,
// the return — and the first batch once more (all duplicates). Counted per
// event: AWS calls, read and write units (ConsumedCapacity), Scans; and the
// wall time of the batch. The tables are their own (circ-*), fresh each run.

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
)

// libCircN is how many events of each type are applied.
const libCircN = 200

// libCircNow is the feed's clock.
var libCircNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type libCircResult struct {
	Type       string
	Events     int
	Accepted   int
	Duplicates int
	Rejected   int
	Counts     awsprobe.Counts
	RCU, WCU   float64
	Took       time.Duration
	CPU        time.Duration // this process's user+system time over the batch (libCPU)
}

// libCPU is this process's user+system CPU time so far (getrusage): over
// a batch, the library code and the SDK's work, the emulator (another
// process) not included.
func libCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// libUnits sums read and write units of every DynamoDB call.
type libUnits struct{ rcu, wcu float64 }

func (u *libUnits) attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("libUnits", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			add := func(c *types.ConsumedCapacity, w bool) {
				if c == nil {
					return
				}
				if w {
					u.wcu += aws.ToFloat64(c.CapacityUnits)
				} else {
					u.rcu += aws.ToFloat64(c.CapacityUnits)
				}
			}
			switch o := out.Result.(type) {
			case *dynamodb.GetItemOutput:
				add(o.ConsumedCapacity, false)
			case *dynamodb.QueryOutput:
				add(o.ConsumedCapacity, false)
			case *dynamodb.PutItemOutput:
				add(o.ConsumedCapacity, true)
			case *dynamodb.UpdateItemOutput:
				add(o.ConsumedCapacity, true)
			case *dynamodb.TransactWriteItemsOutput:
				for i := range o.ConsumedCapacity {
					add(&o.ConsumedCapacity[i], true)
				}
			}
			return out, md, err
		}), middleware.After)
	})
}

func (e *libEnv) circulation(ctx context.Context) ([]libCircResult, error) {
	tables := library.Tables{Patrons: "circ-patrons", Loans: "circ-loans", Transfers: "circ-transfers", Statistics: "circ-statistics",
		Mail: "lib-mail", Audit: "lib-audit", Bookings: "lib-bookings"}
	for declared, name := range map[string]string{library.TablePatrons: tables.Patrons, library.TableLoans: tables.Loans,
		library.TableTransfers: tables.Transfers, library.TableStatistics: tables.Statistics} {
		if err := sweepEnsureTable(ctx, e.db, e.tpl, declared, name, true); err != nil {
			return nil, err
		}
	}
	// The patrons: generated as the big table's (not due ones, i%20 == 5).
	pat := func(i int) (map[string]types.AttributeValue, error) { return e.gen.patron(ctx, 20*i+5) }
	if _, err := sweepWrite(ctx, e.db, tables.Patrons, 0, libCircN, pat, false); err != nil {
		return nil, err
	}
	at := func(min int) string { return libCircNow.Add(-time.Duration(min) * time.Minute).Format(time.RFC3339) }
	batch := func(typ string, n int) []json.RawMessage {
		out := make([]json.RawMessage, 0, libCircN)
		for i := range libCircN {
			c := libCustomer(20*i + 5)
			ev := library.CirculationEvent{ID: fmt.Sprintf("bench-%s-%d", typ, i), Type: typ, Customer: c, At: at(100 - n), Library: library.Libraries[i%4]}
			item := fmt.Sprintf("C%06d", i)
			switch typ {
			case library.EvLoan:
				ev.Item, ev.Due = &library.EventItem{ID: item, Title: "Nide " + item, Price: "23.50"}, "2026-06-29"
			case library.EvRenewal:
				ev.Item, ev.Due = &library.EventItem{ID: item}, "2026-07-27"
			case library.EvReturn:
				ev.Item = &library.EventItem{ID: item}
			case library.EvReservation, library.EvReservationCancelled:
				ev.Item = &library.EventItem{ID: "R" + item, Title: "Nide R" + item}
			case library.EvFee:
				ev.Item, ev.Amount, ev.Reason = &library.EventItem{ID: item}, "2.00", "overdue"
			case library.EvPayment:
				ev.Amount = "2.00"
			}
			b, _ := json.Marshal(ev)
			out = append(out, b)
		}
		return out
	}
	rec := awsprobe.NewRecorder()
	units := &libUnits{}
	pc := e.cfg.Copy()
	rec.Attach(&pc)
	units.attach(&pc)
	svc, err := library.NewService(library.Deps{
		Register: e.reg, Platform: e.plat,
		DB:   dynamodb.NewFromConfig(pc, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true }),
		Keys: keyring.Static(keyring.Keys{Token: make([]byte, 32), Subject: make([]byte, 32)}),
		Seal: fieldcrypt.New(libKMS{}, "bench"), Open: fieldcrypt.New(libKMS{}, "bench"),
		Tables: tables, Now: func() time.Time { return libCircNow },
	})
	if err != nil {
		return nil, err
	}
	var out []libCircResult
	steps := []string{library.EvLoan, library.EvRenewal, library.EvReservation, library.EvReservationCancelled, library.EvFee, library.EvPayment, library.EvReturn, "duplicate"}
	for n, typ := range steps {
		raws := batch(typ, n)
		if typ == "duplicate" {
			raws = batch(library.EvLoan, 0)
		}
		rec.Reset()
		*units = libUnits{}
		t0, c0 := time.Now(), libCPU()
		// The feed takes at most 500 events a request: one request.
		r, err := svc.ApplyCirculation(ctx, raws)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", typ, err)
		}
		res := libCircResult{Type: typ, Events: len(raws), Accepted: r.Accepted, Duplicates: r.Duplicates, Rejected: len(r.Rejected),
			Counts: rec.Snapshot(), RCU: units.rcu, WCU: units.wcu, Took: time.Since(t0), CPU: libCPU() - c0}
		if len(r.Rejected) > 0 {
			return nil, fmt.Errorf("%s: %d events rejected, the first %d: %s", typ, len(r.Rejected), r.Rejected[0].Index, r.Rejected[0].Error)
		}
		out = append(out, res)
	}
	return out, nil
}
