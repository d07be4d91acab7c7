package library

import "net/http"

// Not built yet (issue 11): owned by the helper building pin.
func (s *Service) pinForm(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}

func (s *Service) pinSubmit(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}
