package web

import (
	"html/template"
	"net/http"
)

// LinkPage is the one page a link in mail opens — to confirm, unsubscribe,
// cancel, verify a request, download a copy: a text and a button per
// action, each a POST of the link's token. Link scanners fetch every GET in
// a mail; only a person presses a button, so a GET never acts.
type LinkPage struct {
	Body, Action, Token, Lang string
	Buttons                   []Button
}

// Button is one action of a LinkPage; Field and Value, when set, are one
// more field its POST sends (the format of a download).
type Button struct{ Field, Value, Label string }

var linkPageTmpl = template.Must(template.New("linkpage").Parse(`
<p>{{.Body}}</p>
{{range .Buttons}}<form method="post" action="{{$.Action}}?lang={{$.Lang}}">
<input type="hidden" name="token" value="{{$.Token}}">
<input type="hidden" name="lang" value="{{$.Lang}}">
{{if .Field}}<input type="hidden" name="{{.Field}}" value="{{.Value}}">{{end}}
<button type="submit">{{.Label}}</button>
</form>{{end}}`))

// Render writes the page with title, 200 OK.
func (p LinkPage) Render(w http.ResponseWriter, title string) error {
	return Render(w, http.StatusOK, p.Lang, title, linkPageTmpl, p)
}
