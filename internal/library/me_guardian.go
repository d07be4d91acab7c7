package library

import (
	"context"
	"net/http"
	"strconv"

	"rekisteri/internal/errlog"
	"rekisteri/internal/web"
)

// A guardian sees their child's data and acts for them (issue 11), and an
// institution's contact person the institution's: /library/me?child=N is
// the page of the N-th of those the signed-in patron answers for (in the
// order /library/me lists them; a place in a list, never a customer number,
// goes in the URL), and POST /library/me?child=N changes that patron's
// contact details. A link to a child who has turned 15 no longer counts.

// EventGuardianUpdate is the audit event of a change made for a dependant,
// under the dependant's subject key.
const EventGuardianUpdate = "library-guardian-update"

var errNoChild error = errlog.New("no such dependant")

// meChildRef is the dependant a request names; n is 0 for the patron's own page.
type meChildRef struct {
	n      int
	number string
	p      *Patron
}

// meChild is the dependant r's child parameter names among those ss's
// patron answers for now (errNoChild when it names none).
func (s *Service) meChild(ctx context.Context, r *http.Request, ss *Session) (meChildRef, error) {
	q := r.URL.Query().Get("child")
	if q == "" {
		return meChildRef{}, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > meMaxLinks {
		return meChildRef{}, errNoChild
	}
	links, err := s.meLinks(ctx, ss.number, ss.Patron, skDepend)
	if err != nil {
		return meChildRef{}, err
	}
	if n > len(links) {
		return meChildRef{}, errNoChild
	}
	return meChildRef{n: n, number: links[n-1].number, p: links[n-1].p}, nil
}

// meViewFor is the signed-in patron's page, or the dependant's.
func (s *Service) meViewFor(ctx context.Context, ss *Session, c meChildRef) (*meView, error) {
	if c.n == 0 {
		return s.readMe(ctx, ss)
	}
	v, err := s.readPage(ctx, ss, c.p, c.number)
	if err != nil {
		return nil, err
	}
	v.Child = c.n
	return v, nil
}

// noChild answers a child parameter that names nobody the patron answers for.
func noChild(w http.ResponseWriter, r *http.Request, lang string) error {
	msg := sessionText(lang, "me.nochild")
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusNotFound, map[string]string{"error": msg})
		return nil
	}
	web.Message(w, http.StatusNotFound, lang, sessionText(lang, "me.title"), msg)
	return nil
}
