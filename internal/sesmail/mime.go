package sesmail

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"rekisteri/internal/mail"
)

// Envelope is who a message is from and to, and how to name it.
type Envelope struct {
	From, To  string
	MessageID string
	Date      time.Time
}

// Build writes the MIME message: multipart/alternative with text and HTML,
// and for list mail List-Unsubscribe with List-Unsubscribe-Post (RFC 8058),
// both of which SES Easy DKIM signs.
func Build(env Envelope, r mail.Rendered) ([]byte, error) {
	from, err := gomail.ParseAddress(env.From)
	if err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	to, err := gomail.ParseAddress(env.To)
	if err != nil {
		return nil, fmt.Errorf("to address: %w", err)
	}
	var h gomail.Header
	h.SetDate(env.Date)
	h.SetAddressList("From", []*gomail.Address{from})
	h.SetAddressList("To", []*gomail.Address{to})
	h.SetSubject(r.Subject)
	h.SetMessageID(env.MessageID)
	if r.ListUnsubscribe != "" {
		h.Set("List-Unsubscribe", "<"+r.ListUnsubscribe+">")
		h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	var buf bytes.Buffer
	alt, err := gomail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	for _, part := range []struct{ ct, body string }{{"text/plain", r.Text}, {"text/html", r.HTML}} {
		var ph gomail.InlineHeader
		ph.Set("Content-Type", part.ct+"; charset=utf-8")
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := alt.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(pw, part.body); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := alt.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Parsed is a received message, for tests and the local mail viewer.
type Parsed struct {
	Header     message.Header
	Subject    string
	Text, HTML string
	To         string
}

// Parse reads a MIME message built by Build (or any multipart/alternative).
func Parse(raw []byte) (Parsed, error) {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: r.Header.Header}
	p.Subject, _ = r.Header.Subject()
	if to, err := r.Header.AddressList("To"); err == nil && len(to) > 0 {
		p.To = to[0].Address
	}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Parsed{}, err
		}
		body, _ := io.ReadAll(part.Body)
		if h, ok := part.Header.(*gomail.InlineHeader); ok {
			ct, _, _ := h.ContentType()
			switch ct {
			case "text/plain":
				p.Text = string(body)
			case "text/html":
				p.HTML = string(body)
			}
		}
	}
	return p, nil
}
