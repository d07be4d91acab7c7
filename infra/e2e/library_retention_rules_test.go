package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// libraryRetentionCases: every rule of library.yaml with a keep period,
// and how the tests make an item under it through the public entry points.
var libraryRetentionCases = []struct{ rule, made string }{
	{"preregistration-uncollected", "a pre-registration nobody collects"},
	{"patron-inactive", "a guardian collected with a child, never using the library"},
	{"patron-unresolved", "a child with a loan it never returns"},
	{"guardian-link-minor", "the child's link to its guardian, the child turning 15"},
	{"fee-resolved", "a fee and its payment through the circulation feed"},
	{"transfer-resolved", "a loan 60 days overdue in the weekly transfer, then returned"},
	{"circulation-event", "every circulation event"},
}

// libStored is one item of a library table as the test sees it.
type libStored struct {
	table, pk, sk, kind, rule string
	expiresAt                 int64
}

func (s libStored) id() string { return s.table + "|" + s.pk + "|" + s.sk }

func scanLibrary(t *testing.T, site *clockSite) map[string]libStored {
	t.Helper()
	out := map[string]libStored{}
	for _, table := range []string{"PATRONS_TABLE", "LOANS_TABLE", "TRANSFERS_TABLE", "STATISTICS_TABLE"} {
		in := &dynamodb.ScanInput{TableName: aws.String(site.stack.Env["LibraryFunction"][table]), ConsistentRead: aws.Bool(true)}
		for { // a Scan of the test's own data; the sweep never scans
			page, err := site.stack.Clients().DynamoDB.Scan(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				s := libStored{table: table, pk: str(it["pk"]), sk: str(it["sk"]), kind: str(it["kind"]), rule: str(it["expiryRule"])}
				if n, ok := it["expiresAt"].(*types.AttributeValueMemberN); ok {
					s.expiresAt, _ = strconv.ParseInt(n.Value, 10, 64)
				}
				out[s.id()] = s
			}
			if in.ExclusiveStartKey = page.LastEvaluatedKey; in.ExclusiveStartKey == nil {
				break
			}
		}
	}
	return out
}

// TestLibraryRetentionSweepsEveryRule: an item under every library rule,
// made through the public entry points and aged with the local clock, is
// there until its time and gone in the first sweep after it (a kept one
// re-dated instead); what goes with a patron goes in the same run, and
// nothing goes before its time.
func TestLibraryRetentionSweepsEveryRule(t *testing.T) {
	site, svc := startLibraryRetentionSite(t)
	ctx := context.Background()
	start := site.stack.Clock.Now()
	at := func() string { return site.stack.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339) }
	libraryPreregister(t, site, start.AddDate(-30, 0, 0), nil)
	// A child of 14 whose 15th birthday is 3 weeks away, with a loan it
	// keeps; its guardian never uses the library.
	guardianBorn := start.AddDate(-40, 0, 0)
	child, err := svc.CollectAll(ctx, libraryPreregister(t, site, start.AddDate(-15, 0, 21), &guardianBorn), "e2e staff")
	if err != nil {
		t.Fatal(err)
	}
	adult, err := svc.Collect(ctx, libraryPreregister(t, site, start.AddDate(-35, 0, 0), nil), "e2e staff")
	if err != nil {
		t.Fatal(err)
	}
	remember(child.CustomerNumber, child.GuardianNumber, adult)
	item := func(id string) map[string]any {
		return map[string]any{"id": id, "title": "Kirja " + id, "price": "20.00"}
	}
	due := site.stack.Clock.Now().AddDate(0, 0, 1).Format("2006-01-02")
	lost, kept := "i-"+randomHex(4), "i-"+randomHex(4)
	post := func(events ...map[string]any) {
		t.Helper()
		for _, e := range events {
			e["id"], e["at"] = "ev-"+randomHex(6), at()
		}
		if r := site.postJSON(t, "/library/circulation", map[string]any{"events": events}); r.Status != http.StatusOK || !strings.Contains(r.Body, `"rejected":[]`) {
			t.Fatalf("circulation: %d %s", r.Status, r.Body)
		}
	}
	post(map[string]any{"type": "loan", "customer": child.CustomerNumber, "library": "espoo", "item": item(kept), "due": due},
		map[string]any{"type": "loan", "customer": adult, "library": "vantaa", "item": item(lost), "due": due},
		map[string]any{"type": "fee", "customer": adult, "library": "vantaa", "item": map[string]any{"id": lost}, "amount": "2.00"},
		map[string]any{"type": "payment", "customer": adult, "library": "vantaa", "amount": "2.00"})

	made := map[string]int{}
	tracked := scanLibrary(t, site)
	for _, s := range tracked {
		made[s.rule]++
	}
	deleted, redated := map[string]int{}, map[string]int{}
	transferred := false
	var lastRun time.Time
	for round := 0; round < 60; round++ {
		next := int64(0)
		for _, s := range tracked {
			if s.expiresAt != 0 && s.expiresAt > lastRun.Unix() && (next == 0 || s.expiresAt < next) && s.rule != "patron-unresolved" { // 0: kept until an event, not by time
				next = s.expiresAt
			}
		}
		if next == 0 {
			break
		}
		// The weekly transfer on the first Monday 60 days after the adult's due date.
		if cut := start.AddDate(0, 0, 63); !transferred && time.Unix(next, 0).After(cut) {
			moveClock(t, site.url, url.Values{"set": {cut.Format(time.RFC3339)}})
			site.runSchedules(t, "LibraryTransferFunction")
			post(map[string]any{"type": "return", "customer": adult, "library": "vantaa", "item": map[string]any{"id": lost}})
			transferred = true
			now := scanLibrary(t, site) // the returned loan went at once: the library's code, not the sweep
			for id, s := range now {
				if _, ok := tracked[id]; !ok {
					made[s.rule]++
				}
			}
			tracked = now
			continue
		}
		moveClock(t, site.url, url.Values{"set": {time.Unix(next, 0).Add(time.Hour).Format(time.RFC3339)}})
		site.runSchedules(t, "LibraryRetentionFunction")
		lastRun = site.stack.Clock.Now()
		present := scanLibrary(t, site)
		goneOwners := map[string]bool{}
		for id, s := range tracked {
			if _, ok := present[id]; !ok && s.kind == "patron" {
				goneOwners[s.pk] = true
			}
		}
		for id, s := range tracked {
			p, there := present[id]
			switch {
			case !there && s.expiresAt != 0 && s.expiresAt <= lastRun.Unix():
				deleted[s.rule]++
				delete(tracked, id)
			case !there && wentWith(s, goneOwners):
				deleted["with "+s.kind]++ // went with its patron
				delete(tracked, id)
			case !there:
				t.Errorf("%s %s/%s (due %s) went before its time (%s)", s.kind, s.pk, s.sk, time.Unix(s.expiresAt, 0).UTC(), lastRun.UTC())
				delete(tracked, id)
			case s.expiresAt != 0 && s.expiresAt <= lastRun.Unix() && p.expiresAt <= lastRun.Unix():
				t.Errorf("%s item due %s is still there at %s", s.rule, time.Unix(s.expiresAt, 0).UTC(), lastRun.UTC())
			case p.expiresAt != s.expiresAt:
				if s.rule == "patron-unresolved" {
					redated[s.rule]++
				}
				tracked[id] = p
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("made %v; deleted %v; re-dated %v", made, deleted, redated)
	for _, c := range libraryRetentionCases {
		switch {
		case made[c.rule] == 0:
			t.Errorf("no item under %s (%s) was made", c.rule, c.made)
		case c.rule == "patron-unresolved":
			if redated[c.rule] == 0 {
				t.Errorf("the unresolved patron was never looked at again")
			}
		case deleted[c.rule] == 0:
			t.Errorf("no item under %s (%s) went", c.rule, c.made)
		}
	}
	// What goes with a patron (its links both ways and its reservations):
	// TestLibraryRetention; here the child's links lapse at 15 first.
}

// wentWith reports whether s is a record of a patron that went (its
// partition), or the other side of a link to one (its sort key names it).
func wentWith(s libStored, gone map[string]bool) bool {
	if s.kind != "guardian-link" && s.kind != "loan" {
		return false
	}
	for pk := range gone {
		if s.pk == pk || strings.HasSuffix(s.sk, "#"+strings.TrimPrefix(pk, "patron#")) {
			return true
		}
	}
	return false
}
