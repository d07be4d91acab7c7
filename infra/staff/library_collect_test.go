package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/infra/local"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/hetu"
	"rekisteri/internal/library"
)

// staffHetu is a valid temporary identity code (900–999) of someone years
// old on clock's day; random, so each test is a new person.
func staffHetu(now time.Time, years int) string {
	return hetu.Make(helsinki.Today(now).AddDate(-years, 0, -rand.IntN(300)), 900+rand.IntN(100))
}

func patronItem(t *testing.T, stack *local.Stack, pk, sk string) map[string]any {
	t.Helper()
	out, err := stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(stack.Resolve("PatronsTable")), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLibraryCollectThroughTheStaffTool: a pre-registration sent over
// HTTP is collected at the desk by `staff library collect`, which prints
// the customer number and sets the PIN piped to it (-pin-stdin); the patron
// holds the identity code sealed only; a child's collection makes the
// guardian a patron, links them, and mails the PIN link (-pin-link).
func TestLibraryCollectThroughTheStaffTool(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("stlib%d", time.Now().UnixNano()%1e6)
	stack, srv := localStack(t, prefix)
	s := &campaignSite{t: t, ctx: ctx, stack: stack, base: srv.URL, prefix: prefix, mailed: map[string]int{}}
	runID := strconv.Itoa(rand.IntN(1e8))
	adultCode, childCode, guardianCode := staffHetu(stack.Clock.Now(), 35), staffHetu(stack.Clock.Now(), 7), staffHetu(stack.Clock.Now(), 38)
	register := func(form map[string]string) string {
		t.Helper()
		code, body := s.post("/library/register", form)
		var out struct{ Status, Reference string }
		if err := json.Unmarshal([]byte(body), &out); err != nil || code != http.StatusAccepted || out.Reference == "" {
			t.Fatalf("register: %d %s", code, body)
		}
		return out.Reference
	}
	collect := func(stdin string, args ...string) (string, error) {
		libraryStdin = strings.NewReader(stdin)
		t.Cleanup(func() { libraryStdin = os.Stdin })
		var out bytes.Buffer
		err := run(ctx, append([]string{"library", "collect", "-local", "-stack", prefix}, args...), &out)
		return out.String(), err
	}

	adultAddr := "lib-adult-" + runID + "@example.com"
	ref := register(map[string]string{"first_name": "Aino", "last_name": "Lukija", "hetu": adultCode, "street": "Kirjastokatu 1", "postcode": "02100",
		"city": "Espoo", "email": adultAddr, "channel": "email", "group": "adult", "lang": "sv"})
	for _, c := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"without -actor", "", []string{"-reference", ref}, "-actor"},
		{"without -reference", "", []string{"-actor", "desk"}, "-reference"},
		{"a PIN of three digits", "123\n", []string{"-reference", ref, "-actor", "desk", "-pin-stdin"}, "4 to 8 digits"},
		{"both PIN ways", "", []string{"-reference", ref, "-actor", "desk", "-pin-stdin", "-pin-link"}, "not both"},
		{"a reference nobody has", "", []string{"-reference", "0000000000", "-actor", "desk"}, "no pre-registration"},
	} {
		if out, err := collect(c.stdin, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v %s", c.name, err, out)
		}
	}
	if patronItem(t, stack, library.PreregPK(ref), library.SKPrereg) == nil {
		t.Fatal("a refused collection must leave the pre-registration as it was")
	}
	out, err := collect("2468\n", "-reference", ref, "-actor", "desk-7", "-pin-stdin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 2 || !library.ValidCustomerNumber(lines[0]) || lines[1] != "PIN set" {
		t.Fatalf("collect: %v %q", err, out)
	}
	number := lines[0]
	p := patronItem(t, stack, library.PatronPK(number), library.SKPatron)
	sealed, _ := p["identityCode"].(map[string]any)
	if p == nil || sealed == nil || sealed["ciphertext"] == nil || p["lang"] != "sv" || p["email"] != adultAddr {
		t.Fatalf("the patron: %v", p)
	}
	if ok, err := library.CheckPIN(fmt.Sprint(p["pin"]), "2468"); !ok || err != nil {
		t.Errorf("the piped PIN: %v %v", ok, err)
	}
	if _, err := collect("", "-reference", ref, "-actor", "desk-7"); err == nil || !strings.Contains(err.Error(), "no pre-registration") {
		t.Errorf("collecting twice: %v", err)
	}

	guardianAddr := "lib-guardian-" + runID + "@example.com"
	ref = register(map[string]string{"first_name": "Eetu", "last_name": "Lukija", "hetu": childCode, "street": "Kirjastokatu 1", "postcode": "02100",
		"city": "Espoo", "email": guardianAddr, "channel": "email", "group": "child", "lang": "fi",
		"guardian_first_name": "Aila", "guardian_last_name": "Lukija", "guardian_hetu": guardianCode, "guardian_email": guardianAddr})
	out, err = collect("", "-reference", ref, "-actor", "desk-7", "-pin-link")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 3 || !strings.HasSuffix(lines[1], " (guardian, new patron)") || !strings.HasPrefix(lines[2], "PIN link mailed") {
		t.Fatalf("collect a child: %v %q", err, out)
	}
	child, guardian := lines[0], strings.Fields(lines[1])[0]
	if patronItem(t, stack, library.PatronPK(guardian), library.SKPatron) == nil ||
		patronItem(t, stack, library.PatronPK(child), library.GuardianSK(guardian)) == nil ||
		patronItem(t, stack, library.PatronPK(guardian), library.DependantSK(child)) == nil {
		t.Fatal("want the guardian as a patron and the links both ways")
	}
	s.drain()
	var pinLink string
	for _, m := range s.newMails(guardianAddr) {
		for _, l := range m.Links() {
			if u, err := url.Parse(l); err == nil && u.Path == "/library/pin" {
				pinLink = l
			}
		}
	}
	if pinLink == "" {
		t.Fatal("no PIN link mailed")
	}
	u, _ := url.Parse(pinLink)
	if code, body := s.post("/library/pin", map[string]string{"token": u.Query().Get("token"), "pin": "13579", "pin2": "13579"}); code != http.StatusOK {
		t.Fatalf("the PIN link: %d %s", code, body)
	}
	if ok, _ := library.CheckPIN(fmt.Sprint(patronItem(t, stack, library.PatronPK(child), library.SKPatron)["pin"]), "13579"); !ok {
		t.Error("the PIN set by the link does not check")
	}

	// No identity code in clear in any patron item, mail or the tool's output.
	for _, pk := range []string{library.PatronPK(number), library.PatronPK(child), library.PatronPK(guardian)} {
		b, _ := json.Marshal(patronItem(t, stack, pk, library.SKPatron))
		for _, code := range []string{adultCode, childCode, guardianCode} {
			if strings.Contains(strings.ToUpper(string(b)), code) {
				t.Errorf("%s holds an identity code in clear", pk)
			}
		}
	}
	mails, err := stack.SentMail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		for _, code := range []string{adultCode, childCode, guardianCode, number, child} {
			if strings.Contains(string(m.Raw)+m.Parsed.Text, code) {
				t.Errorf("mail %q holds an identity code or a customer number", m.Parsed.Subject)
			}
		}
	}
}
