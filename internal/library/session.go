package library

import "net/http"

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
