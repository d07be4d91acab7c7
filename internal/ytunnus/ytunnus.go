// Package ytunnus validates the Finnish business id (Y-tunnus). It is not
// personal data, but is checked as strictly as the identity code so that a
// typo is caught on the form rather than on an invoice.
package ytunnus

import (
	"errors"
	"regexp"
	"strings"
)

// The errors say which part is wrong so a form can tell the person.
var (
	ErrMalformed = errors.New("ytunnus: not in the form NNNNNNN-C")
	ErrCheck     = errors.New("ytunnus: wrong check digit")
)

// Old six-digit ids are written with a leading zero; the short form is not
// accepted, so every stored id has one spelling.
var pattern = regexp.MustCompile(`^\d{7}-\d$`)

var weights = [7]int{7, 9, 10, 5, 8, 4, 2}

// ID is a valid business id, NNNNNNN-C.
type ID string

// Parse validates s, ignoring surrounding spaces.
func Parse(s string) (ID, error) {
	s = strings.TrimSpace(s)
	if !pattern.MatchString(s) {
		return "", ErrMalformed
	}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	var want byte
	switch r := sum % 11; r {
	case 0:
		want = '0'
	case 1:
		// No check digit fits; such numbers are never issued.
		return "", ErrCheck
	default:
		want = byte('0' + 11 - r)
	}
	if s[8] != want {
		return "", ErrCheck
	}
	return ID(s), nil
}

// String returns the id.
func (id ID) String() string { return string(id) }
