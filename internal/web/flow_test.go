package web

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var flowForm = template.Must(template.New("f").Parse(`{{.F.Summary}}<form method="post" novalidate>
<label for="email">E-mail</label>{{.F.Error "email"}}<input id="email" name="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
<label for="phone">Phone (optional)</label>{{.F.Error "phone"}}<input id="phone" name="phone" value="{{.F.Value "phone"}}"{{.F.Attrs "phone"}}>
<fieldset><legend>Payment</legend>{{.F.Error "payment"}}
<input type="radio" id="payment-card" name="payment" value="card"{{if .F.Chosen "payment" "card"}} checked{{end}}{{.F.Attrs "payment"}}>
<input type="radio" id="payment-invoice" name="payment" value="invoice"{{if .F.Chosen "payment" "invoice"}} checked{{end}}{{.F.Attrs "payment"}}></fieldset>
<label for="hetu">Identity code (for an invoice)</label>{{.F.Error "hetu"}}<input id="hetu" name="hetu" value="{{.F.Value "hetu"}}"{{.F.Attrs "hetu"}}>
<input type="checkbox" id="consent" name="consent" value="true"{{if .F.Checked "consent"}} checked{{end}}{{.F.Attrs "consent"}}>
</form>`))

var flowFields = []Field{
	{Name: "email", Label: "E-mail"},
	{Name: "phone", Label: "Phone (optional)"},
	{Name: "payment", ID: "payment-card", Label: "Payment"},
	{Name: "hetu", Label: "Identity code (for an invoice)", Secret: true},
	{Name: "consent", Label: "Consent"},
}

func renderFlow(t *testing.T, lang string, values url.Values, errs FieldErrors) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	fl := NewFlow(lang, NewForm(values), errs, flowFields)
	if err := fl.Render(w, "Book", flowForm, map[string]any{"F": fl}); err != nil {
		t.Fatal(err)
	}
	return w.Code, w.Body.String()
}

func TestFlow(t *testing.T) {
	sent := url.Values{"email": {"not-an-address"}, "phone": {"040 123"}, "payment": {"invoice"}, "hetu": {"010594Y9032"}, "consent": {"true"}}
	tests := []struct {
		name       string
		lang       string
		values     url.Values
		errs       FieldErrors
		wantStatus int
		want       []string // substrings, in this order
		banned     []string
	}{
		{
			name: "first display: no summary, nothing marked", lang: "en", values: url.Values{},
			wantStatus: http.StatusOK,
			want:       []string{"<title>Book</title>", `<input id="email" name="email" value="">`},
			banned:     []string{`id="error-summary"`, `aria-invalid="true"`, "aria-describedby", `class="field-error"`, " autofocus"},
		},
		{
			name: "failed submit: summary first, in the form's order, linking to each field", lang: "en", values: sent,
			errs:       FieldErrors{"payment": "Choose one.", "email": "Give an address.", "hetu": "Not valid."},
			wantStatus: http.StatusBadRequest,
			want: []string{
				"<title>Error: Book</title>",
				`<div class="summary" id="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>`,
				`<h2 id="error-summary-title">Some answers need correcting</h2>`,
				`<li><a href="#email">E-mail: Give an address.</a></li>`,
				`<li><a href="#payment-card">Payment: Choose one.</a></li>`,
				`<li><a href="#hetu">Identity code: Not valid.</a></li>`,
				`<p class="field-error" id="email-error"><span class="vh">Error: </span>E-mail: Give an address.</p>`,
				`<input id="email" name="email" value="not-an-address" aria-invalid="true" aria-describedby="email-error">`,
				`<input id="phone" name="phone" value="040 123">`,
				`<p class="field-error" id="payment-error">`,
				`id="payment-card" name="payment" value="card" aria-invalid="true" aria-describedby="payment-error">`,
				`id="payment-invoice" name="payment" value="invoice" checked aria-invalid="true" aria-describedby="payment-error">`,
				`<p class="field-error" id="hetu-error"><span class="vh">Error: </span>Identity code: Not valid.</p><p class="field-note" id="hetu-note">Identity code: not shown again`,
				`<input id="hetu" name="hetu" value="" aria-invalid="true" aria-describedby="hetu-error hetu-note">`,
				`id="consent" name="consent" value="true" checked>`,
			},
			banned: []string{"010594Y9032", `id="phone-error"`},
		},
		{
			name: "a secret kept empty is explained even when it had no error", lang: "fi", values: sent,
			errs:       FieldErrors{"email": "Anna osoite."},
			wantStatus: http.StatusBadRequest,
			want: []string{
				"<title>Virhe: Book</title>", "Lomakkeessa on korjattavaa", `<a href="#email">E-mail: Anna osoite.</a>`,
				`<p class="field-note" id="hetu-note">Identity code: tietoa ei näytetä uudelleen`,
				`<input id="hetu" name="hetu" value="" aria-describedby="hetu-note">`,
			},
			banned: []string{"010594Y9032", `id="hetu-error"`, `aria-invalid="true" aria-describedby="hetu`},
		},
		{
			name: "errors of fields the form does not show are listed, unlinked", lang: "sv", values: url.Values{"nonce": {"x"}},
			errs:       FieldErrors{"nonce": "Ogiltig.", "email": "Ange adress."},
			wantStatus: http.StatusBadRequest,
			want:       []string{"<title>Fel: Book</title>", `<li><a href="#email">E-mail: Ange adress.</a></li><li>nonce: Ogiltig.</li>`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := renderFlow(t, tc.lang, tc.values, tc.errs)
			if status != tc.wantStatus {
				t.Errorf("status %d, want %d", status, tc.wantStatus)
			}
			rest := body
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in\n%s", w, body)
				}
				rest = rest[i+len(w):]
			}
			for _, b := range tc.banned {
				if strings.Contains(body, b) {
					t.Errorf("must not contain %q:\n%s", b, body)
				}
			}
		})
	}
}

// TestLayoutFooter: every page links to the privacy notice and the
// accessibility statement, in its language.
func TestLayoutFooter(t *testing.T) {
	for _, tc := range []struct{ lang, privacy, a11y string }{
		{"fi", "Tietosuojaseloste", "Saavutettavuusseloste"},
		{"sv", "Dataskyddsbeskrivning", "Tillgänglighetsutlåtande"},
		{"en", "Privacy notice", "Accessibility statement"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			w := httptest.NewRecorder()
			Message(w, http.StatusOK, tc.lang, "T", "p")
			body := w.Body.String()
			for _, want := range []string{
				`<a href="/privacy?register=museum&amp;lang=` + tc.lang + `">` + tc.privacy + `</a>`,
				`<a href="/accessibility?lang=` + tc.lang + `">` + tc.a11y + `</a>`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("missing %q in\n%s", want, body)
				}
			}
		})
	}
}

func TestFlowAttrs(t *testing.T) {
	fields := []Field{{Name: "home", ID: "home_postcode", Label: "Home"}, {Name: "home_postcode", Label: "Postcode"}, {Name: "feedback", Label: "Feedback"},
		{Name: "hetu", Label: "Identity code", Secret: true}}
	tests := []struct {
		name  string
		sent  url.Values
		errs  FieldErrors
		hint  string
		names []string
		want  template.HTMLAttr
	}{
		{"no error, no hint", nil, nil, "", []string{"feedback"}, ""},
		{"a hint alone", nil, nil, "feedback-hint", []string{"feedback"}, ` aria-describedby="feedback-hint"`},
		{"a hint and an error", nil, FieldErrors{"feedback": "Too long."}, "feedback-hint", []string{"feedback"},
			` aria-invalid="true" aria-describedby="feedback-hint feedback-error"`},
		{"a control in a group's rule, group wrong", nil, FieldErrors{"home": "Choose one."}, "", []string{"home_postcode", "home"},
			` aria-invalid="true" aria-describedby="home-error"`},
		{"a control in a group's rule, both wrong", nil, FieldErrors{"home": "Choose one.", "home_postcode": "Five digits."}, "", []string{"home_postcode", "home"},
			` aria-invalid="true" aria-describedby="home_postcode-error home-error"`},
		{"a secret sent, another field wrong", url.Values{"hetu": {"010594Y9032"}}, FieldErrors{"feedback": "x"}, "", []string{"hetu"},
			` aria-describedby="hetu-note"`},
		{"a secret not sent", nil, FieldErrors{"feedback": "x"}, "", []string{"hetu"}, ""},
		{"a secret sent, nothing wrong (first display)", url.Values{"hetu": {"010594Y9032"}}, nil, "", []string{"hetu"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fl := NewFlow("en", NewForm(tc.sent), tc.errs, fields)
			if got := fl.Hinted(tc.hint, tc.names...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
