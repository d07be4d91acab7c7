package e2e

// This file's name sorts last so its tests run after the rest of the suite
// and look at everything the suite left behind.

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// TestZZNoPersonalDataInLogsOrQueues greps every log line and every queue
// message body of the suite for the addresses and names it used.
func TestZZNoPersonalDataInLogsOrQueues(t *testing.T) {
	captureMu.Lock()
	defer captureMu.Unlock()
	if len(personal) == 0 || logs.Len() == 0 || len(bodies) == 0 {
		t.Fatalf("the suite should have produced data to check: %d values, %d log bytes, %d bodies", len(personal), logs.Len(), len(bodies))
	}
	lowerLogs := strings.ToLower(logs.String())
	for _, p := range personal {
		if carries(lowerLogs, strings.ToLower(p)) {
			t.Errorf("a log line contains personal data %q", p)
		}
		for _, b := range bodies {
			if carries(strings.ToLower(b), strings.ToLower(p)) {
				t.Errorf("a queue message contains personal data %q: %s", p, b)
			}
		}
	}
	for _, b := range bodies {
		if strings.Contains(b, "@") {
			t.Errorf("a queue message looks like it carries an address: %s", b)
		}
	}
}

// carries reports whether text holds value. A value of digits only (a PIN,
// a customer number) counts only where it stands as a number of its own:
// inside a longer run of digits (a timestamp in milliseconds, a request
// id) it is a coincidence, not the value, and a random six-digit PIN meets
// one in every few suites.
func carries(text, value string) bool {
	if strings.Trim(value, "0123456789") != "" {
		return strings.Contains(text, value)
	}
	digit := func(i int) bool { return i >= 0 && i < len(text) && text[i] >= '0' && text[i] <= '9' }
	for from := 0; ; {
		i := strings.Index(text[from:], value)
		if i < 0 {
			return false
		}
		at := from + i
		if !digit(at-1) && !digit(at+len(value)) {
			return true
		}
		from = at + 1
	}
}

// TestZZEveryStoredItemIsDeclared reads every item the suite stored and
// checks its kind and each attribute against the register declaration, so
// the privacy notice generated from it cannot omit what the system keeps.
func TestZZEveryStoredItemIsDeclared(t *testing.T) {
	// The catalogues the functions build from template.yaml's environment:
	// every deployed table must be one a declaration names, the museum's or
	// the libraries'.
	env := map[string]string{}
	for _, fn := range stack.Env {
		for k, v := range fn {
			env[k] = v
		}
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var all []string
	seen := map[string]int{}
	every := suiteTables(t)
	for _, id := range []string{"museum", "library"} {
		cat, err := record.FromEnv(register.MustLoad(id), lookup, true)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, slices.Collect(maps.Values(cat.Deployed()))...)
		storedAreDeclared(t, cat, every, seen)
	}
	for logical, r := range stack.Template.Resources {
		if r.Type == "AWS::DynamoDB::Table" && !slices.Contains(all, stack.Resolve(logical)) {
			t.Errorf("table %s is no table a declaration names", logical)
		}
	}
	for _, kind := range []string{"subscription", "consent", "mail", "audit", "feedback-answer", "feedback-text", "feedback-contact", "booking", "booking-hetu", "capacity",
		"patron", "guardian-link", "preregistration", "loan", "fee"} {
		if seen[kind] == 0 {
			t.Errorf("the suite stored no %s item; the check would prove nothing for it", kind)
		}
	}
}

// suiteTables are the tables of every stack this package started on the
// emulators (the tests that start stacks of their own, with their own
// clocks, leave theirs); other packages' tests share the emulators under
// `make test` and store test fixtures of their own, which are not the
// system's.
func suiteTables(t *testing.T) []string {
	t.Helper()
	var out []string
	in := &dynamodb.ListTablesInput{}
	for {
		page, err := stack.Clients().DynamoDB.ListTables(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range page.TableNames {
			if ofTheSuite(name) {
				out = append(out, name)
			}
		}
		if in.ExclusiveStartTableName = page.LastEvaluatedTableName; in.ExclusiveStartTableName == nil {
			return out
		}
	}
}

// storedAreDeclared checks every item of cat's tables, in every stack of
// the suite (every), against cat's declaration: a declared kind of that
// table, with declared attributes only.
func storedAreDeclared(t *testing.T, cat *record.Catalogue, every []string, seen map[string]int) {
	t.Helper()
	reg := cat.Register()
	logicalOf := map[string]string{}
	for logical, r := range stack.Template.Resources {
		if r.Type == "AWS::DynamoDB::Table" {
			logicalOf[stack.Resolve(logical)] = logical
		}
	}
	for declared, main := range cat.Deployed() {
		for _, real := range every {
			if real == main || (logicalOf[main] != "" && strings.HasSuffix(real, "-"+logicalOf[main])) {
				storedInAreDeclared(t, reg, declared, real, seen)
			}
		}
	}
}

func storedInAreDeclared(t *testing.T, reg *register.Register, declared, real string, seen map[string]int) {
	t.Helper()
	{
		logical := declared
		var start map[string]types.AttributeValue
		for {
			// A Scan is fine here: this is an inspection of the test's own data.
			out, err := stack.Clients().DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(real), ExclusiveStartKey: start})
			var gone *types.ResourceNotFoundException
			if errors.As(err, &gone) {
				return // another package's stack, stopped meanwhile
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.Items {
				kindAV, _ := it["kind"].(*types.AttributeValueMemberS)
				if kindAV == nil {
					t.Errorf("%s: an item without a kind: %v", logical, keys(it))
					continue
				}
				rk, ok := reg.Record(kindAV.Value)
				if !ok || rk.Table != declared {
					t.Errorf("%s: kind %q is not declared for table %s", logical, kindAV.Value, declared)
					continue
				}
				seen[kindAV.Value]++
				for attr := range it {
					if !slices.Contains(rk.Attributes, attr) && !slices.Contains(record.Envelope, attr) {
						t.Errorf("%s: kind %s stores undeclared attribute %q", logical, rk.Kind, attr)
					}
				}
			}
			if start = out.LastEvaluatedKey; start == nil {
				break
			}
		}
	}
}

func keys(m map[string]types.AttributeValue) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestZZIdentityCodesNowhereInClear looks for the suite's identity codes in
// every log line, queue body, HTTP answer, mail and stored item: they may
// exist only as ciphertext.
func TestZZIdentityCodesNowhereInClear(t *testing.T) {
	captureMu.Lock()
	places := map[string]string{"logs": logs.String(), "queue bodies": strings.Join(bodies, "\n"), "HTTP answers": strings.Join(answers, "\n")}
	captureMu.Unlock()
	mails, err := stack.SentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var raw strings.Builder
	for _, m := range mails {
		raw.Write(m.Raw)
		raw.WriteString(m.Parsed.Text + m.Parsed.HTML)
	}
	places["mail"] = raw.String()
	var items strings.Builder
	for logical, r := range stack.Template.Resources {
		if r.Type != "AWS::DynamoDB::Table" {
			continue
		}
		var start map[string]types.AttributeValue
		for {
			out, err := stack.Clients().DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(stack.Resolve(logical)), ExclusiveStartKey: start})
			if err != nil {
				t.Fatal(err)
			}
			var plain []map[string]any
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &plain); err != nil {
				t.Fatal(err)
			}
			for _, it := range plain {
				b, _ := json.Marshal(it)
				items.Write(b)
				items.WriteByte('\n')
			}
			if start = out.LastEvaluatedKey; start == nil {
				break
			}
		}
	}
	places["DynamoDB items"] = items.String()
	if !strings.Contains(places["DynamoDB items"], "booking-hetu") {
		t.Fatal("the suite stored no sealed identity code; the scan would prove nothing")
	}
	for _, code := range testCodes {
		for place, text := range places {
			if strings.Contains(strings.ToUpper(text), code) {
				t.Errorf("identity code %s found in clear in %s", code, place)
			}
		}
	}
}

// sesEventsQueue carries SES's bounce and complaint events, whose format
// (SES's, not ours) names the recipient: the one queue whose bodies hold an
// address (template.yaml keeps its DLQ 4 days, not 14). Its handler logs
// none of it, which the log scan above still checks.
const sesEventsQueue = "SesEventsQueue"

// suitePrefixes are the prefixes of the stacks this package started.
var (
	suitePrefixMu sync.Mutex
	suitePrefixes []string
)

// suitePrefix notes p as the prefix of a stack this package starts.
func suitePrefix(p string) string {
	suitePrefixMu.Lock()
	defer suitePrefixMu.Unlock()
	suitePrefixes = append(suitePrefixes, p)
	return p
}

// ofTheSuite says whether table belongs to a stack this package started.
func ofTheSuite(table string) bool {
	suitePrefixMu.Lock()
	defer suitePrefixMu.Unlock()
	for _, p := range suitePrefixes {
		if strings.HasPrefix(table, p+"-") {
			return true
		}
	}
	return false
}

func TestCarries(t *testing.T) {
	for _, c := range []struct {
		text, value string
		want        bool
	}{
		{`{"pin":"324940"}`, "324940", true},
		{`pin=324940 `, "324940", true},
		{`324940`, "324940", true},
		{`{"at":1764657324940}`, "324940", false},
		{`id 3249401 and 1324940`, "324940", false},
		{`1324940 then 324940.`, "324940", true},
		{`maija.m@example.com`, "maija", true},
		{`{"n":"00012345678903"}`, "00012345678903", true},
	} {
		if got := carries(c.text, c.value); got != c.want {
			t.Errorf("carries(%q, %q) = %v, want %v", c.text, c.value, got, c.want)
		}
	}
}
