package local

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"rekisteri/internal/sesmail"
)

// SentMail is one message SES (moto) accepted.
type SentMail struct {
	Raw    []byte
	Parsed sesmail.Parsed
}

// SentMail reads every message moto's SES accepted, oldest first.
func (s *Stack) SentMail(ctx context.Context) ([]SentMail, error) {
	motoURL := strings.TrimRight(s.motoURL(), "/")
	var resp *http.Response
	// moto serialises every service's state for data.json and fails (500)
	// while some other test's S3 object is in a state it cannot encode; a
	// moment later it can. Try again for a few seconds.
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, motoURL+"/moto-api/data.json", nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("read sent mail: %w", err)
		}
		if r.StatusCode == http.StatusOK {
			resp = r
			break
		}
		r.Body.Close()
		if attempt == 20 {
			return nil, fmt.Errorf("read sent mail: moto answered %d %d times", r.StatusCode, attempt)
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			RawMessage []struct {
				RawData string `json:"raw_data"`
			} `json:"RawMessage"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("read sent mail: %w", err)
	}
	out := make([]SentMail, 0, len(data.SES.RawMessage))
	for _, m := range data.SES.RawMessage {
		p, err := sesmail.Parse([]byte(m.RawData))
		if err != nil {
			return nil, fmt.Errorf("parse sent mail: %w", err)
		}
		out = append(out, SentMail{Raw: []byte(m.RawData), Parsed: p})
	}
	return out, nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Links returns the URLs in a mail's text part, in order.
func (m SentMail) Links() []string { return linkPattern.FindAllString(m.Parsed.Text, -1) }

var mailPage = template.Must(template.New("mail").Funcs(template.FuncMap{"linkify": func(s string) template.HTML {
	esc := template.HTMLEscapeString(s)
	return template.HTML(linkPattern.ReplaceAllStringFunc(esc, func(u string) string {
		return `<a href="` + u + `">` + u + `</a>`
	}))
}}).Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sent mail (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}article{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}pre{white-space:pre-wrap}code{font-size:.85rem}</style></head>
<body><h1>Mail sent through SES (moto), newest first</h1><p><a href="/">← local index</a></p>
{{if not .}}<p>No mail yet.</p>{{end}}
{{range .}}<article><p><strong>To:</strong> {{.Parsed.To}}<br><strong>Subject:</strong> {{.Parsed.Subject}}<br>
{{with .Parsed.Header.Get "List-Unsubscribe"}}<strong>List-Unsubscribe:</strong> <code>{{.}}</code><br>{{end}}
{{with .Parsed.Header.Get "List-Unsubscribe-Post"}}<strong>List-Unsubscribe-Post:</strong> <code>{{.}}</code>{{end}}</p>
<pre>{{linkify .Parsed.Text}}</pre></article>{{end}}</body></html>`))

// MailPage shows the mail sent so far, for a person trying the system.
func (s *Stack) MailPage(w http.ResponseWriter, r *http.Request) {
	mails, err := s.SentMail(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for i, j := 0, len(mails)-1; i < j; i, j = i+1, j-1 {
		mails[i], mails[j] = mails[j], mails[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = mailPage.Execute(w, mails)
}
