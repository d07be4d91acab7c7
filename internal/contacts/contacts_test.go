package contacts

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/contacts/leaving"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

func TestSeniorValidation(t *testing.T) {
	ok := Senior{Name: "Aino", Street: "Kirkkotie 1", Postcode: "02770", City: "Espoo", Consent: "paper"}
	for _, c := range []struct {
		name  string
		edit  func(*Senior)
		field string
	}{
		{"valid", func(*Senior) {}, ""},
		{"valid with e-mail", func(s *Senior) { s.Email = "aino@example.com" }, ""},
		{"four digits", func(s *Senior) { s.Postcode = "0277" }, "postcode"},
		{"six digits", func(s *Senior) { s.Postcode = "027701" }, "postcode"},
		{"a letter", func(s *Senior) { s.Postcode = "0277O" }, "postcode"},
		{"no name", func(s *Senior) { s.Name = " " }, "name"},
		{"no street", func(s *Senior) { s.Street = "" }, "street"},
		{"no city", func(s *Senior) { s.City = "" }, "city"},
		{"two lines", func(s *Senior) { s.Street = "Tie 1\nEspoo" }, "street"},
		{"bad e-mail", func(s *Senior) { s.Email = "aino" }, "email"},
		{"web consent", func(s *Senior) { s.Consent = "web" }, "consent"},
		{"language", func(s *Senior) { s.Lang = "de" }, "lang"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := ok
			c.edit(&in)
			got, err := in.validate()
			var fe FieldErrors
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field == "" && got.Lang != "fi":
				t.Errorf("default language %q", got.Lang)
			case c.field != "" && (!errors.As(err, &fe) || fe[c.field] == "" || len(fe) != 1):
				t.Errorf("want only %s refused, got %v", c.field, err)
			}
		})
	}
}

func TestMediaValidation(t *testing.T) {
	in := Media{Email: "x@example.com", Name: "=HYPERLINK(1)", Outlet: "Yle", Source: "yle.fi"}
	got, err := in.validate()
	if err != nil || got.Name != "=HYPERLINK(1)" {
		t.Fatalf("a formula in a name is text, stored as it is: %v %q", err, got.Name)
	}
	_, err = Media{Email: "x", Name: "", Outlet: "Yle"}.validate()
	if !strings.Contains(err.Error(), "email") || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "source") {
		t.Errorf("every bad field named: %v", err)
	}
}

func TestReadCSV(t *testing.T) {
	got, err := readCSV(strings.NewReader("\ufeffemail,name\r\na@x.fi,\"Åberg, \"\"Bo\"\"\"\n\"b@x.fi\",\"two\nlines\"\nc@x.fi,=1+1"))
	want := [][]string{{"email", "name"}, {"a@x.fi", `Åberg, "Bo"`}, {"b@x.fi", "two\nlines"}, {"c@x.fi", "=1+1"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("readCSV = %q, %v", got, err)
	}
	for _, bad := range []string{"a,\"open\n", "a,\"x\"y\n", ""} {
		if _, err := readCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("%q read without an error", bad)
		}
	}
}

// TestLeaveItems: leaving seniors or media changes the person's own record
// under its declared rule; other lists own nothing here.
func TestLeaveItems(t *testing.T) {
	recs := record.MustCatalogue(register.MustLoad("museum"), map[string]string{"subscribers": "subs", "mail": "mail", "audit": "audit"})
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for list, want := range map[string]string{SeniorsList: "senior-removed", MediaList: "media-contact-objected", "newsletter": ""} {
		tx, err := leaving.Items(recs, list, "SUB#abc", now)
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			if len(tx) != 0 {
				t.Errorf("%s: %d items", list, len(tx))
			}
			continue
		}
		if len(tx) != 1 || tx[0].Update == nil || !strings.Contains(*tx[0].Update.UpdateExpression, "REMOVE") {
			t.Fatalf("%s: %+v", list, tx)
		}
		if v := tx[0].Update.ExpressionAttributeValues[":recordExpiryRule"]; str(map[string]types.AttributeValue{"r": v}, "r") != want {
			t.Errorf("%s: expiry rule %v, want %s", list, v, want)
		}
	}
}
