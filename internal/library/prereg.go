package library

import "net/http"

// Not built yet (issue 11): owned by the helper building prereg.
func (s *Service) registerForm(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}

func (s *Service) registerSubmit(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}
