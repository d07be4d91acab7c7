package requests

import (
	"strings"
	"testing"

	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// TestLibraryRepliesInTheLibrariesTemplates: a request made to the
// libraries' register is answered in the libraries' variant of each reply
// (signed by them); the museum's own requests keep theirs.
func TestLibraryRepliesInTheLibrariesTemplates(t *testing.T) {
	s := &Service{reg: register.MustLoad("museum")}
	for _, tmpl := range []string{"request-received", "request-access", "request-erasure", "request-restriction", "request-lift", "request-extended", "request-resolved", "request-objection"} {
		for _, c := range []struct {
			register, want string
		}{{"library", "library-" + tmpl}, {"", tmpl}, {"museum", tmpl}} {
			if got := s.mailTemplate(Request{Register: c.register}, tmpl); got != c.want {
				t.Errorf("%s for register %q: %s, want %s", tmpl, c.register, got, c.want)
			}
		}
	}
	if got := s.mailTemplate(Request{Register: "library"}, "request-dpo-digest"); got != "request-dpo-digest" {
		t.Errorf("a template without a variant stays: %s", got)
	}
	for _, lang := range register.Languages {
		if p := keptParagraph(lang, "Fee 1 (GDPR 17(3)(b))"); !strings.Contains(p, "Fee 1 (GDPR 17(3)(b))") || !strings.Contains(p, "17") {
			t.Errorf("%s: %q", lang, p)
		}
	}
}

func TestReachRefusesARegisterTwice(t *testing.T) {
	museum := record.MustCatalogue(register.MustLoad("museum"), nil)
	library := record.MustCatalogue(register.MustLoad("library"), nil)
	own := recordstore.NewStore(nil, museum)
	for _, c := range []struct {
		name   string
		others []*record.Catalogue
		err    string
	}{
		{"the libraries", []*record.Catalogue{library}, ""},
		{"its own again", []*record.Catalogue{museum}, "reached twice"},
		{"the libraries twice", []*record.Catalogue{library, library}, "reached twice"},
	} {
		got, err := reachOf(own, nil, c.others)
		switch {
		case c.err == "" && (err != nil || len(got) != 1+len(c.others)):
			t.Errorf("%s: %v %d", c.name, err, len(got))
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
