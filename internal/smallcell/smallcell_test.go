package smallcell

import "testing"

func TestShown(t *testing.T) {
	for n, want := range map[int]string{0: "<5", 1: "<5", 4: "<5", 5: "5", 6: "6", 1234: "1234"} {
		if got := Shown(n); got != want {
			t.Errorf("Shown(%d) = %q, want %q", n, got, want)
		}
	}
}
