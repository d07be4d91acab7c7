package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLinkPageActsOnlyByPOST(t *testing.T) {
	for _, c := range []struct {
		name    string
		page    LinkPage
		forms   int
		extra   string
		escaped string
	}{
		{"one button", LinkPage{Body: "Confirm?", Action: "/newsletter/confirm", Token: "tok.en", Lang: "fi", Buttons: []Button{{Label: "Confirm"}}}, 1, "", ""},
		{"a button per format", LinkPage{Body: "Your copy", Action: "/requests/download", Token: "t", Lang: "en",
			Buttons: []Button{{Field: "format", Value: "html", Label: "HTML"}, {Field: "format", Value: "json", Label: "JSON"}}}, 2, `name="format" value="json"`, ""},
		{"text is escaped", LinkPage{Body: `<script>x</script>`, Action: "/bookings/cancel", Token: `"><b>`, Lang: "sv", Buttons: []Button{{Label: "Avboka"}}}, 1, "", "&lt;script&gt;"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := c.page.Render(w, "Title"); err != nil {
				t.Fatal(err)
			}
			body := w.Body.String()
			if n := strings.Count(body, `<form method="post" action="`+c.page.Action+`?lang=`+c.page.Lang+`"`); n != c.forms {
				t.Errorf("%d POST forms to %s, want %d:\n%s", n, c.page.Action, c.forms, body)
			}
			if strings.Count(body, `name="token"`) != c.forms || w.Code != 200 {
				t.Errorf("each form carries the token; status %d", w.Code)
			}
			if c.extra != "" && !strings.Contains(body, c.extra) {
				t.Errorf("want %s", c.extra)
			}
			if c.escaped != "" && (!strings.Contains(body, c.escaped) || strings.Contains(body, "<script>x")) {
				t.Errorf("the body must be escaped:\n%s", body)
			}
		})
	}
}
