package requests

import (
	"fmt"
	"html/template"
	"rekisteri/internal/register"
	"slices"
	"time"
)

// The access copy as a readable page: its blocks of Art. 15 information.

// page is what the readable copy shows, every text in one language.
type page struct {
	Lang, Intro, RequestID, GeneratedAt, Controller, Address, DPO string
	// Joint are the joint controllers (Art. 26), each with its registry
	// office, of a register kept by several; then Controller is empty.
	Joint                                         []jointView
	T                                             map[string]string
	Kinds, General                                []block
	Rights                                        []string
	Guide, AuthorityName, AuthorityURL, Transfers string
	reg                                           *register.Register
	li                                            int
}

// block is the Art. 15(1)(a)–(h) information of a kind held (then its
// records), or of a purpose (in a copy with nothing held), from the declaration.
type block struct {
	ID, Name                                           string
	Portable                                           bool
	Purposes                                           []purposeView
	Categories, Recipients, Sources, Retention, Rights []string
	Columns                                            []string
	Rows                                               [][]string
}

type purposeView struct{ Name, Description, Basis string }

type jointView struct{ Name, Office, Address string }

func newPage(reg *register.Register, lang, id string, now time.Time) *page {
	li := langIndex(lang)
	p := &page{Lang: lang, RequestID: id, GeneratedAt: now.UTC().Format("2006-01-02 15:04 UTC"), T: map[string]string{}, reg: reg, li: li,
		Controller: reg.Controller.Name.In(lang), Address: reg.Controller.Address, DPO: reg.DPO.Email,
		Guide: reg.RightsGuide, AuthorityName: reg.Authority.Name.In(lang), AuthorityURL: reg.Authority.URL, Transfers: reg.Transfers.In(lang)}
	for k, v := range copyTexts {
		p.T[k] = v[li]
	}
	for _, c := range reg.Controllers {
		p.Joint = append(p.Joint, jointView{Name: c.Name.In(lang), Office: c.Office.Name.In(lang), Address: c.Office.Address})
	}
	p.Intro = fmt.Sprintf(p.T["intro"], reg.Name.In(lang))
	for _, r := range rightTexts {
		p.Rights = append(p.Rights, r.text[li])
	}
	return p
}

// kind is the block of a kind held, from reg, its declaration.
func (p *page) kind(reg *register.Register, k register.RecordKind) block {
	return p.block(reg, "kind-"+k.Kind, kindName(k, p.Lang), k.Purposes, k.Retention)
}

// generalPurposes are the register's general information for a copy with
// nothing held: a block per purpose, with the retention of the kinds kept for it.
func (p *page) generalPurposes() {
	for _, pp := range p.reg.Purposes {
		var rules []register.Rule
		for _, k := range p.reg.Records {
			if slices.Contains(k.Purposes, pp.ID) {
				rules = append(rules, k.Retention...)
			}
		}
		p.General = append(p.General, p.block(p.reg, "purpose-"+pp.ID, pp.Name.In(p.Lang), []string{pp.ID}, rules))
	}
}

func (p *page) block(reg *register.Register, id, name string, purposes []string, rules []register.Rule) block {
	b := block{ID: id, Name: name, Portable: portableOf(reg, purposes)}
	consent := false
	for _, id := range purposes {
		pp, _ := reg.Purpose(id)
		consent = consent || pp.LegalBasis == "consent"
		b.Purposes = append(b.Purposes, purposeView{Name: pp.Name.In(p.Lang), Description: pp.Description.In(p.Lang),
			Basis: fmt.Sprintf("%s: %s (%s %s)", p.T["basis"], basisTexts[pp.LegalBasis][p.li], p.T["article"], register.LegalBases[pp.LegalBasis])})
		for _, c := range pp.DataCategories {
			b.Categories = appendNamed(b.Categories, reg.DataCategories, c, p.Lang)
		}
		for _, s := range pp.Sources {
			b.Sources = appendNamed(b.Sources, reg.Sources, s, p.Lang)
		}
		for _, r := range pp.Recipients {
			if i := slices.IndexFunc(reg.Recipients, func(x register.Recipient) bool { return x.ID == r }); i >= 0 {
				b.Recipients = appendNew(b.Recipients, reg.Recipients[i].Name.In(p.Lang))
			}
		}
	}
	for _, r := range rules {
		b.Retention = appendNew(b.Retention, r.Text.In(p.Lang))
	}
	for _, r := range rightTexts {
		if (r.id != "portability" || b.Portable) && (r.id != "withdraw" || consent) {
			b.Rights = append(b.Rights, r.text[p.li])
		}
	}
	return b
}

func appendNamed(out []string, list []register.Named, id, lang string) []string {
	if i := slices.IndexFunc(list, func(n register.Named) bool { return n.ID == id }); i >= 0 {
		return appendNew(out, list[i].Name.In(lang))
	}
	return out
}

func appendNew(out []string, s string) []string {
	if s == "" || slices.Contains(out, s) {
		return out
	}
	return append(out, s)
}

var copyPage = template.Must(template.New("copy").Funcs(template.FuncMap{
	"inc":  func(i int) int { return i + 1 },
	"pair": func(p *page, b block) map[string]any { return map[string]any{"P": p, "B": b} },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title>
<style>
body{font-family:system-ui,sans-serif;line-height:1.5;max-width:72rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff;overflow-wrap:break-word}
h1{font-size:1.5rem}dt{font-weight:bold;margin-top:.5rem}.wide{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0}
a:focus,.wide:focus{outline:3px solid #1a1a1a;outline-offset:2px}
th,td{border:1px solid #666;padding:.25rem .5rem;text-align:left;vertical-align:top}caption{text-align:left;font-weight:bold}a{color:#0645ad}
</style>
</head>
<body>
<main>
<h1>{{.T.title}}</h1>
<p>{{.Intro}}</p>
<dl>
<dt>{{.T.request}}</dt><dd>{{.RequestID}}</dd>
<dt>{{.T.generated}}</dt><dd>{{.GeneratedAt}}</dd>
{{- if .Joint}}
<dt>{{.T.joint}}</dt><dd><ul>{{range .Joint}}<li>{{.Name}} ({{$.T.office}}: {{.Office}}, {{.Address}})</li>{{end}}</ul></dd>
{{- else}}
<dt>{{.T.controller}}</dt><dd>{{.Controller}}, {{.Address}}</dd>
{{- end}}
<dt>{{.T.dpo}}</dt><dd><a href="mailto:{{.DPO}}">{{.DPO}}</a></dd>
</dl>
{{- define "list"}}{{if .}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{else}}–{{end}}{{end}}
{{- define "block"}}{{$T := .P.T}}{{with .B}}
<section aria-labelledby="{{.ID}}" data-block="{{.ID}}">
<h3 id="{{.ID}}">{{.Name}}</h3>
<dl>
<dt>{{$T.purposes}}</dt><dd>{{if .Purposes}}<ul>{{range .Purposes}}<li><strong>{{.Name}}</strong>: {{.Description}}<br>{{.Basis}}</li>{{end}}</ul>{{else}}{{$T.noPurpose}}{{end}}</dd>
<dt>{{$T.categories}}</dt><dd>{{template "list" .Categories}}</dd>
<dt>{{$T.recipients}}</dt><dd>{{template "list" .Recipients}}</dd>
<dt>{{$T.retention}}</dt><dd>{{template "list" .Retention}}</dd>
<dt>{{$T.sources}}</dt><dd>{{template "list" .Sources}}</dd>
<dt>{{$T.rights}}</dt><dd>{{template "list" .Rights}}{{if .Portable}}<p>{{$T.portable}}</p>{{end}}<p><a href="{{$.P.Guide}}">{{$T.guide}}</a></p><p>{{$T.automated}}</p></dd>
<dt>{{$T.complaint}}</dt><dd>{{$T.authority}} <a href="{{$.P.AuthorityURL}}">{{$.P.AuthorityName}}</a></dd>
</dl>
{{- if .Columns}}
<h4>{{$T.records}}</h4>
<div class="wide" role="region" aria-labelledby="{{.ID}}-records" tabindex="0">
<table>
<caption id="{{.ID}}-records">{{.Name}}</caption>
<thead><tr><th scope="col">{{$T.record}}</th>{{range .Columns}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range $i, $row := .Rows}}
<tr><th scope="row">{{inc $i}}</th>{{range $row}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
</section>
{{- end}}{{end}}
{{- $p := .}}
<h2>{{.T.held}}</h2>
{{- range .Kinds}}{{template "block" (pair $p .)}}{{else}}
<p>{{.T.none}}</p>
<h2>{{.T.general}}</h2>
{{- range .General}}{{template "block" (pair $p .)}}{{end}}
{{- end}}
<h2>{{.T.rights}}</h2>
{{template "list" .Rights}}
<p><a href="{{.Guide}}">{{.T.guide}}</a></p>
<p>{{.T.automated}}</p>
<h2>{{.T.transfers}}</h2>
<p>{{.Transfers}}</p>
<h2>{{.T.complaint}}</h2>
<p>{{.T.authority}} <a href="{{.AuthorityURL}}">{{.AuthorityName}}</a></p>
</main>
</body>
</html>
`))

// kindName is what a person calls a record kind, from the declaration.
func kindName(k register.RecordKind, lang string) string {
	if n := k.Name.In(lang); n != "" {
		return n
	}
	return k.Kind
}
