// Package awsprobe watches and disturbs the AWS SDK from inside: it counts
// calls by operation and the DynamoDB capacity they consume, and it makes
// chosen calls fail. Tests and `make bench` attach it to the functions' SDK
// config; counts hold on a noisy machine where timings would not.
package awsprobe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Counts is what a Recorder saw.
type Counts struct {
	Calls    map[string]int // "Service.Operation" → calls
	Capacity float64        // DynamoDB capacity units consumed (read + write)
	Scans    int
}

// Total is the number of calls of all operations.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.Calls {
		n += v
	}
	return n
}

// String lists calls as "Service.Op×n" sorted.
func (c Counts) String() string {
	keys := make([]string, 0, len(c.Calls))
	for k := range c.Calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, c.Calls[k]))
	}
	return strings.Join(parts, " ")
}

// Recorder counts calls and consumed capacity.
type Recorder struct {
	mu     sync.Mutex
	counts Counts
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{counts: Counts{Calls: map[string]int{}}} }

// Reset forgets everything counted.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.counts = Counts{Calls: map[string]int{}}
	r.mu.Unlock()
}

// Snapshot returns a copy of the counts.
func (r *Recorder) Snapshot() Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := Counts{Calls: map[string]int{}, Capacity: r.counts.Capacity, Scans: r.counts.Scans}
	for k, v := range r.counts.Calls {
		c.Calls[k] = v
	}
	return c
}

// Attach adds the recorder to cfg's middleware.
func (r *Recorder) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("awsprobe.count",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
				if service == "DynamoDB" {
					askCapacity(in.Parameters)
				}
				out, md, err := next.HandleInitialize(ctx, in)
				r.mu.Lock()
				r.counts.Calls[service+"."+op]++
				if op == "Scan" {
					r.counts.Scans++
				}
				if err == nil && service == "DynamoDB" {
					r.counts.Capacity += consumed(out.Result)
				}
				r.mu.Unlock()
				return out, md, err
			}), middleware.After)
	})
}

// askCapacity sets ReturnConsumedCapacity=TOTAL on any DynamoDB input that has it.
func askCapacity(params any) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if f.IsValid() && f.CanSet() && f.String() == "" {
		f.SetString(string(ddbtypes.ReturnConsumedCapacityTotal))
	}
}

func consumed(result any) float64 {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return 0
	}
	f := v.Elem().FieldByName("ConsumedCapacity")
	if !f.IsValid() {
		return 0
	}
	total := 0.0
	switch c := f.Interface().(type) {
	case *ddbtypes.ConsumedCapacity:
		if c != nil {
			total += aws.ToFloat64(c.CapacityUnits)
		}
	case []ddbtypes.ConsumedCapacity:
		for _, x := range c {
			total += aws.ToFloat64(x.CapacityUnits)
		}
	}
	return total
}

// Faults makes calls fail: the next n calls of an operation, or a random
// fraction of all calls. A failed call never reaches the service.
type Faults struct {
	mu    sync.Mutex
	next  map[string]int
	after map[string]int // calls let through before next's failures begin
	rate  float64
	rng   *rand.Rand
	fired int
}

// NewFaults returns Faults that fail nothing yet; seed makes a rate repeatable.
func NewFaults(seed uint64) *Faults {
	return &Faults{next: map[string]int{}, after: map[string]int{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// FailNext fails the next n calls of "Service.Operation" (e.g. "SESv2.SendEmail").
func (f *Faults) FailNext(operation string, n int) {
	f.mu.Lock()
	f.next[operation] = n
	f.mu.Unlock()
}

// FailAfter lets the next after calls of operation through, then fails n:
// a process killed part way through its work.
func (f *Faults) FailAfter(operation string, after, n int) {
	f.mu.Lock()
	f.after[operation], f.next[operation] = after, n
	f.mu.Unlock()
}

// FailRate fails each call with probability p.
func (f *Faults) FailRate(p float64) {
	f.mu.Lock()
	f.rate = p
	f.mu.Unlock()
}

// Fired is how many calls were failed.
func (f *Faults) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// ErrInjected is the error of every failed call.
var ErrInjected = &smithy.GenericAPIError{Code: "InjectedFault", Message: "fault injected by awsprobe", Fault: smithy.FaultServer}

// Attach adds the faults to cfg's middleware.
func (f *Faults) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("awsprobe.fault",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				f.mu.Lock()
				fail := false
				if f.after[key] > 0 {
					f.after[key]--
				} else if f.next[key] > 0 {
					f.next[key]--
					fail = true
				} else if f.rate > 0 && f.rng.Float64() < f.rate {
					fail = true
				}
				if fail {
					f.fired++
				}
				f.mu.Unlock()
				if fail {
					return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.OperationError{ServiceID: awsmiddleware.GetServiceID(ctx), OperationName: awsmiddleware.GetOperationName(ctx), Err: ErrInjected}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}
