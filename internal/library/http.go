package library

import (
	"net/http"

	"rekisteri/internal/web"
)

// Routes returns the library's endpoints (DESIGN §3). Each handler lives in
// the file of its flow: prereg.go, session.go, me.go, circulation.go.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /library/register", web.Handle(s.registerForm))
	mux.Handle("POST /library/register", web.Handle(s.registerSubmit))
	mux.Handle("GET /library/login", web.Handle(s.loginForm))
	mux.Handle("POST /library/login", web.Handle(s.loginSubmit))
	mux.Handle("POST /library/logout", web.Handle(s.logout))
	mux.Handle("GET /library/me", web.Handle(s.mePage))
	mux.Handle("POST /library/me", web.Handle(s.meUpdate))
	mux.Handle("GET /library/me/requests", web.Handle(s.requestsPage)) // requests.go
	mux.Handle("POST /library/me/requests", web.Handle(s.requestSubmit))
	mux.Handle("GET /library/pin", web.Handle(s.pinForm))
	mux.Handle("POST /library/pin", web.Handle(s.pinSubmit))
	mux.Handle("POST /library/circulation", web.Handle(s.circulation))
	return web.WithNotice(s.reg.ID, mux) // every page links to the libraries' notice
}
