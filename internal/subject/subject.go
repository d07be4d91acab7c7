// Package subject derives subject keys: the pseudonymous id that links every
// record of one person, so access and erasure are Queries on an index rather
// than searches through personal data.
package subject

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail gives one spelling per mailbox: trimmed, NFC, lower case.
// Local parts are case-insensitive at every provider people use in practice.
func NormalizeEmail(email string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(email)))
}

// EmailKey is the subject key of an e-mail address.
func EmailKey(secret []byte, email string) string {
	return key(secret, "email", NormalizeEmail(email))
}

// HetuKey is the subject key of a personal identity code (the library's
// patrons): the code upper-cased, as hetu.Parse gives it.
func HetuKey(secret []byte, code string) string {
	return key(secret, "hetu", strings.ToUpper(strings.TrimSpace(code)))
}

func key(secret []byte, namespace, value string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return hex.EncodeToString(h.Sum(nil))
}

// Prefix is the part of a subject key that may appear in logs and audit
// entries: enough to correlate, too short to be a key.
func Prefix(key string) string {
	if len(key) < 8 {
		return key
	}
	return key[:8]
}
