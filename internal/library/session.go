package library

import (
	"errors"
	"net/http"

	"rekisteri/internal/errlog"
	"rekisteri/internal/token"
)

// SessionCookie is the self-service session's cookie name.
const SessionCookie = "library_session"

// ErrNotSignedIn is SessionPatron's answer when r carries no valid session.
var ErrNotSignedIn error = errlog.New("not signed in")

// SessionPatron is the patron signed in on r, or ErrNotSignedIn.
func (s *Service) SessionPatron(r *http.Request) (*Patron, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, ErrNotSignedIn
	}
	keys, err := s.keys.Keys(r.Context())
	if err != nil {
		return nil, err
	}
	claims, err := token.Verify(keys.Token, c.Value, token.LibrarySession, s.now())
	if err != nil || claims.Subject == "" || claims.Expires == 0 {
		return nil, ErrNotSignedIn
	}
	p, err := s.getPatron(r.Context(), claims.Subject)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotSignedIn
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Not built yet (issue 11): owned by the helper building session.
func (s *Service) loginForm(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}
