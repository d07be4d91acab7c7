// Package token makes the links in mail: signed, bound to one purpose and,
// except for unsubscribing, expiring. A token is not a secret from its
// holder; it only proves the system issued it.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Purposes a token can be issued for.
const (
	Confirm       = "confirm"
	Unsubscribe   = "unsubscribe"
	VerifyRequest = "verify"
	Decide        = "decide"
	Cancel        = "cancel"
	Download      = "download"
	// Activity is a list mail's recipient's: following a link of it
	// (the signed redirect) stamps that they were active.
	Activity = "activity"
	// Keep is a re-permission mail's answer: "keep me on the list".
	Keep = "keep"
	// EventCancel is an event participant's cancel link (receipt, reminder).
	EventCancel = "event-cancel"
	// RSVP is an invitation's signed link to an event's signup form.
	RSVP = "rsvp"
	// LibrarySession is a library patron's self-service session cookie
	// (never a URL): short-lived, HttpOnly, SameSite=Strict.
	LibrarySession = "library-session"
	// LibraryPIN is a patron's one-time link to set their PIN (mailed at
	// card collection); the patron record holds its nonce until it is used.
	LibraryPIN = "library-pin"
)

// Errors of Verify; callers tell the person what to do for each.
var (
	ErrInvalid = errors.New("token: invalid")
	ErrExpired = errors.New("token: expired")
	ErrPurpose = errors.New("token: wrong purpose")
)

// Claims is what a token says. Keep it to ids: it travels in URLs.
type Claims struct {
	Purpose string   `json:"p"`
	Subject string   `json:"s,omitempty"`
	ID      string   `json:"i,omitempty"`
	Lists   []string `json:"l,omitempty"`
	Expires int64    `json:"e,omitempty"`
}

var enc = base64.RawURLEncoding

// Sign returns the token for c.
func Sign(key []byte, c Claims) string {
	payload, _ := json.Marshal(c) // Claims has only marshalable fields
	p := enc.EncodeToString(payload)
	return p + "." + enc.EncodeToString(mac(key, p))
}

// Verify checks the signature, the purpose and the expiry of tok.
func Verify(key []byte, tok, purpose string, now time.Time) (Claims, error) {
	p, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 2048 {
		return Claims{}, ErrInvalid
	}
	got, err := enc.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return Claims{}, ErrInvalid
	}
	raw, err := enc.DecodeString(p)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, ErrInvalid
	}
	if c.Purpose != purpose {
		return Claims{}, ErrPurpose
	}
	if c.Expires != 0 && now.Unix() > c.Expires {
		return Claims{}, ErrExpired
	}
	return c, nil
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("rekisteri-token\x00"))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// Link is the URL of path under base carrying tok and the reader's language,
// as links in mail do.
func Link(base *url.URL, path, tok, lang string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = url.Values{"token": {tok}, "lang": {lang}}.Encode()
	return u.String()
}

// SignURL signs destination u for the activity redirect, so that the
// redirect sends nobody anywhere the system did not link to (no open
// redirect). The signature is base64url without padding: it goes into a
// query as it is.
func SignURL(key []byte, u string) string { return enc.EncodeToString(urlMAC(key, u)) }

// VerifyURL reports whether sig is SignURL(key, u), in constant time.
func VerifyURL(key []byte, u, sig string) bool {
	if len(u) > 8192 || len(sig) > 64 {
		return false
	}
	got, err := enc.DecodeString(sig)
	return err == nil && hmac.Equal(got, urlMAC(key, u))
}

// urlMAC is separated from the tokens' domain: a token's MAC is never a
// URL's, nor the other way round.
func urlMAC(key []byte, u string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("rekisteri-url\x00"))
	h.Write([]byte(u))
	return h.Sum(nil)
}
