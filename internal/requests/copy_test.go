package requests

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/register"
)

func copyS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func copyN(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// The sealed identity code: neither the code, nor the sealed bytes, nor
// the key id may reach a copy.
const (
	testHetu     = "131052-308T"
	testSealedB  = "c2VhbGVkLWJ5dGVzLW9mLXRoZS1jb2Rl"
	testSealedID = "arn:aws:kms:eu-north-1:000000000000:key/sealed-test-key"
)

var copyNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func copyItem(kind, pk, sk string, attrs map[string]types.AttributeValue) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		"pk": copyS(pk), "sk": copyS(sk), "kind": copyS(kind), "subjectKey": copyS("subject-key-secret-hmac"),
		"expiresAt": copyN("1924992000"), "expiryBucket": copyS("2031-01-01#3"), "purgeAt": copyN("1925596800"), "expiryRule": copyS("rule-x"),
	}
	for k, v := range attrs {
		it[k] = v
	}
	return it
}

func bookingHoldings(firstName string) []Holding {
	return []Holding{
		{Kind: "booking", Table: "bookings", Items: []map[string]types.AttributeValue{copyItem("booking", "BOOKING#B1", "BOOKING", map[string]types.AttributeValue{
			"reference": copyS("KAMU-123"), "firstName": copyS(firstName), "lastName": copyS("Virtanen"), "email": copyS("maija@example.fi"),
			"participants": copyN("12"), "hetuGiven": &types.AttributeValueMemberBOOL{Value: true}, "payment": copyS("invoice"),
		})}},
		{Kind: "booking-hetu", Table: "bookings", Items: []map[string]types.AttributeValue{copyItem("booking-hetu", "BOOKING#B1", "HETU", map[string]types.AttributeValue{
			"sealed": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"ciphertext": &types.AttributeValueMemberB{Value: []byte("sealed-bytes-of-the-code")},
				"keyId":      copyS(testSealedID), "plain": copyS(testHetu),
			}},
			"createdAt": copyS("2026-02-01T10:00:00Z"),
		})}},
	}
}

// everyKind is an item of each kind a person's records can be.
func everyKind(reg *register.Register) []Holding {
	var out []Holding
	for _, k := range reg.Records {
		if !slices.Contains(k.Attributes, "subjectKey") && k.Kind != "feedback-answer" && k.Kind != "feedback-text" {
			continue // not a person's (capacity, audit, …)
		}
		out = append(out, Holding{Kind: k.Kind, Table: k.Table, Items: []map[string]types.AttributeValue{
			copyItem(k.Kind, "PK#"+k.Kind, "SK", map[string]types.AttributeValue{"lang": copyS("fi")}),
		}})
	}
	return out
}

func buildCopy(t *testing.T, lang string, holdings []Holding) (Copy, map[string]any) {
	t.Helper()
	reg := register.MustLoad("museum")
	cp, err := BuildCopy(reg, Request{PK: "REQUEST#r0123456789ab", Lang: lang}, holdings, copyNow)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(cp.JSON, &doc); err != nil {
		t.Fatalf("the JSON file does not parse: %v", err)
	}
	checkCopyPage(t, string(cp.HTML), lang)
	return cp, doc
}

var copyTagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)

var copyVoidElements = []string{"meta", "br", "hr", "img", "input", "link"}

// checkPage holds a page to what every copy must be: in its language,
// nested correctly, headed, its table headers scoped, no script.
func checkCopyPage(t *testing.T, page, lang string) {
	t.Helper()
	if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html lang=\""+lang+"\">") {
		t.Errorf("the page does not start with its doctype and lang=%q", lang)
	}
	if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "javascript:") {
		t.Error("the page has script")
	}
	if strings.Count(page, "<h1>") != 1 || !strings.Contains(page, "<title>") || !strings.Contains(page, "<main>") {
		t.Error("the page wants one h1, a title and a main landmark")
	}
	var open []string
	for _, m := range copyTagRE.FindAllStringSubmatch(page, -1) {
		name := strings.ToLower(m[2])
		switch {
		case slices.Contains(copyVoidElements, name):
		case m[1] == "":
			open = append(open, name)
			if name == "th" && !strings.Contains(m[3], `scope="col"`) && !strings.Contains(m[3], `scope="row"`) {
				t.Errorf("a table header without scope: %s", m[0])
			}
		case len(open) == 0 || open[len(open)-1] != name:
			t.Fatalf("</%s> closes %v", name, open)
		default:
			open = open[:len(open)-1]
		}
	}
	if len(open) != 0 {
		t.Errorf("left open: %v", open)
	}
}

// text is a page, or a part of it, as read: tags out, entities decoded.
func pageText(s string) string { return html.UnescapeString(copyTagRE.ReplaceAllString(s, " ")) }

// section is the part of a page about one kind or purpose.
func pageBlock(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `data-block="`+id+`"`)
	if i < 0 {
		t.Fatalf("no block %s", id)
	}
	j := strings.Index(page[i:], "</section>")
	return pageText(page[i : i+j])
}

func TestCopyNeverShowsTheSealedIdentityCode(t *testing.T) {
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			cp, doc := buildCopy(t, lang, bookingHoldings("Maija"))
			for _, part := range []struct{ name, body string }{{"JSON", string(cp.JSON)}, {"HTML", string(cp.HTML)}} {
				for _, secret := range []string{testHetu, testSealedB, testSealedID, "sealed-bytes", "ciphertext"} {
					if strings.Contains(part.body, secret) {
						t.Errorf("the %s shows the sealed value (%s)", part.name, secret)
					}
				}
			}
			hetu := doc["records"].([]any)[1].(map[string]any)
			item := hetu["items"].([]any)[0].(map[string]any)
			if hetu["kind"] != "booking-hetu" || item["sealed"] != SealedText || item["createdAt"] != "2026-02-01T10:00:00Z" {
				t.Errorf("the JSON says the code is held, sealed: %v", hetu)
			}
			if want := copyTexts["sealed"][langIndex(lang)]; !strings.Contains(pageBlock(t, string(cp.HTML), "kind-booking-hetu"), want) {
				t.Errorf("the page says %q", want)
			}
		})
	}
}

func TestCopyJSON(t *testing.T) {
	_, doc := buildCopy(t, "en", bookingHoldings("Maija"))
	for k, want := range map[string]any{"format": CopyFormat, "requestId": "r0123456789ab", "generatedAt": "2026-03-01T12:00:00Z", "register": "museum", "holdsData": true} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	booking := doc["records"].([]any)[0].(map[string]any)
	item := booking["items"].([]any)[0].(map[string]any)
	for _, internal := range []string{"pk", "sk", "kind", "subjectKey", "expiresAt", "expiryBucket", "purgeAt", "expiryRule"} {
		if _, ok := item[internal]; ok {
			t.Errorf("the envelope's %s is in the copy", internal)
		}
	}
	if item["keptUntil"] != "2031-01-01T00:00:00Z" || item["participants"] != float64(12) || item["hetuGiven"] != true || item["firstName"] != "Maija" {
		t.Errorf("the values as plain JSON: %v", item)
	}
	if booking["portable"] != true || booking["purposes"].([]any)[0].(map[string]any)["legalBasis"] != "contract" {
		t.Errorf("a booking is contract-based, so portable: %v", booking)
	}
	_, doc = buildCopy(t, "en", []Holding{{Kind: "request", Table: "requests", Items: []map[string]types.AttributeValue{copyItem("request", "REQUEST#x", "REQUEST", nil)}}})
	if r := doc["records"].([]any)[0].(map[string]any); r["portable"] != false {
		t.Errorf("a request is kept under a legal obligation, not portable: %v", r)
	}
}

func TestCopyArt15BlockOfEveryKind(t *testing.T) {
	reg := register.MustLoad("museum")
	holdings := everyKind(reg)
	if len(holdings) < 8 {
		t.Fatalf("only %d kinds of a person's records", len(holdings))
	}
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			cp, _ := buildCopy(t, lang, holdings)
			page := string(cp.HTML)
			for _, h := range holdings {
				k, _ := reg.Record(h.Kind)
				block := pageBlock(t, page, "kind-"+k.Kind)
				var want []string
				for _, id := range k.Purposes {
					p, _ := reg.Purpose(id)
					want = append(want, p.Name.In(lang), p.Description.In(lang))
					for _, r := range p.Recipients {
						i := slices.IndexFunc(reg.Recipients, func(x register.Recipient) bool { return x.ID == r })
						want = append(want, reg.Recipients[i].Name.In(lang))
					}
				}
				for _, r := range k.Retention {
					want = append(want, r.Text.In(lang))
				}
				want = append(want, reg.Authority.Name.In(lang), rightTexts[0].text[langIndex(lang)])
				for _, w := range want {
					if !strings.Contains(block, w) {
						t.Errorf("the block of %s lacks %q", k.Kind, w)
					}
				}
				raw := page[strings.Index(page, `data-block="kind-`+k.Kind+`"`):]
				raw = raw[:strings.Index(raw, "</section>")]
				for _, link := range []string{reg.RightsGuide, reg.Authority.URL} {
					if !strings.Contains(raw, `href="`+link+`"`) {
						t.Errorf("the block of %s does not link %s", k.Kind, link)
					}
				}
			}
		})
	}
}

func TestCopyInEachLanguage(t *testing.T) {
	cases := []struct{ lang, want, title string }{
		{"fi", "fi", "Jäljennös henkilötiedoistasi"},
		{"sv", "sv", "Kopia av dina personuppgifter"},
		{"en", "en", "A copy of your personal data"},
		{"de", "fi", "Jäljennös henkilötiedoistasi"}, // an unknown language falls back to Finnish
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			reg := register.MustLoad("museum")
			cp, err := BuildCopy(reg, Request{PK: "REQUEST#r0123456789ab", Lang: tc.lang}, bookingHoldings("Maija"), copyNow)
			if err != nil {
				t.Fatal(err)
			}
			checkCopyPage(t, string(cp.HTML), tc.want)
			page := pageText(string(cp.HTML))
			if !strings.Contains(page, tc.title) || !strings.Contains(page, mustKind(t, reg, "booking").Name.In(tc.want)) ||
				!strings.Contains(page, reg.Name.In(tc.want)) {
				t.Errorf("the page is not in %s", tc.want)
			}
		})
	}
}

func TestCopyWithNothingHeld(t *testing.T) {
	reg := register.MustLoad("museum")
	for _, lang := range register.Languages {
		for name, holdings := range map[string][]Holding{"nil": nil, "empty kinds": {{Kind: "booking", Table: "bookings"}}} {
			t.Run(lang+"/"+name, func(t *testing.T) {
				cp, doc := buildCopy(t, lang, holdings)
				if doc["holdsData"] != false || len(doc["records"].([]any)) != 0 {
					t.Errorf("the JSON says nothing is held: %s", cp.JSON)
				}
				page := string(cp.HTML)
				if !strings.Contains(pageText(page), copyTexts["none"][langIndex(lang)]) {
					t.Error("the page says no data about you is held")
				}
				for _, p := range reg.Purposes {
					block := pageBlock(t, page, "purpose-"+p.ID)
					if !strings.Contains(block, p.Name.In(lang)) || !strings.Contains(block, p.Description.In(lang)) {
						t.Errorf("the general information lacks purpose %s", p.ID)
					}
				}
				if !strings.Contains(pageText(page), reg.Authority.Name.In(lang)) || strings.Contains(page, "<table") {
					t.Error("the general information names the authority, and shows no records")
				}
			})
		}
	}
}

func TestCopyEscapesWhatIsStored(t *testing.T) {
	name := `<script>alert("x")</script> & Ö'Brien <b>`
	cp, doc := buildCopy(t, "fi", bookingHoldings(name))
	page := string(cp.HTML)
	if strings.Contains(page, "<script>") || strings.Contains(page, "<b>") {
		t.Fatal("a stored name reaches the page as markup")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Ö&#39;Brien &lt;b&gt;") {
		t.Error("the name is shown, escaped")
	}
	item := doc["records"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)
	if item["firstName"] != name {
		t.Errorf("the JSON keeps the name as given: %v", item["firstName"])
	}
}

func TestCopyRefusesAnUndeclaredKind(t *testing.T) {
	_, err := BuildCopy(register.MustLoad("museum"), Request{PK: "REQUEST#r0123456789ab"}, []Holding{{Kind: "patron", Table: "patrons"}}, copyNow)
	if err == nil || !strings.Contains(err.Error(), "patron") {
		t.Fatalf("want an error naming the kind, got %v", err)
	}
}

func TestPlainValues(t *testing.T) {
	cases := []struct {
		name string
		av   types.AttributeValue
		want string
	}{
		{"string", copyS("a"), `"a"`},
		{"number", copyN("1.50"), `1.50`},
		{"bool", &types.AttributeValueMemberBOOL{Value: false}, `false`},
		{"null", &types.AttributeValueMemberNULL{Value: true}, `null`},
		{"binary", &types.AttributeValueMemberB{Value: []byte("hi")}, `"aGk="`},
		{"string set", &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, `["a","b"]`},
		{"number set", &types.AttributeValueMemberNS{Value: []string{"1", "2"}}, `[1,2]`},
		{"list", &types.AttributeValueMemberL{Value: []types.AttributeValue{copyS("a"), copyN("3")}}, `["a",3]`},
		{"map", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": copyS("x"), "a": copyN("1")}}, `{"a":1,"b":"x"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(plain(tc.av))
			if err != nil || string(got) != tc.want {
				t.Errorf("plain = %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func mustKind(t *testing.T, reg *register.Register, kind string) register.RecordKind {
	t.Helper()
	k, ok := reg.Record(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	return k
}
