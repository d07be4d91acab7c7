package hetu

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// synthetic are the population register agency's (DVV) test codes, one per
// century sign in use; all valid.
var synthetic = []struct {
	code string
	born time.Time
	temp bool
}{
	{"131052-308T", date(1952, 10, 13), false},
	{"010594Y9032", date(1994, 5, 1), true},
	{"020594X903P", date(1994, 5, 2), true},
	{"030594W903B", date(1994, 5, 3), true},
	{"040594V902Y", date(1994, 5, 4), true},
	{"050594U903M", date(1994, 5, 5), true},
	{"010516B903X", date(2016, 5, 1), true},
	{"020516C902J", date(2016, 5, 2), true},
	{"030516D9037", date(2016, 5, 3), true},
	{"010501E9032", date(2001, 5, 1), true},
	{"020503F9037", date(2003, 5, 2), true},
	{"020504A902E", date(2004, 5, 2), true},
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// withCheck completes DDMMYYCNNN with its check character, computed here
// independently of the package so a test can build codes that differ from a
// valid one in exactly one way.
func withCheck(t *testing.T, first10 string) string {
	t.Helper()
	n, err := strconv.Atoi(first10[0:6] + first10[7:10])
	if err != nil {
		t.Fatalf("withCheck(%q): %v", first10, err)
	}
	return first10 + string("0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31])
}

func TestParseSynthetic(t *testing.T) {
	for _, tc := range synthetic {
		t.Run(tc.code, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.String() != tc.code {
				t.Errorf("String() = %q, want %q", c.String(), tc.code)
			}
			if !c.BirthDate().Equal(tc.born) {
				t.Errorf("BirthDate() = %v, want %v", c.BirthDate(), tc.born)
			}
			if c.Temporary() != tc.temp {
				t.Errorf("Temporary() = %v, want %v", c.Temporary(), tc.temp)
			}
			if c.IsZero() {
				t.Error("IsZero() on a parsed code")
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	tests := []struct{ in, want string }{
		{"131052-308t", "131052-308T"},
		{"  131052-308T  ", "131052-308T"},
		{"\t010594y9032\n", "010594Y9032"},
		{"020594x903p", "020594X903P"},
		{" 020504a902e", "020504A902E"},
	}
	for _, tc := range tests {
		c, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if c.String() != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, c.String(), tc.want)
		}
	}
}

func TestParseWrongCheck(t *testing.T) {
	const chars = "0123456789ABCDEFHJKLMNPRSTUVWXY"
	for _, tc := range synthetic {
		// The next valid check character: well formed, but wrong.
		i := strings.IndexByte(chars, tc.code[10])
		bad := tc.code[:10] + string(chars[(i+1)%len(chars)])
		_, err := Parse(bad)
		if !errors.Is(err, ErrCheck) {
			t.Errorf("Parse(%q) = %v, want ErrCheck", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad[:6]) {
			t.Errorf("error %q contains the code", err)
		}
	}
}

func TestParseDates(t *testing.T) {
	tests := []struct {
		name    string
		first10 string
		want    error
		born    time.Time
	}{
		{"31 February", "310294-902", ErrDate, time.Time{}},
		{"30 February", "300200A902", ErrDate, time.Time{}},
		{"29 February 2001, common year", "290201A902", ErrDate, time.Time{}},
		{"29 February 2000, leap year", "290200A902", nil, date(2000, 2, 29)},
		// 1900 and 1800 are not leap years though 2000 is: the century matters.
		{"29 February 1900", "290200-902", ErrDate, time.Time{}},
		{"29 February 1900, new sign", "290200Y902", ErrDate, time.Time{}},
		{"29 February 1800", "290200+902", ErrDate, time.Time{}},
		{"29 February 1896", "290296+902", nil, date(1896, 2, 29)},
		{"29 February 1996", "290296-902", nil, date(1996, 2, 29)},
		{"31 April", "310400-123", ErrDate, time.Time{}},
		{"day 00", "000190-123", ErrDate, time.Time{}},
		{"month 00", "010090-123", ErrDate, time.Time{}},
		{"month 13", "011390-123", ErrDate, time.Time{}},
		{"day 32", "320190-123", ErrDate, time.Time{}},
		{"31 December 1899", "311299+123", nil, date(1899, 12, 31)},
		{"1 January 2000", "010100A123", nil, date(2000, 1, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := withCheck(t, tc.first10)
			c, err := Parse(code)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Parse(%q) = %v, want %v", code, err, tc.want)
			}
			if err == nil && !c.BirthDate().Equal(tc.born) {
				t.Errorf("BirthDate() = %v, want %v", c.BirthDate(), tc.born)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"spaces only", "   "},
		{"sign G", "131052G308T"},
		{"sign Z", "131052Z308T"},
		{"sign *", "131052*308T"},
		{"sign lower-case z", "131052z308T"},
		{"check G", "131052-308G"},
		{"check I", "131052-308I"},
		{"check O", "131052-308O"},
		{"check Q", "131052-308Q"},
		{"check Z", "131052-308Z"},
		{"individual number 000", withCheck(t, "131052-000")},
		{"individual number 001", withCheck(t, "131052-001")},
		{"too short", "131052-308"},
		{"too long", "131052-308TT"},
		{"inner space", "131052 308T"},
		{"letter in date", "13105A-308T"},
		{"letter in individual number", "131052-3O8T"},
		{"full-width digit", "１31052-308T"},
		{"long s as check", "131052-308ſ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%q) = %v, want ErrMalformed", tc.in, err)
			}
		})
	}
}

func TestIndividualNumberRange(t *testing.T) {
	tests := []struct {
		nnn  string
		temp bool
	}{
		{"002", false},
		{"308", false},
		{"899", false},
		{"900", true},
		{"999", true},
	}
	for _, tc := range tests {
		code := withCheck(t, "010190-"+tc.nnn)
		c, err := Parse(code)
		if err != nil {
			t.Errorf("Parse(%q): %v", code, err)
			continue
		}
		if c.Temporary() != tc.temp {
			t.Errorf("Parse(%q).Temporary() = %v, want %v", code, c.Temporary(), tc.temp)
		}
	}
}

func TestCenturySignDistinguishes(t *testing.T) {
	// Since 2023 the sign is part of the identity: the same nine digits
	// under '-' and 'Y' can be two people, and 'A' is another century.
	minus, y, a := withCheck(t, "010190-999"), withCheck(t, "010190Y999"), withCheck(t, "010190A999")
	cm, err1 := Parse(minus)
	cy, err2 := Parse(y)
	ca, err3 := Parse(a)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if cm.String() == cy.String() || cm == cy {
		t.Errorf("%q and %q compare equal", cm, cy)
	}
	if !cm.BirthDate().Equal(cy.BirthDate()) || !cm.BirthDate().Equal(date(1990, 1, 1)) {
		t.Errorf("BirthDate() = %v and %v, want both 1990-01-01", cm.BirthDate(), cy.BirthDate())
	}
	if !ca.BirthDate().Equal(date(2090, 1, 1)) {
		t.Errorf("BirthDate() of %q = %v, want 2090-01-01", a, ca.BirthDate())
	}
	if again, _ := Parse(strings.ToLower(" " + y)); again != cy {
		t.Errorf("re-parsed %q differs from %q", again, cy)
	}
}

func TestZeroCode(t *testing.T) {
	var c Code
	if !c.IsZero() || c.String() != "" || c.Temporary() || !c.BirthDate().IsZero() {
		t.Errorf("zero Code: IsZero %v, String %q, Temporary %v, BirthDate %v", c.IsZero(), c, c.Temporary(), c.BirthDate())
	}
}

func TestLogValueHidesCode(t *testing.T) {
	c, err := Parse("131052-308T")
	if err != nil {
		t.Fatal(err)
	}
	if v := c.LogValue().String(); strings.Contains(v, "131052") {
		t.Errorf("LogValue() = %q", v)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range synthetic {
		f.Add(tc.code)
		f.Add(strings.ToLower(tc.code))
		f.Add(tc.code[:10])
	}
	f.Add("310294-902Y")
	f.Add("290201A902N")
	f.Add(" 131052-308t ")
	f.Add("131052*308T")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(in)
		if err != nil {
			// Only the fixed sentinels, which contain no digits, so no input
			// that could be a code can appear in a message.
			if err != ErrMalformed && err != ErrDate && err != ErrCheck {
				t.Fatalf("Parse returned a non-sentinel error %q", err)
			}
			if strings.ContainsAny(in, "0123456789") && strings.Contains(err.Error(), strings.TrimSpace(in)) {
				t.Fatalf("error %q contains the input", err)
			}
			if !c.IsZero() {
				t.Fatalf("Parse failed but returned %q", c)
			}
			return
		}
		s := c.String()
		if !pattern.MatchString(s) {
			t.Fatalf("accepted %q does not match the pattern", s)
		}
		if again, err := Parse(s); err != nil || again != c {
			t.Fatalf("re-parse of %q: %v, %v", s, again, err)
		}
		if c.BirthDate().IsZero() {
			t.Fatalf("accepted %q has no birth date", s)
		}
	})
}

// TestMake: a made code is what Parse accepts, with the birth date and the
// kind it was made with, and equals the register's own where one exists.
func TestMake(t *testing.T) {
	for _, tc := range []struct {
		born time.Time
		n    int
		want string
	}{
		{date(1952, 10, 13), 308, "131052-308T"},
		{date(2004, 5, 2), 902, "020504A902E"},
		{date(1899, 12, 31), 2, ""},
		{date(2000, 2, 29), 899, ""},
		{date(1980, 5, 17), 45, ""},
	} {
		code := Make(tc.born, tc.n)
		if tc.want != "" && code != tc.want {
			t.Errorf("Make(%s, %d) = %q, want %q", tc.born.Format(time.DateOnly), tc.n, code, tc.want)
		}
		c, err := Parse(code)
		if err != nil {
			t.Errorf("Make(%s, %d) = %q: Parse: %v", tc.born.Format(time.DateOnly), tc.n, code, err)
			continue
		}
		if !c.BirthDate().Equal(tc.born) || c.Temporary() != (tc.n >= 900) {
			t.Errorf("%q: born %s, temporary %v", code, c.BirthDate().Format(time.DateOnly), c.Temporary())
		}
	}
}
