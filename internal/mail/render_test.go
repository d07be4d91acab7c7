package mail

import (
	"os"
	"reflect"
	"strings"
	"testing"
	texttemplate "text/template"

	"rekisteri/internal/register"
)

func templateNames(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir("templates")
	if err != nil || len(entries) == 0 {
		t.Fatalf("templates: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// everyKey is every parameter any template names.
var everyKey = []string{"reference", "resource", "date", "start", "end", "privacyURL", "participants", "cancelURL",
	"unsubscribeURL", "name", "lists", "email", "decisionURL", "reason", "phone", "payment", "organisation", "notes",
	"minutes", "hetu", "confirmURL", "businessId", "budget", "address",
	// data-subject requests (request_render_test.go)
	"verifyURL", "type", "id", "due", "downloadURL", "expires", "deleted", "kept", "overdue", "lines", "change", "purpose",
	// campaigns (render_campaign.go)
	"webURL", "subject", "body", "rsvpURL",
	// the Art. 14 notice to a media contact (internal/contacts)
	"outlet", "source", "objectURL", "dpo",
	// the re-permission question to an inactive subscriber (internal/newsletter)
	"keepURL", "days",
	// the library's one-time PIN link (internal/library)
	"pinURL"}

func params(v func(key string) string) map[string]string {
	m := map[string]string{}
	for _, k := range everyKey {
		m[k] = v(k)
	}
	return m
}

// valueSets are parameter values to render with: ordinary ones, and every
// character html/template escapes in text, attributes and URLs.
var valueSets = []map[string]string{
	params(func(k string) string {
		if strings.HasSuffix(k, "URL") {
			return "https://www.example.org/newsletter/confirm?t=abc.DEF-123_~&lang=fi#x"
		}
		return "Vera Visitor " + k
	}),
	params(func(k string) string {
		return `<script>alert("x")</script> & 'q' + 1 > 0` + "\x00\t\n ä€😀 \xff\xfe %41 %zz %"
	}),
	params(func(k string) string { return "javascript:alert(1)" }),
	params(func(k string) string { return "HTTPS://e.x/a b?c=ä&d=%2F%2f%g1!$*,;:@[]'()`^{}|\\\"" }),
	params(func(k string) string { return "mailto:a@b.c" }),
	params(func(k string) string { return "/relative/path:x?y=1" }),
	params(func(k string) string { return "" }),
	params(func(k string) string { return " leading and trailing spaces\n" }),
}

func renderBoth(t testing.TB, name, lang string, params map[string]string) (fast, slow Rendered, fastErr, slowErr error) {
	t.Helper()
	tmpl, err := load(name)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := tmpl.parsed[lang]
	if !ok {
		p = tmpl.parsed["fi"]
	}
	fast, fastErr = Render(name, lang, params)
	slow, slowErr = renderTemplates(name, tmpl, p, params)
	return
}

func sameOutcome(t testing.TB, what string, fast, slow Rendered, fastErr, slowErr error) {
	t.Helper()
	if (fastErr == nil) != (slowErr == nil) || (fastErr != nil && fastErr.Error() != slowErr.Error()) {
		t.Fatalf("%s: error %v, the templates' %v", what, fastErr, slowErr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s:\ncompiled:  %+v\ntemplates: %+v", what, fast, slow)
	}
}

// TestCompiledMatchesTemplates: for every template, language and set of
// values, Render gives what executing the parsed templates gives, errors
// (a missing parameter, a list mail without its unsubscribe URL) included.
func TestCompiledMatchesTemplates(t *testing.T) {
	langs := append(append([]string{}, register.Languages...), "xx")
	for _, name := range templateNames(t) {
		for _, lang := range langs {
			for i, vs := range valueSets {
				fast, slow, fe, se := renderBoth(t, name, lang, vs)
				sameOutcome(t, name+" "+lang+" values "+string(rune('0'+i)), fast, slow, fe, se)
				if fe != nil && i == 0 {
					t.Errorf("%s %s values %d: %v", name, lang, i, fe)
				}
			}
			// Each parameter missing in turn: the templates' error.
			for _, k := range everyKey {
				vs := params(func(string) string { return "https://x.example/v" })
				delete(vs, k)
				fast, slow, fe, se := renderBoth(t, name, lang, vs)
				sameOutcome(t, name+" "+lang+" without "+k, fast, slow, fe, se)
			}
		}
	}
}

// executed are the templates that need more than {{.name}}, and why.
var executed = map[string]string{
	"request-erasure": "{{if .kept}}: what is kept, and why, only when something is",
	"campaign":        "RenderCampaign executes it: the stored body is trusted HTML, and <title> is RCDATA",
}

// TestEveryTemplateCompiles: no template falls back to execution (a
// template that needs more than {{.name}} should say so here).
func TestEveryTemplateCompiles(t *testing.T) {
	for _, name := range templateNames(t) {
		if executed[name] != "" {
			continue
		}
		tmpl, err := load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range register.Languages {
			if tmpl.parsed[lang].fast == nil {
				t.Errorf("%s %s is not compiled", name, lang)
			}
		}
	}
}

func TestCompileRefusesMore(t *testing.T) {
	for _, src := range []string{`{{if .a}}x{{end}}`, `{{.a.b}}`, `{{len .a}}`, `{{$x := .a}}{{$x}}`, `{{.a | printf "%q"}}`, `{{/* c */}}x{{.}}`} {
		p := parsedLang{}
		var err error
		if p.subject, err = texttemplateNew(src); err != nil {
			t.Fatal(err)
		}
		if _, ok := compile(p.subject.Tree, false); ok {
			t.Errorf("%q compiled", src)
		}
	}
}

func FuzzCompiledMatchesTemplates(f *testing.F) {
	f.Add("https://e.x/a?b=c&d", "<b>&amp;</b>'\"+", uint8(0))
	f.Add("javascript:x", "\x00\xff%zz%4", uint8(3))
	names := templateNames(f)
	f.Fuzz(func(t *testing.T, url, text string, which uint8) {
		name := names[int(which)%len(names)]
		lang := register.Languages[int(which/16)%len(register.Languages)]
		vs := params(func(k string) string {
			if strings.HasSuffix(k, "URL") {
				return url
			}
			return text
		})
		fast, slow, fe, se := renderBoth(t, name, lang, vs)
		sameOutcome(t, name+" "+lang, fast, slow, fe, se)
	})
}

func texttemplateNew(src string) (*texttemplate.Template, error) {
	return texttemplate.New("x").Option("missingkey=error").Parse(src)
}

// go test -bench Render ./internal/mail/: the signup's mail, compiled and
// executed.
func BenchmarkRenderCompiled(b *testing.B) {
	vs := valueSets[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render("newsletter-confirm", "fi", vs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderTemplates(b *testing.B) {
	vs := valueSets[0]
	tmpl, _ := load("newsletter-confirm")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderTemplates("newsletter-confirm", tmpl, tmpl.parsed["fi"], vs); err != nil {
			b.Fatal(err)
		}
	}
}
