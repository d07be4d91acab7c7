package library

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"rekisteri/internal/web"
)

// testHetu is a valid identity code of someone born on day, with the
// individual number n (900–999: temporary codes, never a real person's).
func testHetu(day time.Time, n int) string {
	sign := "-"
	if day.Year() >= 2000 {
		sign = "A"
	}
	digits := day.Format("020106") + strconv.Itoa(n)
	v, _ := strconv.Atoi(digits)
	return day.Format("020106") + sign + strconv.Itoa(n) + string("0123456789ABCDEFHJKLMNPRSTUVWXY"[v%31])
}

var today = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

func years(n int) time.Time { return today.AddDate(-n, 0, 0) }

func adultForm() url.Values {
	return url.Values{
		"first_name": {"Aino"}, "last_name": {"Lukija"}, "hetu": {testHetu(years(40), 901)},
		"street": {"Kirjastokatu 1"}, "postcode": {"02100"}, "city": {"Espoo"}, "phone": {"040 123 4567"},
		"email": {"Aino@Example.com"}, "channel": {"email"}, "group": {"adult"},
	}
}

func childForm() url.Values {
	f := adultForm()
	f.Set("first_name", "Eetu")
	f.Set("hetu", testHetu(years(9), 902))
	f.Set("group", "child")
	f.Set("guardian_first_name", "Aino")
	f.Set("guardian_last_name", "Lukija")
	f.Set("guardian_hetu", testHetu(years(40), 901))
	f.Set("guardian_email", "aino@example.com")
	return f
}

func with(f url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

// TestLibraryParseRegistration: each bad field is refused at that field
// with its own message, and only there; good forms pass.
func TestLibraryParseRegistration(t *testing.T) {
	bad := testHetu(years(40), 901)
	bad = bad[:10] + map[bool]string{true: "A", false: "B"}[bad[10] != 'A'] // a wrong check character
	tests := []struct {
		name  string
		form  url.Values
		field string // "" means no error at all
		msg   string
	}{
		{"an adult", adultForm(), "", ""},
		{"a child with a guardian", childForm(), "", ""},
		{"a letter customer without e-mail or phone", with(adultForm(), "channel", "letter", "email", "", "phone", ""), "", ""},
		{"first name missing", with(adultForm(), "first_name", ""), "first_name", "err.required"},
		{"last name too long", with(adultForm(), "last_name", strings.Repeat("x", 101)), "last_name", "err.long"},
		{"identity code missing", with(adultForm(), "hetu", ""), "hetu", "err.required"},
		{"identity code with a wrong check character", with(adultForm(), "hetu", bad), "hetu", "err.hetu"},
		{"identity code with no such date", with(adultForm(), "hetu", "310290-123A"), "hetu", "err.hetu"},
		{"identity code born tomorrow", with(adultForm(), "hetu", testHetu(today.AddDate(0, 0, 1), 903)), "hetu", "err.hetu"},
		{"street missing", with(adultForm(), "street", ""), "street", "err.required"},
		{"postcode of four digits", with(adultForm(), "postcode", "0210"), "postcode", "err.postcode"},
		{"postcode with letters", with(adultForm(), "postcode", "FI-02100"), "postcode", "err.postcode"},
		{"postcode missing", with(adultForm(), "postcode", ""), "postcode", "err.required"},
		{"city missing", with(adultForm(), "city", ""), "city", "err.required"},
		{"phone of letters", with(adultForm(), "phone", "call me"), "phone", "err.phone"},
		{"phone too short", with(adultForm(), "phone", "0401"), "phone", "err.phone"},
		{"sms without a phone", with(adultForm(), "channel", "sms", "phone", ""), "phone", "err.phone.sms"},
		{"bad e-mail", with(adultForm(), "email", "aino@"), "email", "err.email"},
		{"channel e-mail without e-mail", with(adultForm(), "email", ""), "email", "err.email.channel"},
		{"unknown channel", with(adultForm(), "channel", "pigeon"), "channel", "err.channel"},
		{"unknown group", with(adultForm(), "group", "vip"), "group", "err.group"},
		{"a child registered as an adult", with(childForm(), "group", "adult"), "group", "err.group.child"},
		{"a child without a guardian", with(childForm(), "guardian_first_name", "", "guardian_last_name", "", "guardian_hetu", "", "guardian_email", ""), "guardian_hetu", "err.guardian.need"},
		{"a child without the guardian's name", with(childForm(), "guardian_last_name", ""), "guardian_last_name", "err.guardian.need"},
		{"a guardian under 18", with(childForm(), "guardian_hetu", testHetu(years(17), 904)), "guardian_hetu", "err.guardian.age"},
		{"a guardian with a bad code", with(childForm(), "guardian_hetu", bad), "guardian_hetu", "err.hetu"},
		{"a guardian who is the child", with(childForm(), "guardian_hetu", childForm().Get("hetu")), "guardian_hetu", "err.guardian.self"},
		{"a guardian with a bad e-mail", with(childForm(), "guardian_email", "nobody"), "guardian_email", "err.email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, errs := parseRegistration(web.NewForm(tc.form), "en", today)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if got, want := errs[tc.field], ptext("en", tc.msg); got != want {
				t.Errorf("%s: %q, want %q (all: %v)", tc.field, got, want, errs)
			}
			if tc.field != "guardian_first_name" && tc.field != "guardian_last_name" && tc.field != "guardian_hetu" && len(errs) != 1 {
				t.Errorf("want one error, got %v", errs)
			}
			_ = in
		})
	}
}

// TestLibraryParseRegistrationNormalises: what is stored is normalised, a
// guardian is kept only for a child, and 15 is the line, on the given day.
func TestLibraryParseRegistrationNormalises(t *testing.T) {
	in, errs := parseRegistration(web.NewForm(adultForm()), "sv", today)
	if len(errs) > 0 || in.Phone != "+358401234567" || in.Email != "aino@example.com" || in.Lang != "sv" || in.Guardian != nil ||
		in.BirthDate.Format(time.DateOnly) != years(40).Format(time.DateOnly) {
		t.Fatalf("%+v %v", in, errs)
	}
	teen := with(childForm(), "hetu", testHetu(years(GuardianAge), 905), "group", "adult")
	in, errs = parseRegistration(web.NewForm(teen), "fi", today)
	if len(errs) > 0 || in.Guardian != nil {
		t.Fatalf("15 today: no guardian asked or kept: %+v %v", in.Guardian, errs)
	}
	almost := with(childForm(), "hetu", testHetu(years(GuardianAge).AddDate(0, 0, 1), 906))
	in, errs = parseRegistration(web.NewForm(almost), "fi", today)
	if len(errs) > 0 || in.Guardian == nil || in.Guardian.Email != "aino@example.com" {
		t.Fatalf("15 tomorrow: a child with a guardian: %+v %v", in.Guardian, errs)
	}
}

// TestLibraryReferenceAndCustomerNumber: references are 10 Crockford
// characters, read back however typed; customer numbers are 14 digits
// passing Luhn, and a changed digit fails it.
func TestLibraryReferenceAndCustomerNumber(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		r := newReference()
		if len(r) != ReferenceLen || NormalizeReference(r) != r || seen[r] {
			t.Fatalf("reference %q", r)
		}
		seen[r] = true
		typed := strings.ToLower(r[:5]) + "-" + r[5:]
		if NormalizeReference(typed) != r {
			t.Fatalf("%q typed as %q reads %q", r, typed, NormalizeReference(typed))
		}
	}
	for _, s := range []string{"", "ABC", "ABCDEFGHJKM", "ABCDEFGHJ!"} {
		if NormalizeReference(s) != "" {
			t.Errorf("%q read as a reference", s)
		}
	}
	if NormalizeReference("o1l1i-ABCDE") != "01111ABCDE" {
		t.Errorf("look-alikes: %q", NormalizeReference("o1l1i-ABCDE"))
	}
	for _, tc := range []struct {
		n  string
		ok bool
	}{{"79927398713", false}, {"40000000000002", true}, {"40000000000006", false}, {"4000000000000a", false}} {
		if ValidCustomerNumber(tc.n) != tc.ok {
			t.Errorf("ValidCustomerNumber(%s) = %v", tc.n, !tc.ok)
		}
	}
	for range 200 {
		n := NewCustomerNumber()
		if !ValidCustomerNumber(n) || n[0] == '0' {
			t.Fatalf("customer number %s", n)
		}
		d := (int(n[5]-'0') + 1) % 10
		if ValidCustomerNumber(n[:5] + fmt.Sprint(d) + n[6:]) {
			t.Fatalf("%s with a digit changed still passes", n)
		}
	}
}
