package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
)

// ErrNoActivity is the error of a campaign job without its activity token.
var ErrNoActivity = errors.New("campaign job without an activity token")

// RenderCampaign puts a campaign's stored content for one language and a
// job's params together in the campaign layout (templates/campaign.yaml,
// lang's or else Finnish). The stored HTML was sanitised when it was stored
// and goes in as it is; each ActivityPlaceholder in it and in the text
// becomes the job's activity token, query-escaped (a token is base64url with
// a dot, which escaping leaves as it is), and every other param is escaped
// by the layout like any template's. The job's unsubscribeURL becomes the
// List-Unsubscribe header (RFC 8058), as for every list mail.
func RenderCampaign(lang string, c CampaignContent, params map[string]string) (Rendered, error) {
	t, err := load(CampaignTemplate)
	if err != nil {
		return Rendered{}, err
	}
	p, ok := t.parsed[lang]
	if !ok {
		p = t.parsed["fi"]
	}
	activity := params[ParamActivity]
	if activity == "" {
		return Rendered{}, ErrNoActivity
	}
	token := url.QueryEscape(activity)
	data := make(map[string]any, len(params)+2)
	for k, v := range params {
		data[k] = v
	}
	if _, ok := data[ParamRSVP]; !ok {
		data[ParamRSVP] = "" // not an invitation (and jobs written before invitations were)
	}
	data["subject"] = strings.TrimSpace(c.Subject)
	var r Rendered
	var b bytes.Buffer
	if err := p.subject.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render campaign subject: %w", err)
	}
	r.Subject = strings.TrimSpace(b.String())
	b.Reset()
	data["body"] = strings.ReplaceAll(c.Text, ActivityPlaceholder, token)
	if err := p.text.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render campaign text: %w", err)
	}
	r.Text = b.String()
	b.Reset()
	// Trusted: sanitised by internal/markdown when the campaign was stored.
	data["body"] = htmltemplate.HTML(strings.ReplaceAll(c.HTML, ActivityPlaceholder, token))
	if err := p.html.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render campaign html: %w", err)
	}
	r.HTML = b.String()
	if r.Subject == "" {
		return Rendered{}, errors.New("render campaign: no subject")
	}
	return finish(CampaignTemplate, t, r, params)
}
