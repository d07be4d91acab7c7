// Package postal checks the contact details the public forms take in
// Finland: postcodes and phone numbers, one rule for every form.
package postal

import (
	"regexp"
	"strings"
)

var (
	postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)
	phoneChars = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "")
	digitsRE   = regexp.MustCompile(`^\+?[0-9]+$`)
)

// ValidPostcode says whether s is a Finnish postcode: five digits.
func ValidPostcode(s string) bool { return postcodeRE.MatchString(s) }

// NormalizePhone stores Finnish and international numbers alike as +<digits>.
func NormalizePhone(s string) (string, bool) {
	p := phoneChars.Replace(strings.TrimSpace(s))
	if !digitsRE.MatchString(p) {
		return "", false
	}
	switch {
	case strings.HasPrefix(p, "+"):
	case strings.HasPrefix(p, "00"):
		p = "+" + p[2:]
	case strings.HasPrefix(p, "0"):
		p = "+358" + p[1:]
	default:
		return "", false
	}
	if n := len(p) - 1; n < 7 || n > 15 {
		return "", false
	}
	return p, true
}
