package dynamo

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var bucketPattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})#(\d{2})$`)

func TestExpires(t *testing.T) {
	helsinki := time.FixedZone("EEST", 3*3600)
	tests := []struct {
		name    string
		at      time.Time
		pk      string
		wantDay string
	}{
		{"UTC midday", time.Date(2026, 5, 7, 12, 0, 0, 0, time.UTC), "SUB#abc", "2026-05-07"},
		{"UTC midnight", time.Date(2026, 5, 7, 0, 0, 0, 0, time.UTC), "MAIL#confirm.x", "2026-05-07"},
		{"last second of a UTC day", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "SIGNUP#1", "2026-12-31"},
		// 01:30 in Helsinki is still the previous day in UTC.
		{"local time after midnight, UTC before", time.Date(2026, 6, 1, 1, 30, 0, 0, helsinki), "SUB#def", "2026-05-31"},
		{"local time before midnight", time.Date(2026, 6, 1, 23, 30, 0, 0, helsinki), "SUB#def", "2026-06-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Expires(tc.at, tc.pk)
			if r.ExpiresAt != tc.at.Unix() {
				t.Errorf("ExpiresAt = %d, want %d", r.ExpiresAt, tc.at.Unix())
			}
			if want := tc.at.Add(30 * 24 * time.Hour).Unix(); r.PurgeAt != want || r.PurgeAt-r.ExpiresAt != 30*24*3600 {
				t.Errorf("PurgeAt = %d, want expiresAt + 30 days = %d", r.PurgeAt, want)
			}
			m := bucketPattern.FindStringSubmatch(r.ExpiryBucket)
			if m == nil {
				t.Fatalf("ExpiryBucket %q is not YYYY-MM-DD#NN", r.ExpiryBucket)
			}
			if m[1] != tc.wantDay {
				t.Errorf("bucket day = %s, want the UTC day %s", m[1], tc.wantDay)
			}
			shard, _ := strconv.Atoi(m[2])
			if shard != Shard(tc.pk) {
				t.Errorf("bucket shard = %d, want Shard(pk) = %d", shard, Shard(tc.pk))
			}
			if r.ExpiryBucket != Bucket(tc.at, Shard(tc.pk)) {
				t.Errorf("ExpiryBucket %q differs from Bucket()", r.ExpiryBucket)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	day := time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		shard int
		want  string
	}{
		{0, "2026-03-09#00"},
		{7, "2026-03-09#07"},
		{15, "2026-03-09#15"},
	}
	for _, tc := range tests {
		if got := Bucket(day, tc.shard); got != tc.want {
			t.Errorf("Bucket(%d) = %q, want %q", tc.shard, got, tc.want)
		}
	}
}

func TestShard(t *testing.T) {
	// The shard is FNV-1a (32 bit) modulo Shards, written out here so that a
	// change of hash, which would strand every item already on the expiry
	// index, fails this test.
	fnv1a := func(s string) int {
		h := uint32(2166136261)
		for i := 0; i < len(s); i++ {
			h ^= uint32(s[i])
			h *= 16777619
		}
		return int(h % Shards)
	}
	pks := []string{"", "SUB#abc", "MAIL#confirm.0123456789abcdef01234567", "SIGNUP#x", "AUDIT#2026-05-07"}
	for _, pk := range pks {
		if got, want := Shard(pk), fnv1a(pk); got != want {
			t.Errorf("Shard(%q) = %d, want %d", pk, got, want)
		}
	}
	used := map[int]int{}
	for i := 0; i < 4000; i++ {
		s := Shard(fmt.Sprintf("SUB#%064x", i))
		if s < 0 || s >= Shards {
			t.Fatalf("Shard = %d, outside [0,%d)", s, Shards)
		}
		used[s]++
	}
	if len(used) != Shards {
		t.Fatalf("only %d of %d shards used", len(used), Shards)
	}
	for s, n := range used {
		if n < 4000/Shards/2 {
			t.Errorf("shard %d has %d of 4000 keys: badly spread", s, n)
		}
	}
}

func TestPut(t *testing.T) {
	type item struct {
		PK   string `dynamodbav:"pk"`
		Name string `dynamodbav:"name,omitempty"`
		Retention
	}
	it, err := Put("subscribers", item{PK: "SUB#a", Retention: Expires(time.Unix(1_800_000_000, 0), "SUB#a")}, "attribute_not_exists(pk)")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(it.Put.TableName) != "subscribers" || aws.ToString(it.Put.ConditionExpression) != "attribute_not_exists(pk)" {
		t.Fatalf("put = %+v", it.Put)
	}
	for _, k := range []string{"pk", "expiresAt", "expiryBucket", "purgeAt"} {
		if _, ok := it.Put.Item[k]; !ok {
			t.Errorf("item lacks %s: %v", k, it.Put.Item)
		}
	}
	if _, ok := it.Put.Item["name"]; ok {
		t.Error("an empty omitempty attribute was written")
	}
	// Without retention, the sweep index attributes are absent (sparse GSI).
	it, _ = Put("t", item{PK: "SUB#b"})
	for _, k := range []string{"expiresAt", "expiryBucket", "purgeAt"} {
		if _, ok := it.Put.Item[k]; ok {
			t.Errorf("a record without retention has %s", k)
		}
	}
	if it.Put.ConditionExpression != nil {
		t.Error("a condition appeared from nowhere")
	}
}

func TestCancelledBy(t *testing.T) {
	tce := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("None")}, {Code: aws.String("ConditionalCheckFailed")}, {},
	}}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"cancelled", tce, []string{"None", "ConditionalCheckFailed", ""}},
		{"wrapped", fmt.Errorf("op: %w", tce), []string{"None", "ConditionalCheckFailed", ""}},
		{"other error", errors.New("throttled"), nil},
		{"nil", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CancelledBy(tc.err); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("CancelledBy = %q, want %q", got, tc.want)
			}
		})
	}
	if !ConditionFailed(fmt.Errorf("x: %w", &types.ConditionalCheckFailedException{})) || ConditionFailed(tce) {
		t.Fatal("ConditionFailed misreads errors")
	}
}
