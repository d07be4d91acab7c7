package token

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignURLVerifyURL(t *testing.T) {
	const u = "https://www.espoo.fi/fi/kamu?nayttely=1&x=%C3%A4"
	sig := SignURL(testKey, u)
	tests := []struct {
		name    string
		key     []byte
		u, sig  string
		wantOK  bool
		comment string
	}{
		{"its own signature", testKey, u, sig, true, ""},
		{"another URL", testKey, "https://evil.example/", sig, false, "the signature covers the destination"},
		{"the URL with a suffix", testKey, u + "/x", sig, false, ""},
		{"another key", otherKey, u, sig, false, ""},
		{"empty signature", testKey, u, "", false, ""},
		{"not base64url", testKey, u, sig[:10] + "+/" + sig[12:], false, ""},
		{"padded", testKey, u, sig + "=", false, ""},
		{"truncated", testKey, u, sig[:len(sig)-2], false, ""},
		{"a token's signature", testKey, u, strings.SplitN(Sign(testKey, Claims{Purpose: Activity}), ".", 2)[1], false, "domain separation"},
		{"very long URL", testKey, "https://a.example/" + strings.Repeat("a", 9000), SignURL(testKey, "https://a.example/"+strings.Repeat("a", 9000)), false, "refused unread"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyURL(tc.key, tc.u, tc.sig); got != tc.wantOK {
				t.Fatalf("VerifyURL = %v, want %v %s", got, tc.wantOK, tc.comment)
			}
		})
	}
}

func TestSignURLIsQuerySafeAndDeterministic(t *testing.T) {
	for _, u := range []string{"https://a.example/", "http://b.example/?q=1&r=2", "https://c.example/ä ö"} {
		s1, s2 := SignURL(testKey, u), SignURL(testKey, u)
		if s1 != s2 {
			t.Errorf("%q: not deterministic", u)
		}
		if url.QueryEscape(s1) != s1 || strings.Contains(s1, "=") {
			t.Errorf("%q: signature %q needs escaping in a query", u, s1)
		}
		if s1 == SignURL(otherKey, u) {
			t.Errorf("%q: the key does not matter", u)
		}
	}
}

func TestActivityToken(t *testing.T) {
	tok := Sign(testKey, Claims{Purpose: Activity, Subject: "abc123", Expires: now.Add(time.Hour).Unix()})
	c, err := Verify(testKey, tok, Activity, now)
	if err != nil || c.Subject != "abc123" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	if _, err := Verify(testKey, tok, Unsubscribe, now); err != ErrPurpose {
		t.Fatalf("an activity token unsubscribes: %v", err)
	}
}
