package library

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The PIN is kept only as an argon2id hash (seed 004 §12: "tunnusluku
// salattuna"; RFC 9106), in the PHC string format, with OWASP's minimum
// parameters for argon2id: 19 MiB, 2 passes, 1 lane.
const (
	pinMemoryKiB = 19 * 1024
	pinPasses    = 2
	pinLanes     = 1
	pinKeyLen    = 32
	pinSaltLen   = 16
)

// PINLength bounds a PIN: 4 to 8 digits, as library PINs are.
const (
	PINMin = 4
	PINMax = 8
)

// ValidPIN says whether pin is 4 to 8 digits.
func ValidPIN(pin string) bool {
	if len(pin) < PINMin || len(pin) > PINMax {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var b64 = base64.RawStdEncoding

// HashPIN is the stored form of pin: a fresh salt and the argon2id hash.
func HashPIN(pin string) (string, error) {
	salt := make([]byte, pinSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return phc(salt, argon2.IDKey([]byte(pin), salt, pinPasses, pinMemoryKiB, pinLanes, pinKeyLen)), nil
}

// phc is the PHC string of an argon2id key and its salt, with the PIN
// parameters.
func phc(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, pinMemoryKiB, pinPasses, pinLanes,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("library: stored PIN hash malformed")

// CheckPIN says whether pin matches the stored hash, in constant time.
func CheckPIN(stored, pin string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pin), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when no patron has the number (or it has no
// PIN yet), so a wrong number costs the same time as a wrong PIN: a PHC
// string of the same parameters whose salt and key are random, so that no
// PIN matches it. Made without hashing anything: an argon2id hash at start
// would cost every cold start some 40 ms (make bench's start→ready).
var dummyHash = func() string {
	b := make([]byte, pinSaltLen+pinKeyLen)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (it crashes the program first)
	return phc(b[:pinSaltLen], b[pinSaltLen:])
}()
