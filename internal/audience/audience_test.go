package audience

import (
	"fmt"
	"testing"
)

func TestKeys(t *testing.T) {
	seen := map[int]int{}
	for i := range 800 {
		pk := fmt.Sprintf("SUB#%064x", i*7919)
		k := Key("newsletter", pk)
		if k != ShardKey("newsletter", Shard(pk)) || Shard(pk) < 0 || Shard(pk) >= Shards {
			t.Fatalf("key %q of %s", k, pk)
		}
		seen[Shard(pk)]++
	}
	for n := range Shards {
		if seen[n] < 50 {
			t.Errorf("shard %d holds %d of 800: the shards are not spread", n, seen[n])
		}
	}
	if Key("openings", "SUB#x") == Key("newsletter", "SUB#x") {
		t.Error("lists share a key")
	}
}
