package token

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
	now      = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
)

func TestSignVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		claims  Claims
		purpose string
	}{
		{"confirm with lists", Claims{Purpose: Confirm, Subject: "abc123", ID: "sig-1", Lists: []string{"newsletter", "openings"}, Expires: now.Add(time.Hour).Unix()}, Confirm},
		{"unsubscribe never expires", Claims{Purpose: Unsubscribe, Subject: "abc123", Lists: []string{"newsletter"}}, Unsubscribe},
		{"verify request", Claims{Purpose: VerifyRequest, ID: "req-9", Expires: now.Unix()}, VerifyRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := Sign(testKey, tc.claims)
			if strings.Count(tok, ".") != 1 {
				t.Fatalf("token %q: want payload.signature", tok)
			}
			got, err := Verify(testKey, tok, tc.purpose, now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(got, tc.claims) {
				t.Fatalf("claims = %+v, want %+v", got, tc.claims)
			}
		})
	}
}

// flip changes one character of s at i to another character of the
// base64url alphabet.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestVerifyErrors(t *testing.T) {
	valid := Sign(testKey, Claims{Purpose: Confirm, Subject: "s", ID: "i", Lists: []string{"newsletter"}, Expires: now.Add(time.Hour).Unix()})
	payload, sig, _ := strings.Cut(valid, ".")

	// A payload re-encoded with other claims but the old signature.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"p":"confirm","s":"someone-else","i":"i","l":["newsletter"]}`)) + "." + sig

	tests := []struct {
		name    string
		tok     string
		purpose string
		at      time.Time
		want    error
	}{
		{"tampered payload", flip(payload, 3) + "." + sig, Confirm, now, ErrInvalid},
		{"forged payload, old signature", forged, Confirm, now, ErrInvalid},
		{"tampered signature", payload + "." + flip(sig, 5), Confirm, now, ErrInvalid},
		{"truncated signature", payload + "." + sig[:len(sig)-2], Confirm, now, ErrInvalid},
		{"signature dropped", payload, Confirm, now, ErrInvalid},
		{"other key", Sign(otherKey, Claims{Purpose: Confirm, Expires: now.Add(time.Hour).Unix()}), Confirm, now, ErrInvalid},
		{"wrong purpose", valid, Unsubscribe, now, ErrPurpose},
		{"unsubscribe token used to confirm", Sign(testKey, Claims{Purpose: Unsubscribe}), Confirm, now, ErrPurpose},
		{"expired by a second", valid, Confirm, now.Add(time.Hour + time.Second), ErrExpired},
		{"expired long ago", valid, Confirm, now.AddDate(1, 0, 0), ErrExpired},
		{"empty", "", Confirm, now, ErrInvalid},
		{"dot only", ".", Confirm, now, ErrInvalid},
		{"a.b", "a.b", Confirm, now, ErrInvalid},
		{"not base64", "!!!.???", Confirm, now, ErrInvalid},
		{"very long", strings.Repeat("a", 5000) + "." + strings.Repeat("b", 5000), Confirm, now, ErrInvalid},
		{"valid token padded past the limit", valid + strings.Repeat("A", 2100), Confirm, now, ErrInvalid},
		{"signed non-JSON payload", signRaw(testKey, "not json"), Confirm, now, ErrInvalid},
		{"validly signed but over 2048 characters", Sign(testKey, Claims{Purpose: Confirm, Lists: manyLists(200)}), Confirm, now, ErrInvalid},
	}
	if n := len(tests[len(tests)-1].tok); n <= 2048 {
		t.Fatalf("the over-long token has only %d characters", n)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Verify(testKey, tc.tok, tc.purpose, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify err = %v, want %v", err, tc.want)
			}
			if !reflect.DeepEqual(c, Claims{}) {
				t.Fatalf("a failed Verify returned claims %+v", c)
			}
		})
	}
}

func manyLists(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "list-number-" + strings.Repeat("x", i%5)
	}
	return out
}

// signRaw signs an arbitrary payload, as Sign would if it produced it.
func signRaw(key []byte, payload string) string {
	p := enc.EncodeToString([]byte(payload))
	return p + "." + enc.EncodeToString(mac(key, p))
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name    string
		expires int64
		at      time.Time
		wantErr error
	}{
		{"zero never expires, now", 0, now, nil},
		{"zero never expires, in 50 years", 0, now.AddDate(50, 0, 0), nil},
		{"valid before expiry", now.Unix(), now.Add(-time.Minute), nil},
		{"valid at the expiry second", now.Unix(), now, nil},
		{"expired a second after", now.Unix(), now.Add(time.Second), ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := Sign(testKey, Claims{Purpose: Unsubscribe, Subject: "s", Expires: tc.expires})
			_, err := Verify(testKey, tok, Unsubscribe, tc.at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestSignIsURLSafeAndDeterministic(t *testing.T) {
	c := Claims{Purpose: Confirm, Subject: strings.Repeat("ff", 32), ID: "0123456789abcdef01234567", Lists: []string{"newsletter", "openings"}, Expires: now.Unix()}
	a, b := Sign(testKey, c), Sign(testKey, c)
	if a != b {
		t.Fatalf("Sign is not deterministic: %q vs %q", a, b)
	}
	if strings.ContainsAny(a, "+/=?&# ") {
		t.Fatalf("token %q is not URL-safe", a)
	}
	if Sign(otherKey, c) == a {
		t.Fatal("tokens of different keys are equal")
	}
}
