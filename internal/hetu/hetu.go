// Package hetu validates the Finnish personal identity code (henkilötunnus).
//
// A code is personal data of the most sensitive ordinary kind: errors here
// never contain it, and a Code logs through slog as a placeholder. The code
// is not an authenticator and never a key; it is stored only encrypted.
package hetu

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The errors say which part is wrong so a form can tell the person; they are
// fixed values so no input can leak into a message.
var (
	ErrMalformed = errors.New("hetu: not in the form DDMMYYCNNNQ")
	ErrDate      = errors.New("hetu: no such date of birth")
	ErrCheck     = errors.New("hetu: wrong check character")
)

var pattern = regexp.MustCompile(`^\d{6}[-+ABCDEFYXWVU]\d{3}[0-9A-FHJ-NPR-Y]$`)

// checkChars maps DDMMYYNNN mod 31 to the check character (no G, I, O, Q, Z).
const checkChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// Code is a valid identity code in normalised form. Since the 2023 reform the
// century sign distinguishes people (010190-999K and 010190Y999K may be two),
// so codes compare equal only if their whole strings do.
type Code struct{ s string }

// Parse validates s, ignoring surrounding spaces and letter case. Temporary
// codes (individual number 900–999) are accepted; see Temporary.
func Parse(s string) (Code, error) {
	s = upperASCII(strings.TrimSpace(s))
	if len(s) != 11 || !pattern.MatchString(s) {
		return Code{}, ErrMalformed
	}
	if n := s[7:10]; n == "000" || n == "001" {
		return Code{}, ErrMalformed // never issued
	}
	if _, ok := birthDate(s); !ok {
		return Code{}, ErrDate
	}
	if s[10] != check(s[0:6]+s[7:10]) {
		return Code{}, ErrCheck
	}
	return Code{s}, nil
}

// Make is the code of a person born on born (1800–2099) with individual
// number n (2–899; 900–999 for a temporary code), with the century's first
// sign (+, -, A): what Parse accepts. Test data and the bench make codes
// with it; nothing derives a person's code.
func Make(born time.Time, n int) string {
	digits := born.Format("020106") + fmt.Sprintf("%03d", n)
	sign := map[int]string{1800: "+", 1900: "-", 2000: "A"}[born.Year()/100*100]
	return digits[:6] + sign + digits[6:] + string(check(digits))
}

// String returns the normalised code: upper case, no spaces.
func (c Code) String() string { return c.s }

// LogValue keeps the code out of structured logs even when passed by mistake.
func (c Code) LogValue() slog.Value { return slog.StringValue("[hetu]") }

// BirthDate returns the date of birth at midnight UTC (zero for the zero Code).
func (c Code) BirthDate() time.Time {
	t, _ := birthDate(c.s)
	return t
}

// Temporary reports whether the individual number is 900–999, the range of
// temporary codes given for example in hospitals.
func (c Code) Temporary() bool { return c.s != "" && c.s[7] == '9' }

// IsZero reports whether c is the zero Code rather than a parsed one.
func (c Code) IsZero() bool { return c.s == "" }

// birthDate reads DDMMYY and the century sign of a code that matched pattern;
// ok is false if the date does not exist (31.2., 29.2. of a common year).
func birthDate(s string) (time.Time, bool) {
	if len(s) != 11 {
		return time.Time{}, false
	}
	var century int
	switch s[6] {
	case '+':
		century = 1800
	case '-', 'Y', 'X', 'W', 'V', 'U':
		century = 1900
	case 'A', 'B', 'C', 'D', 'E', 'F':
		century = 2000
	default:
		return time.Time{}, false
	}
	day, _ := strconv.Atoi(s[0:2])
	month, _ := strconv.Atoi(s[2:4])
	year, _ := strconv.Atoi(s[4:6])
	t := time.Date(century+year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 31.2. into March; a changed day or month means no such date.
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, false
	}
	return t, true
}

// check returns the check character of the nine digits DDMMYYNNN; the century
// sign is not part of the sum.
func check(digits string) byte {
	n, _ := strconv.Atoi(digits)
	return checkChars[n%31]
}

// upperASCII upper-cases ASCII letters only: strings.ToUpper would turn
// 'ſ' (long s) into 'S', a valid check character.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
