package library_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"rekisteri/internal/library"
)

// TestLibraryNewPINEndsLockoutAndSession: a PIN set at the desk (the
// patron forgot theirs and locked the number) opens the number at once and
// ends the session of the old PIN.
func TestLibraryNewPINEndsLockoutAndSession(t *testing.T) {
	s := newSSSite(t)
	svc := s.service("https://kirjasto.example")
	h := svc.Routes()
	n := s.patron(svc, "2468")
	cookie, _ := ssLogin(t, h, n, "2468")
	for range library.MaxFailedLogins {
		ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {n}, "pin": {"1111"}}, true)
	}
	if got := ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {n}, "pin": {"2468"}}, true).status; got != http.StatusUnauthorized {
		t.Fatalf("the number should be locked: %d", got)
	}
	if err := svc.SetPIN(context.Background(), n, "1357", "desk"); err != nil {
		t.Fatal(err)
	}
	if got := ssSend(h, http.MethodGet, "/library/me", nil, true, cookie).status; got != http.StatusUnauthorized {
		t.Errorf("the old PIN's session still opens /library/me: %d", got)
	}
	if got := ssSend(h, http.MethodPost, "/library/login", url.Values{"customer": {n}, "pin": {"1357"}}, true).status; got != http.StatusOK {
		t.Errorf("the new PIN is refused (still locked?): %d, record %v", got, s.item(n))
	}
}
