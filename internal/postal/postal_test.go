package postal

import "testing"

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"040 123 4567": "+358401234567", "+358 40 123 4567": "+358401234567", "(09) 816 57052": "+358981657052",
		"0046 8 123 456 78": "+46812345678", "+1-202-555-0175": "+12025550175",
		"": "", "123": "", "call me": "", "40 123 4567": "", "+358 40 123 4567 890 123": "",
	} {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestValidPostcode(t *testing.T) {
	for in, want := range map[string]bool{"02100": true, "00100": true, "2100": false, "021000": false, "O2100": false, "": false} {
		if ValidPostcode(in) != want {
			t.Errorf("ValidPostcode(%q) != %v", in, want)
		}
	}
}
