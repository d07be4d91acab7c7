package requests

import "net/http"

// Routes returns the public endpoints (DESIGN §3).
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	return mux
}
