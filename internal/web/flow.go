package web

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// Field is one field of a form as its errors name it.
type Field struct {
	// Name is the field's name in the request and in FieldErrors.
	Name string
	// ID is the id of its control, or of the first control of a group, which
	// the error summary links to. Empty means Name.
	ID string
	// Label is what the visitor sees as the field's label. Errors name the
	// field by it, without a trailing parenthesis ("Phone (optional)" → "Phone").
	Label string
	// Secret fields (an identity code) are never shown back: after a failed
	// submit they come back empty, and the visitor is told why.
	Secret bool
}

func (f Field) id() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Name
}

// name is the label as a message names the field.
func (f Field) name() string {
	if i := strings.Index(f.Label, " ("); i > 0 {
		return f.Label[:i]
	}
	return f.Label
}

// Flow is a form being filled in, and the one way every form of ours
// answers a failed submit to an HTML client (WCAG 2.1 AA 3.3.1, 3.3.3, 4.1.2):
// the form again with the visitor's values (never a secret one), each error
// at its field naming the field, the control marked aria-invalid and
// described by its error, and a summary at the top that links to each field
// and takes focus without any script. JSON clients keep their 400
// {"errors":{…}}: Flow is only for pages.
//
// A template gets the Flow and calls {{.F.Summary}} once at the top,
// {{.F.Error "name"}} at each field, {{.F.Attrs "name"}} inside each control,
// and {{.F.Value "name"}} / {{.F.Chosen "name" "value"}} for its values.
type Flow struct {
	lang   string
	form   Form
	errs   FieldErrors
	fields []Field
	byName map[string]Field
}

// NewFlow is a form in lang with the values sent and their errors (none on
// first display). fields are in the order the form shows them.
func NewFlow(lang string, f Form, errs FieldErrors, fields []Field) *Flow {
	fl := &Flow{lang: lang, form: f, errs: errs, fields: fields, byName: make(map[string]Field, len(fields))}
	for _, x := range fields {
		fl.byName[x.Name] = x
	}
	return fl
}

// Failed reports whether the form comes back with errors.
func (fl *Flow) Failed() bool { return len(fl.errs) > 0 }

// Value is the value sent for name, or "" for a secret field.
func (fl *Flow) Value(name string) string {
	if fl.byName[name].Secret {
		return ""
	}
	return fl.form.Get(name)
}

// Chosen reports whether value was sent for name (checkboxes, radios, options).
func (fl *Flow) Chosen(name, value string) bool { return slices.Contains(fl.form.All(name), value) }

// Checked reports whether a single checkbox was sent ticked.
func (fl *Flow) Checked(name string) bool { v, ok := fl.form.Bool(name); return ok && v }

func (fl *Flow) field(name string) Field {
	if f, ok := fl.byName[name]; ok {
		return f
	}
	return Field{Name: name}
}

// The ids of a field's error and note derive from its name, which is unique
// in a form (a control's id may be shared by a group's rule).
func errorID(f Field) string { return f.Name + "-error" }
func noteID(f Field) string  { return f.Name + "-note" }

// secretDropped reports whether a secret value was sent and is not shown back.
func (fl *Flow) secretDropped(f Field) bool {
	return f.Secret && fl.Failed() && fl.form.Get(f.Name) != ""
}

// Attrs marks a control of the fields names (usually one; a control that
// also belongs to a group's rule names both): aria-invalid when any has an
// error, and aria-describedby pointing at each error (and at the note of a
// secret field not shown back).
func (fl *Flow) Attrs(names ...string) template.HTMLAttr { return fl.Hinted("", names...) }

// Hinted is Attrs for a control that also has a hint (the id of its
// element), which aria-describedby names first, errors or not.
func (fl *Flow) Hinted(hint string, names ...string) template.HTMLAttr {
	var ids []string
	if hint != "" {
		ids = append(ids, hint)
	}
	invalid := false
	for _, name := range names {
		f := fl.field(name)
		if _, bad := fl.errs[name]; bad {
			invalid = true
			ids = append(ids, errorID(f))
		}
		if fl.secretDropped(f) {
			ids = append(ids, noteID(f))
		}
	}
	if len(ids) == 0 {
		return ""
	}
	attrs := ` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`
	if invalid {
		attrs = ` aria-invalid="true"` + attrs
	}
	return template.HTMLAttr(attrs)
}

var fieldErrorTmpl = template.Must(template.New("fielderr").Parse(
	`{{if .Msg}}<p class="field-error" id="{{.ErrID}}"><span class="vh">{{.Prefix}}</span>{{if .Name}}{{.Name}}: {{end}}{{.Msg}}</p>{{end}}` +
		`{{if .Note}}<p class="field-note" id="{{.NoteID}}">{{.Note}}</p>{{end}}`))

// Error is the message of name at its field, naming the field, with the id
// its control's aria-describedby points at; empty when the field is fine.
func (fl *Flow) Error(name string) template.HTML {
	f := fl.field(name)
	d := map[string]string{"Msg": fl.errs[name], "ErrID": errorID(f), "Prefix": text(fl.lang, "flow.prefix"), "Name": f.name(), "NoteID": noteID(f)}
	if fl.secretDropped(f) {
		d["Note"] = strings.ReplaceAll(text(fl.lang, "flow.secret"), "{field}", f.name())
	}
	if d["Msg"] == "" && d["Note"] == "" {
		return ""
	}
	var buf bytes.Buffer
	_ = fieldErrorTmpl.Execute(&buf, d)
	return template.HTML(buf.String())
}

type summaryItem struct{ Href, Text string }

// summaryTmpl is focused on load by autofocus (no script: the pages' CSP
// allows none); tabindex=-1 makes a div focusable, and it is the first
// focusable element of the page's main content.
var summaryTmpl = template.Must(template.New("summary").Parse(
	`<div class="summary" id="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>` +
		`<h2 id="error-summary-title">{{.Title}}</h2><p>{{.Intro}}</p><ul>` +
		`{{range .Items}}<li>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</li>{{end}}</ul></div>`))

// Summary is the list of errors at the top of the form, each linking to its
// field, in the form's order; empty when there are none.
func (fl *Flow) Summary() template.HTML {
	if !fl.Failed() {
		return ""
	}
	var items []summaryItem
	seen := map[string]bool{}
	for _, f := range fl.fields {
		if msg, ok := fl.errs[f.Name]; ok {
			seen[f.Name] = true
			items = append(items, summaryItem{Href: "#" + f.id(), Text: f.name() + ": " + msg})
		}
	}
	// Errors of fields the form does not show (sent by hand or by a stale
	// form): named as sent, nothing to link to.
	var rest []string
	for name := range fl.errs {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		items = append(items, summaryItem{Text: name + ": " + fl.errs[name]})
	}
	var buf bytes.Buffer
	_ = summaryTmpl.Execute(&buf, map[string]any{"Title": text(fl.lang, "flow.title"), "Intro": text(fl.lang, "flow.intro"), "Items": items})
	return template.HTML(buf.String())
}

// Render writes the form page: 200 on first display, 400 with "Error:"
// before the title after a failed submit.
func (fl *Flow) Render(w http.ResponseWriter, title string, t *template.Template, data any) error {
	status := http.StatusOK
	if fl.Failed() {
		status = http.StatusBadRequest
		title = text(fl.lang, "flow.prefix") + title
	}
	return Render(w, status, fl.lang, title, t, data)
}
