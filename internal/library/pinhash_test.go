package library

import (
	"strings"
	"testing"
)

func TestPINHash(t *testing.T) {
	h, err := HashPIN("1234")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "1234") || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPIN("1234")
	if h == h2 {
		t.Error("two hashes of one PIN are equal: no salt")
	}
	for _, tc := range []struct {
		pin  string
		want bool
	}{{"1234", true}, {"1235", false}, {"", false}, {"12345", false}} {
		if ok, err := CheckPIN(h, tc.pin); err != nil || ok != tc.want {
			t.Errorf("CheckPIN(%q) = %v, %v", tc.pin, ok, err)
		}
	}
	if _, err := CheckPIN("$argon2id$v=19$bad", "1234"); err == nil {
		t.Error("a malformed hash was accepted")
	}
	for pin, want := range map[string]bool{"1234": true, "12345678": true, "123": false, "123456789": false, "12a4": false} {
		if ValidPIN(pin) != want {
			t.Errorf("ValidPIN(%q) != %v", pin, want)
		}
	}
}

// TestDummyHashCostsWhatAPatronsDoes: the hash a wrong number is checked
// against has a patron's parameters (so the same argon2id work), parses,
// and matches no PIN.
func TestDummyHashCostsWhatAPatronsDoes(t *testing.T) {
	real, err := HashPIN("1234")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { p := strings.Split(h, "$"); return strings.Join(p[:4], "$") }
	if params(dummyHash) != params(real) || len(dummyHash) != len(real) {
		t.Fatalf("dummy %q has other parameters or lengths than a patron's %q", dummyHash, real)
	}
	for _, pin := range []string{"0000", "1234", "00000000"} {
		if ok, err := CheckPIN(dummyHash, pin); ok || err != nil {
			t.Errorf("CheckPIN(dummy, %q) = %v, %v: want false, nil", pin, ok, err)
		}
	}
}
