package mail

import (
	"strings"
	"testing"

	"rekisteri/internal/register"
)

// requestParams are the parameters each data-subject request mail is
// rendered with: the contract with the requests function.
var requestParams = map[string][]string{
	"request-verify":      {"verifyURL", "type", "privacyURL"},
	"request-received":    {"id", "type", "due"},
	"request-access":      {"id", "downloadURL", "expires"},
	"request-erasure":     {"id", "deleted", "kept"},
	"request-restriction": {"id"},
	"request-lift":        {"id"},
	"request-extended":    {"id", "due", "reason"},
	"request-objection":   {"id", "lists"},
	"request-resolved":    {"id", "type"},
	"request-dpo-digest":  {"date", "due", "overdue", "lines"},
	"request-recipient":   {"id", "change", "purpose"},
}

// signature is how each language's mail is signed.
var signature = map[string]string{"fi": "KAMU Espoon kaupunginmuseo", "sv": "KAMU Esbo stadsmuseum", "en": "KAMU Espoo City Museum"}

func sampleRequestParams(name string) map[string]string {
	p := map[string]string{}
	for _, k := range requestParams[name] {
		switch {
		case strings.HasSuffix(k, "URL"):
			p[k] = "https://rekisteri.example.fi/sample/" + k + "?t=abc"
		case k == "lines":
			p[k] = "r0sample1  access        3 days\nr0sample2  erasure      -2 days"
		default:
			p[k] = "sample-" + k
		}
	}
	return p
}

// TestRequestTemplates renders every request-* template in fi, sv and en
// with exactly its parameters: no missing key, a subject, text and HTML
// carrying every parameter, signed, transactional and without a
// List-Unsubscribe header; and each parameter missing in turn is an error.
func TestRequestTemplates(t *testing.T) {
	found := map[string]bool{}
	for _, name := range templateNames(t) {
		if !strings.HasPrefix(name, "request-") {
			continue
		}
		found[name] = true
		if requestParams[name] == nil {
			t.Errorf("%s: no parameters declared in requestParams", name)
		}
	}
	for name := range requestParams {
		if !found[name] {
			t.Errorf("%s: no template", name)
		}
	}
	for name := range requestParams {
		tmpl, err := load(name)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.Class != Transactional || tmpl.ListUnsubscribe {
			t.Errorf("%s: class %q, listUnsubscribe %v; want transactional without", name, tmpl.Class, tmpl.ListUnsubscribe)
		}
		for _, lang := range register.Languages {
			t.Run(name+"/"+lang, func(t *testing.T) {
				params := sampleRequestParams(name)
				r, err := Render(name, lang, params)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if strings.TrimSpace(r.Subject) == "" || strings.Contains(r.Subject, "\n") {
					t.Errorf("subject %q", r.Subject)
				}
				if r.ListUnsubscribe != "" {
					t.Errorf("List-Unsubscribe %q on a request mail", r.ListUnsubscribe)
				}
				for _, part := range []string{r.Subject, r.Text, r.HTML} {
					if strings.Contains(part, "{{") || strings.Contains(part, "<no value>") {
						t.Errorf("unrendered: %q", part)
					}
				}
				for k, v := range params {
					if !strings.Contains(r.Text, v) || !strings.Contains(r.HTML, v) {
						t.Errorf("parameter %s missing from the text or HTML", k)
					}
				}
				if !strings.Contains(r.Text, signature[lang]) || !strings.Contains(r.HTML, signature[lang]) {
					t.Errorf("not signed %q", signature[lang])
				}
				for _, k := range requestParams[name] {
					without := sampleRequestParams(name)
					delete(without, k)
					if _, err := Render(name, lang, without); err == nil {
						t.Errorf("rendered without %s", k)
					}
				}
			})
		}
	}
}

// TestErasureSaysWhatIsKeptOnlyWhenSomethingIs: the Art. 17(3) paragraph
// is there when kept is given and absent when it is empty.
func TestErasureSaysWhatIsKeptOnlyWhenSomethingIs(t *testing.T) {
	for _, lang := range register.Languages {
		for _, kept := range []string{"", "2 bookings: accounting records (Kirjanpitolaki 2:10)"} {
			p := sampleRequestParams("request-erasure")
			p["kept"] = kept
			r, err := Render("request-erasure", lang, p)
			if err != nil {
				t.Fatal(err)
			}
			for part, s := range map[string]string{"text": r.Text, "html": r.HTML} {
				if says := strings.Contains(s, "17"); says != (kept != "") {
					t.Errorf("%s %s with kept %q: the exception paragraph shown %v", lang, part, kept, says)
				}
				if kept != "" && !strings.Contains(s, kept) {
					t.Errorf("%s %s: kept not named", lang, part)
				}
			}
		}
	}
}

// TestDigestKeepsItsLines: the DPO digest's preformatted block keeps its
// line breaks in the HTML part.
func TestDigestKeepsItsLines(t *testing.T) {
	p := sampleRequestParams("request-dpo-digest")
	for _, lang := range register.Languages {
		r, err := Render("request-dpo-digest", lang, p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.HTML, "<pre>"+p["lines"]+"</pre>") {
			t.Errorf("%s: lines not kept preformatted:\n%s", lang, r.HTML)
		}
	}
}
