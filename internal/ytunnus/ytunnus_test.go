package ytunnus

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     ID
		err      error
	}{
		// Check digits worked by hand, e.g. 0112038: 0·7+1·9+1·10+2·5+0·8+3·4+8·2
		// = 57, 57 mod 11 = 2, check 11-2 = 9.
		{"remainder 2", "0112038-9", "0112038-9", nil},
		{"remainder 7", "2617416-4", "2617416-4", nil},
		{"remainder 0 gives check 0", "1572860-0", "1572860-0", nil},
		{"remainder 5", "0201256-6", "0201256-6", nil},
		{"remainder 10 gives check 1", "1234567-1", "1234567-1", nil},
		{"surrounding spaces", "  0112038-9\t", "0112038-9", nil},

		{"flipped check, remainder 2", "0112038-8", "", ErrCheck},
		{"flipped check, remainder 7", "2617416-5", "", ErrCheck},
		{"flipped check, remainder 0", "1572860-1", "", ErrCheck},
		{"flipped check, remainder 5", "0201256-0", "", ErrCheck},
		{"flipped check, remainder 10", "1234567-0", "", ErrCheck},
		{"swapped digits", "0121038-9", "", ErrCheck},
		// 1000008: 1·7+8·2 = 23, 23 mod 11 = 1: no digit is right.
		{"remainder 1, check 0", "1000008-0", "", ErrCheck},
		{"remainder 1, check 1", "1000008-1", "", ErrCheck},
		{"remainder 1, check 9", "1000008-9", "", ErrCheck},

		{"empty", "", "", ErrMalformed},
		{"six digits", "112038-9", "", ErrMalformed},
		{"eight digits", "00112038-9", "", ErrMalformed},
		{"no hyphen", "01120389", "", ErrMalformed},
		{"space for hyphen", "0112038 9", "", ErrMalformed},
		{"en dash", "0112038–9", "", ErrMalformed},
		{"letter check", "0112038-X", "", ErrMalformed},
		{"two check digits", "0112038-99", "", ErrMalformed},
		{"VAT form", "FI01120389", "", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("Parse(%q) error = %v, want %v", tc.in, err, tc.err)
			}
			if got != tc.want || got.String() != string(tc.want) {
				t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestEveryCheckDigit checks that exactly one check digit is accepted for
// digits whose remainder is not 1, and none for those whose remainder is.
func TestEveryCheckDigit(t *testing.T) {
	for _, digits := range []string{"0112038", "2617416", "1572860", "1000008", "0000000", "9999999"} {
		accepted := 0
		for c := '0'; c <= '9'; c++ {
			if _, err := Parse(digits + "-" + string(c)); err == nil {
				accepted++
			}
		}
		want := 1
		if digits == "1000008" {
			want = 0
		}
		if accepted != want {
			t.Errorf("%s: %d check digits accepted, want %d", digits, accepted, want)
		}
	}
}
