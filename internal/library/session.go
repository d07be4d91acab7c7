package library

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// The self-service session (issue 11: "a short session (cookie HttpOnly,
// Secure, SameSite=Strict; CSRF-safe forms)").
//
// The cookie is a token (internal/token, purpose LibrarySession) signed with
// the token key, holding the customer number, a random session id and the
// expiry — SessionLifetime from sign-in, not extended by use. It is a
// cookie, never a URL: HttpOnly, SameSite=Strict, Path=/library, and Secure
// wherever the public base URL is not plain http on this machine (the local
// stack). The session is also held server-side: the patron's sessionHash is
// the SHA-256 of the current session id, so signing out (or signing in
// again elsewhere) ends the old cookie at once, and a copied cookie is no
// use after it. Every form that acts carries the session's CSRF token, an
// HMAC of the session id, in the hidden field csrf; with SameSite=Strict a
// cross-site form cannot post as the patron.
const (
	SessionCookie   = "library_session"
	SessionLifetime = 15 * time.Minute
	CSRFField       = "csrf"
	attrSession     = "sessionHash"
	sessionBody     = 8 << 10 // the most a login or self-service form may send
)

var (
	// ErrNotSignedIn is SessionPatron's answer when r carries no valid session.
	ErrNotSignedIn error = errlog.New("not signed in")
	// ErrBadCSRF is SessionPost's answer to a form without the session's token.
	ErrBadCSRF error = errlog.New("form token missing or wrong")
)

// Session is a signed-in patron and what the session's pages need.
type Session struct {
	Patron *Patron
	CSRF   string    // the value of every acting form's csrf field
	Until  time.Time // when the session ends
	number string    // the patron's customer number
	hash   string    // the stored sessionHash
}

// SessionPatron is the patron signed in on r, or ErrNotSignedIn.
func (s *Service) SessionPatron(r *http.Request) (*Patron, error) {
	ss, err := s.Session(r)
	if err != nil {
		return nil, err
	}
	return ss.Patron, nil
}

// Session is the session r carries, or ErrNotSignedIn: a cookie this system
// signed, not expired, naming a patron whose current session it is.
func (s *Service) Session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, ErrNotSignedIn
	}
	keys, err := s.keys.Keys(r.Context())
	if err != nil {
		return nil, err
	}
	claims, err := token.Verify(keys.Token, c.Value, token.LibrarySession, s.now())
	if err != nil || claims.Subject == "" || claims.ID == "" || claims.Expires == 0 {
		return nil, ErrNotSignedIn
	}
	p, held, err := s.readSession(r.Context(), claims.Subject)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotSignedIn
	}
	if err != nil {
		return nil, err
	}
	if held == "" || !hmac.Equal([]byte(held), []byte(sessionHash(claims.ID))) {
		return nil, ErrNotSignedIn
	}
	return &Session{Patron: p, CSRF: csrfToken(keys.Token, claims.ID), Until: time.Unix(claims.Expires, 0),
		number: claims.Subject, hash: held}, nil
}

// SessionPost is Session for a form that acts: its csrf field must be the
// session's token (ErrBadCSRF otherwise).
func (s *Service) SessionPost(r *http.Request, f web.Form) (*Session, error) {
	ss, err := s.Session(r)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(f.Get(CSRFField)), []byte(ss.CSRF)) {
		return nil, ErrBadCSRF
	}
	return ss, nil
}

// readSession reads the patron and its current session's hash.
func (s *Service) readSession(ctx context.Context, number string) (*Patron, string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Patrons),
		Key:            dynamo.Key(PatronPK(number), SKPatron),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, "", fmt.Errorf("read session: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, "", ErrNotFound
	}
	var p Patron
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return nil, "", fmt.Errorf("read session: %w", err)
	}
	held, _ := out.Item[attrSession].(*types.AttributeValueMemberS)
	if held == nil {
		return &p, "", nil
	}
	return &p, held.Value, nil
}

// sessionHash is what the patron record holds of a session id.
func sessionHash(id string) string {
	h := sha256.Sum256([]byte("rekisteri-library-session\x00" + id))
	return hex.EncodeToString(h[:])
}

// csrfToken is the session's form token: only the server (the token key)
// and the page it rendered know it.
func csrfToken(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("rekisteri-library-csrf\x00"))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookie is the session cookie with value, or the one that clears it
// (maxAge < 0).
func (s *Service) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/library", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode}
}

// secureCookies is false only where the public base URL is plain http on a
// loopback host (the local stack and make run); everywhere else browsers
// send the cookie over TLS only.
func (s *Service) secureCookies() bool {
	u := s.baseURL
	if u == nil || u.Scheme != "http" {
		return true
	}
	h := u.Hostname()
	if h == "localhost" {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}

// startSession records a new session for number (p as read, the PIN just
// checked): the failure count reset, the lock lifted, the last use stamped
// (signing in is use of the library: the patron's retention counts from it,
// through the record seam) and the new session's hash held. It answers the
// session id, or ErrLoginFailed when the PIN changed meanwhile.
func (s *Service) startSession(ctx context.Context, number string, p *Patron, now time.Time) (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	pin := p.PIN
	for attempt := 0; ; attempt++ {
		err := s.touchPatron(ctx, number, p, now, touch{
			set:    "failedLogins = :zero, " + attrSession + " = :session",
			remove: "lockedUntil",
			cond:   "#pin = :pin",
			names:  map[string]string{"#pin": "pin"},
			values: map[string]types.AttributeValue{":zero": lockN(0), ":session": lockS(sessionHash(id)), ":pin": lockS(pin)},
		})
		if err == nil {
			return id, nil
		}
		if !dynamo.ConditionFailed(err) || attempt == 2 {
			return "", err
		}
		// The patron changed between the read and this write (a loan, a
		// fee): read it again, so the retention stamped is its state's.
		if p, err = s.getPatron(ctx, number); err != nil {
			return "", err
		}
		if p.PIN != pin {
			return "", ErrLoginFailed
		}
	}
}

// endSession forgets the session ss, if it is still the patron's.
func (s *Service) endSession(ctx context.Context, ss *Session) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Patrons),
		Key:                       dynamo.Key(PatronPK(ss.number), SKPatron),
		UpdateExpression:          aws.String("REMOVE " + attrSession),
		ConditionExpression:       aws.String(attrSession + " = :session"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":session": lockS(ss.hash)},
	})
	if dynamo.ConditionFailed(err) {
		return nil // signed in again elsewhere, or gone
	}
	return err
}
