package mail

import (
	netmail "net/mail"
	"strings"
)

// ValidAddress accepts one bare address with a dotted domain: what people
// type into a form, not a display name or a list.
func ValidAddress(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
