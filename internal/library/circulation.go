package library

import "net/http"

// Not built yet (issue 11): owned by the helper building circulation.
func (s *Service) circulation(w http.ResponseWriter, r *http.Request) error {
	http.Error(w, "not built yet", http.StatusNotImplemented)
	return nil
}
