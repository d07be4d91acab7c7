package library

import (
	"net/url"
	"strings"
	"testing"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

func TestLibrarySelfRequestParse(t *testing.T) {
	withMail, noMail := &Patron{Email: "p@example.fi"}, &Patron{}
	for _, tc := range []struct {
		name   string
		form   url.Values
		p      *Patron
		errsAt []string
	}{
		{"a copy", url.Values{"type": {"access"}}, withMail, nil},
		{"a restriction with a reason", url.Values{"type": {"restriction"}, "details": {"osoitteeni tarkistetaan"}}, withMail, nil},
		{"a rectification saying what", url.Values{"type": {"rectification"}, "details": {"Sukunimeni on Virtanen"}}, withMail, nil},
		{"a rectification saying nothing", url.Values{"type": {"rectification"}, "details": {"  "}}, withMail, []string{"details"}},
		{"erasure is for a library desk", url.Values{"type": {"erasure"}}, withMail, []string{"type"}},
		{"objection too", url.Values{"type": {"objection"}}, withMail, []string{"type"}},
		{"no type", url.Values{}, withMail, []string{"type"}},
		{"no e-mail to answer to", url.Values{"type": {"access"}}, noMail, []string{"type"}},
		{"too long", url.Values{"type": {"access"}, "details": {strings.Repeat("ä", maxRequestDetails+1)}}, withMail, []string{"details"}},
		{"control characters", url.Values{"type": {"access"}, "details": {"a\x1b[2Jb"}}, withMail, []string{"details"}},
	} {
		for _, lang := range register.Languages {
			in, errs := ParseSelfRequest(web.NewForm(tc.form), lang, tc.p)
			if len(errs) != len(tc.errsAt) {
				t.Errorf("%s (%s): errors %v, want at %v", tc.name, lang, errs, tc.errsAt)
			}
			for _, f := range tc.errsAt {
				if errs[f] == "" {
					t.Errorf("%s (%s): no error at %s: %v", tc.name, lang, f, errs)
				}
			}
			if len(tc.errsAt) == 0 && (in.Type != tc.form.Get("type") || in.Lang != lang) {
				t.Errorf("%s: parsed %+v", tc.name, in)
			}
		}
	}
}

// TestLibraryRequestTextsComplete: every text of the request pages in
// every language.
func TestLibraryRequestTextsComplete(t *testing.T) {
	for _, lang := range register.Languages {
		for k := range requestTexts["fi"] {
			if requestTexts[lang][k] == "" {
				t.Errorf("%s: no text %q", lang, k)
			}
		}
		if len(requestTexts[lang]) != len(requestTexts["fi"]) {
			t.Errorf("%s has %d texts, fi %d", lang, len(requestTexts[lang]), len(requestTexts["fi"]))
		}
	}
}
