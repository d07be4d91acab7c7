package newsletter

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

func TestValidEmail(t *testing.T) {
	long := strings.Repeat("a", 255-len("@example.fi")) + "@example.fi"
	if len(long) != 255 {
		t.Fatalf("test address has %d characters", len(long))
	}
	atLimit := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 254-64-1-3) + ".fi"
	tests := []struct {
		addr string
		want bool
	}{
		{"a@b.fi", true},
		{"first.last+tag@sub.example.com", true},
		{"visitor@example.com", true},
		{"o'brien@example.ie", true},
		{atLimit, len(atLimit) == 254},
		{"", false},
		{"a", false},
		{"a@b", false},
		{"a@.b", false},
		{"a@b.", false},
		{"@b.fi", false},
		{"Name <a@b.fi>", false},
		{"<a@b.fi>", false},
		{"a b@c.fi", false},
		{" a@b.fi", false},
		{`"a"@b.fi`, false},
		{"a@b.fi, c@d.fi", false},
		{"a@@b.fi", false},
		{long, false},
	}
	for _, tc := range tests {
		name := tc.addr
		if len(name) > 40 {
			name = name[:20] + "…" + name[len(name)-10:]
		}
		t.Run(name, func(t *testing.T) {
			if got := validEmail(tc.addr); got != tc.want {
				t.Fatalf("validEmail(%q) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
}

func testService(t *testing.T) *Service {
	t.Helper()
	u, err := url.Parse("https://museo.example.fi")
	if err != nil {
		t.Fatal(err)
	}
	return NewService(register.MustLoad("museum"), nil, nil, nil, Tables{}, u)
}

func TestParseSignup(t *testing.T) {
	s := testService(t)
	tests := []struct {
		name       string
		form       url.Values
		lang       string
		wantErrs   []string // fields with an error, sorted
		wantLists  []string
		wantName   string
		wantSignup bool
	}{
		{
			name: "minimal valid: default list newsletter", lang: "fi",
			form:      url.Values{"email": {"a@b.fi"}, "consent": {"true"}},
			wantLists: []string{"newsletter"}, wantSignup: true,
		},
		{
			name: "checkbox on, two lists comma separated", lang: "sv",
			form:      url.Values{"email": {"a@b.fi"}, "consent": {"on"}, "lists": {"openings,newsletter"}},
			wantLists: []string{"openings", "newsletter"}, wantSignup: true,
		},
		{
			name: "duplicate lists deduplicated", lang: "en",
			form:      url.Values{"email": {"a@b.fi"}, "consent": {"true"}, "lists": {"newsletter", "openings", "newsletter,openings"}},
			wantLists: []string{"newsletter", "openings"}, wantSignup: true,
		},
		{
			name: "name of 200 runes accepted", lang: "fi",
			form:      url.Values{"email": {"a@b.fi"}, "consent": {"true"}, "name": {strings.Repeat("ä", 200)}},
			wantLists: []string{"newsletter"}, wantName: strings.Repeat("ä", 200), wantSignup: true,
		},
		{
			name: "missing consent", lang: "fi",
			form:     url.Values{"email": {"a@b.fi"}},
			wantErrs: []string{"consent"},
		},
		{
			name: "consent false", lang: "fi",
			form:     url.Values{"email": {"a@b.fi"}, "consent": {"false"}},
			wantErrs: []string{"consent"},
		},
		{
			name: "consent not a truth value", lang: "fi",
			form:     url.Values{"email": {"a@b.fi"}, "consent": {"maybe"}},
			wantErrs: []string{"consent"},
		},
		{
			name: "unknown list", lang: "fi",
			form:     url.Values{"email": {"a@b.fi"}, "consent": {"true"}, "lists": {"newsletter", "spam"}},
			wantErrs: []string{"lists"},
		},
		{
			name: "over-long name", lang: "fi",
			form:     url.Values{"email": {"a@b.fi"}, "consent": {"true"}, "name": {strings.Repeat("x", 201)}},
			wantErrs: []string{"name"},
		},
		{
			name: "everything wrong at once", lang: "en",
			form:     url.Values{"email": {"not-an-address"}, "lists": {"nope"}, "name": {strings.Repeat("x", 300)}},
			wantErrs: []string{"consent", "email", "lists", "name"},
		},
		{
			name: "missing email", lang: "fi",
			form:     url.Values{"consent": {"true"}},
			wantErrs: []string{"email"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, errs := s.parseSignup(web.NewForm(tc.form), tc.lang)
			var got []string
			for k, msg := range errs {
				got = append(got, k)
				if want := t_(tc.lang, "err."+k); msg != want {
					t.Errorf("message for %s = %q, want %q", k, msg, want)
				}
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, tc.wantErrs) {
				t.Fatalf("fields with errors = %v, want %v", got, tc.wantErrs)
			}
			if !tc.wantSignup {
				if !reflect.DeepEqual(in, Signup{}) {
					t.Fatalf("an invalid signup returned %+v", in)
				}
				return
			}
			if !reflect.DeepEqual(in.Lists, tc.wantLists) {
				t.Errorf("lists = %v, want %v", in.Lists, tc.wantLists)
			}
			if in.Email != tc.form.Get("email") || in.Lang != tc.lang || in.Name != tc.wantName {
				t.Errorf("signup = %+v", in)
			}
			if in.Channel != "web-form" || in.Form != "newsletter-form/"+s.reg.Version() || s.reg.Version() == "" {
				t.Errorf("receipt fields: channel %q form %q", in.Channel, in.Form)
			}
			if in.ID != "" {
				t.Errorf("parseSignup chose an id %q; Subscribe does", in.ID)
			}
		})
	}
}

// t_ is the package's text lookup, renamed so it does not shadow *testing.T.
var t_ = t

func TestParseSignupMessagesAreLocalised(t *testing.T) {
	s := testService(t)
	bad := web.NewForm(url.Values{"email": {"x"}, "lists": {"nope"}, "name": {strings.Repeat("x", 201)}})
	per := map[string]web.FieldErrors{}
	for _, lang := range register.Languages {
		_, errs := s.parseSignup(bad, lang)
		if len(errs) != 4 {
			t.Fatalf("%s: %d errors, want 4: %v", lang, len(errs), errs)
		}
		per[lang] = errs
	}
	for field := range per["fi"] {
		seen := map[string]string{}
		for _, lang := range register.Languages {
			msg := per[lang][field]
			if msg == "" {
				t.Fatalf("%s: empty message for %s", lang, field)
			}
			if other, dup := seen[msg]; dup {
				t.Errorf("%s: %s and %s say the same %q", field, other, lang, msg)
			}
			seen[msg] = lang
		}
	}
	if per["fi"]["consent"] == per["en"]["consent"] {
		t.Fatal("fi and en consent messages are the same")
	}
	// An unknown language answers in Finnish.
	_, errs := s.parseSignup(bad, "de")
	if errs["email"] != per["fi"]["email"] {
		t.Fatalf("unknown language: %q, want the Finnish %q", errs["email"], per["fi"]["email"])
	}
}

func TestTextsComplete(t *testing.T) {
	for key := range texts["fi"] {
		for _, lang := range register.Languages {
			if strings.TrimSpace(texts[lang][key]) == "" {
				t.Errorf("%s lacks %s", lang, key)
			}
		}
	}
	for _, lang := range register.Languages {
		if len(texts[lang]) != len(texts["fi"]) {
			t.Errorf("%s has %d texts, fi has %d", lang, len(texts[lang]), len(texts["fi"]))
		}
	}
}
