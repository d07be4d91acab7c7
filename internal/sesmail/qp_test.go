package sesmail

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
)

func libraryQP(t testing.TB, s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ownQP(s string) string {
	var b bytes.Buffer
	b.WriteString("prefix:") // writeQP appends
	writeQP(&b, s)
	return strings.TrimPrefix(b.String(), "prefix:")
}

var qpCases = []string{
	"", "a", "=", " ", "\t", "a ", "a\t", "a \n", "a\t\r\nb", "\r", "\n", "\r\n", "\n\r", "\r\r\n\n", "\r=\n", "\r\x00\n",
	"Hei,\n\njoku (toivottavasti sinä) tilasi tähän osoitteeseen: Uutiskirje.\n",
	strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("x", 77), strings.Repeat("x", 200),
	strings.Repeat("ä", 40), strings.Repeat("x", 73) + "ä", strings.Repeat("x", 74) + "=", strings.Repeat("x", 75) + " \n",
	strings.Repeat("x", 74) + " ", strings.Repeat(" ", 80) + "\n" + strings.Repeat("\t", 80),
	"<p><a href=\"https://www.example.org/newsletter/confirm?t=abc&amp;lang=fi\">Vahvista tilaus</a> – linkki</p>\n",
	"\xff\xfe\x00\x7f~!", "line\r\nline\rline\nline \r\n",
}

func TestWriteQPMatchesQuotedprintable(t *testing.T) {
	for _, s := range qpCases {
		if got, want := ownQP(s), libraryQP(t, s); got != want {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzWriteQPMatchesQuotedprintable(f *testing.F) {
	for _, s := range qpCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ownQP(s), libraryQP(t, s); got != want {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	})
}
