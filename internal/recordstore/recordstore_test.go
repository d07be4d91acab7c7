package recordstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

func museum() *record.Catalogue {
	return record.MustCatalogue(register.MustLoad("museum"), map[string]string{"bookings": "bookings"})
}

// throttled answers each BatchWriteItem by processing all but the last
// `keep` requests of it, as DynamoDB does when a partition is throttled.
type throttled struct {
	DB
	keep  int
	calls int
	done  int
}

func (f *throttled) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.calls++
	out := &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{}}
	for table, reqs := range in.RequestItems {
		if len(reqs) > 25 {
			return nil, errors.New("more than 25 requests")
		}
		n := max(0, len(reqs)-f.keep)
		f.done += n
		if rest := reqs[n:]; len(rest) > 0 {
			out.UnprocessedItems[table] = rest
		}
	}
	return out, nil
}

func TestDeleteRetriesUnprocessedItems(t *testing.T) {
	cases := []struct {
		name      string
		items     int
		keep      int
		wantCalls int
	}{
		{"all processed", 50, 0, 2},
		// Each batch's first try leaves its last request: 25 → 24 + retry 1; 1 → 0 + retry 1.
		{"the last request of each batch throttled once", 26, 1, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := &throttled{keep: tc.keep}
			s := NewStore(db, museum())
			var waits []time.Duration
			s.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			keys := make([]Key, tc.items)
			for i := range keys {
				keys[i] = Key{PK: "P", SK: string(rune('a' + i))}
			}
			if tc.keep > 0 {
				// Process everything from the second try of each batch on.
				s.db = &healing{throttled: db}
			}
			calls, err := s.Delete(context.Background(), "bookings", keys)
			if err != nil {
				t.Fatal(err)
			}
			if db.done != tc.items {
				t.Errorf("deleted %d of %d", db.done, tc.items)
			}
			if calls != db.calls || calls != tc.wantCalls {
				t.Errorf("reported %d calls, made %d, want %d", calls, db.calls, tc.wantCalls)
			}
			if tc.keep > 0 && (len(waits) == 0 || waits[0] != 50*time.Millisecond) {
				t.Errorf("retries back off: %v", waits)
			}
		})
	}
}

// healing is throttled on the first try of a batch only.
type healing struct {
	*throttled
	retry bool
}

func (h *healing) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	keep := h.keep
	if h.retry {
		h.throttled.keep = 0
	}
	out, err := h.throttled.BatchWriteItem(ctx, in, opts...)
	h.throttled.keep = keep
	h.retry = len(out.UnprocessedItems) > 0
	return out, err
}

func TestDeleteGivesUpWhenTheContextEnds(t *testing.T) {
	db := &throttled{keep: 25}
	s := NewStore(db, museum())
	ctx, cancel := context.WithCancel(context.Background())
	s.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := s.Delete(ctx, "bookings", []Key{{PK: "P", SK: "a"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want the context's error, got %v", err)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{50, 100, 200, 400, 800, 1600, 3200, 3200}
	for i, w := range want {
		if got := backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
}
