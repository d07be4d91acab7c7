package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/library"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/retention"
)

// startLibraryRetentionSite is a stack of its own on the suite's
// emulators, whose clock moves by years, and the library service staff
// collect cards through (what `staff library collect` calls).
func startLibraryRetentionSite(t *testing.T) (*clockSite, *library.Service) {
	t.Helper()
	return librarySite(t, "lret")
}

// retentionItem is one item of a library table, read as a test inspects its own data.
func retentionItem(t *testing.T, site *clockSite, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := site.stack.Clients().DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(site.stack.Env["LibraryFunction"][table]), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// libraryPreregister posts the pre-registration form as a person does
// (an adult, or with guardian a child under 15 with its guardian) and
// returns the reference.
func libraryPreregister(t *testing.T, site *clockSite, born time.Time, guardianBorn *time.Time) string {
	t.Helper()
	first, last, code := "Reija"+randomHex(2), "Rekisteri"+randomHex(2), libraryHetu(born)
	remember(first, last, code)
	form := map[string]string{"first_name": first, "last_name": last, "hetu": code, "street": "Poistotie 3", "postcode": "02100",
		"city": "Espoo", "email": newAddress(t), "lang": "fi", "channel": "email", "group": "adult"}
	if guardianBorn != nil {
		gFirst, gLast, gCode := "Huoltaja"+randomHex(2), "Rekisteri"+randomHex(2), libraryHetu(*guardianBorn)
		remember(gFirst, gLast, gCode)
		form["group"] = "child"
		form["guardian_first_name"], form["guardian_last_name"], form["guardian_hetu"], form["guardian_email"] = gFirst, gLast, gCode, newAddress(t)
	}
	r := site.postJSON(t, "/library/register", form)
	var out struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || out.Reference == "" {
		t.Fatalf("pre-register: %d %s", r.Status, r.Body)
	}
	return out.Reference
}

// librarySweep is the libraries' sweep as LibraryRetentionFunction and
// `staff retention -register library` build it, for a dry run and the receipts.
func librarySweep(t *testing.T, site *clockSite) (*retention.Sweeper, *retention.TableLedger) {
	t.Helper()
	env := site.stack.Env["LibraryRetentionFunction"]
	if env["REGISTER"] != "library" || env["PLATFORM_REGISTER"] != "museum" {
		t.Fatalf("LibraryRetentionFunction's environment: %v", env)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cat, err := record.FromEnv(register.MustLoad("library"), lookup, true)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := record.FromEnv(register.MustLoad("museum"), lookup, false)
	if err != nil {
		t.Fatal(err)
	}
	db := site.stack.Clients().DynamoDB
	ledger, err := retention.LedgerFor(db, audit, "library", site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := retention.New(cat, recordstore.NewStore(db, cat), ledger, nil, site.stack.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return sw, ledger
}

func libraryReceipts(t *testing.T, site *clockSite, ledger *retention.TableLedger, run string) map[string]retention.Count {
	t.Helper()
	out, err := site.stack.Clients().DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(site.stack.Env["LibraryRetentionFunction"]["AUDIT_TABLE"]), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: ledger.ReceiptPK()}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]retention.Count{}
	last := ""
	for _, it := range out.Items {
		r := retention.ReceiptOf(it)
		if run == "" || r.RunID == run || (run == "last" && r.RunID >= last) {
			if run == "last" && r.RunID > last {
				last, got = r.RunID, map[string]retention.Count{}
			}
			c := r.Count
			c.FirstDue, c.LastDue = 0, 0
			got[r.Rule] = c
		}
	}
	return got
}

// TestLibraryRetention: through the public entry points and the local
// clock, a pre-registration nobody collects is gone after 3 months and the
// sweep, one of 2 months is not; on the 1 January after 3 years unused a
// child and its guardian go with both sides of their link and the child's
// reservation, while a patron with an unpaid fee is kept and counted as
// unresolved; a dry run first changes nothing; the receipts say so, under
// the libraries' own keys, and the museum's sweep state is untouched.
func TestLibraryRetention(t *testing.T) {
	site, svc := startLibraryRetentionSite(t)
	ctx := context.Background()
	start := site.stack.Clock.Now()
	years := func(n int) time.Time { return start.AddDate(-n, 0, -10) }

	// The yearly purge's patrons, collected as staff collect cards.
	guardianBorn := years(41)
	child, err := svc.CollectAll(ctx, libraryPreregister(t, site, years(9), &guardianBorn), "e2e staff")
	if err != nil {
		t.Fatalf("collect the child: %v", err)
	}
	debtor, err := svc.Collect(ctx, libraryPreregister(t, site, years(35), nil), "e2e staff")
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	remember(child.CustomerNumber, child.GuardianNumber, debtor)
	at := site.stack.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	book := map[string]any{"id": "i-" + randomHex(4), "title": "Kalevala", "price": "23.50"}
	r := site.postJSON(t, "/library/circulation", map[string]any{"events": []map[string]any{
		{"id": "rsv-" + randomHex(4), "type": "reservation", "customer": child.CustomerNumber, "at": at, "library": "espoo", "item": book},
		{"id": "fee-" + randomHex(4), "type": "fee", "customer": debtor, "at": at, "library": "vantaa", "item": map[string]any{"id": "i-" + randomHex(4)}, "amount": "4.00"},
	}})
	var res struct{ Accepted int }
	if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != http.StatusOK || res.Accepted != 2 {
		t.Fatalf("circulation: %d %s", r.Status, r.Body)
	}
	patrons := map[string][2]string{ // what the purge removes, and what it keeps
		"the child":                 {library.PatronPK(child.CustomerNumber), library.SKPatron},
		"the guardian":              {library.PatronPK(child.GuardianNumber), library.SKPatron},
		"the child's link":          {library.PatronPK(child.CustomerNumber), library.GuardianSK(child.GuardianNumber)},
		"the guardian's side of it": {library.PatronPK(child.GuardianNumber), library.DependantSK(child.CustomerNumber)},
	}
	reservation := [2]string{library.PatronPK(child.CustomerNumber), library.ReservationSK(book["id"].(string))}
	kept := [2]string{library.PatronPK(debtor), library.SKPatron}
	for what, k := range patrons {
		if retentionItem(t, site, "PATRONS_TABLE", k[0], k[1]) == nil {
			t.Fatalf("%s was not stored", what)
		}
	}
	if retentionItem(t, site, "LOANS_TABLE", reservation[0], reservation[1]) == nil {
		t.Fatal("the child's reservation was not stored")
	}
	if it := retentionItem(t, site, "PATRONS_TABLE", kept[0], kept[1]); str(it["status"]) != library.StateUnresolved {
		t.Fatalf("the patron with an unpaid fee is %q", str(it["status"]))
	}

	// Pre-registrations: one now, one a month later; 3 months and a day on,
	// only the first is gone.
	old := libraryPreregister(t, site, years(30), nil)
	moveClock(t, site.url, url.Values{"advance": {"730h"}}) // a month
	young := libraryPreregister(t, site, years(31), nil)
	moveClock(t, site.url, url.Values{"set": {start.AddDate(0, 3, 1).Format(time.RFC3339)}})
	site.runSchedules(t, "LibraryRetentionFunction")
	if retentionItem(t, site, "PATRONS_TABLE", library.PreregPK(old), library.SKPrereg) != nil {
		t.Error("a pre-registration uncollected for 3 months is still there after the sweep")
	}
	if retentionItem(t, site, "PATRONS_TABLE", library.PreregPK(young), library.SKPrereg) == nil {
		t.Error("a pre-registration of 2 months went")
	}
	// A family collected now, 3 months on, with a reservation: on the
	// coming 1 January it has 2 years and 9 months behind it, and stays.
	later, err := svc.CollectAll(ctx, libraryPreregister(t, site, years(8), &guardianBorn), "e2e staff")
	if err != nil {
		t.Fatalf("collect the second child: %v", err)
	}
	remember(later.CustomerNumber, later.GuardianNumber)
	laterBook := "i-" + randomHex(4)
	r = site.postJSON(t, "/library/circulation", map[string]any{"events": []map[string]any{
		{"id": "rsv-" + randomHex(4), "type": "reservation", "customer": later.CustomerNumber, "at": site.stack.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"library": "helsinki", "item": map[string]any{"id": laterBook, "title": "Pikku Myy", "price": "12.00"}},
	}})
	if r.Status != http.StatusOK {
		t.Fatalf("circulation: %d %s", r.Status, r.Body)
	}
	stays := map[string][3]string{
		"the later child":                 {"PATRONS_TABLE", library.PatronPK(later.CustomerNumber), library.SKPatron},
		"the later child's link":          {"PATRONS_TABLE", library.PatronPK(later.CustomerNumber), library.GuardianSK(later.GuardianNumber)},
		"the later guardian's side of it": {"PATRONS_TABLE", library.PatronPK(later.GuardianNumber), library.DependantSK(later.CustomerNumber)},
		"the later child's reservation":   {"LOANS_TABLE", library.PatronPK(later.CustomerNumber), library.ReservationSK(laterBook)},
	}
	sw, ledger := librarySweep(t, site)
	if got := libraryReceipts(t, site, ledger, "last")["preregistration-uncollected"]; got.Deleted != 1 {
		t.Errorf("the run's receipt for preregistration-uncollected: %+v", got)
	}

	// 3 years unused: nothing goes on 31 December; on 1 January the purge.
	jan := time.Date(start.Year()+4, 1, 1, 0, 0, 0, 0, time.UTC)
	moveClock(t, site.url, url.Values{"set": {jan.Add(-12 * time.Hour).Format(time.RFC3339)}})
	site.runSchedules(t, "LibraryRetentionFunction")
	for what, k := range patrons {
		if retentionItem(t, site, "PATRONS_TABLE", k[0], k[1]) == nil {
			t.Errorf("%s went before 1 January", what)
		}
	}
	moveClock(t, site.url, url.Values{"set": {jan.Add(90 * time.Minute).Format(time.RFC3339)}}) // 03:30 in Helsinki: the schedule's hour
	// The dry run first: what would go, and nothing changed.
	dry, err := sw.DryRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	dry.Write(&out)
	t.Logf("dry run:\n%s", out.String())
	if c := dry.Rules["patron-inactive"]; c == nil || c.Deleted != 2 || c.With != 3 {
		t.Errorf("the dry run would delete %+v under patron-inactive, want the child and the guardian with their link's 2 sides and the reservation", c)
	}
	if c := dry.Rules["patron-unresolved"]; c == nil || c.Kept != 1 {
		t.Errorf("the dry run keeps %+v under patron-unresolved, want the patron with a fee", c)
	}
	for what, k := range patrons {
		if retentionItem(t, site, "PATRONS_TABLE", k[0], k[1]) == nil {
			t.Errorf("the dry run deleted %s", what)
		}
	}
	site.runSchedules(t, "LibraryRetentionFunction")
	for what, k := range patrons {
		if retentionItem(t, site, "PATRONS_TABLE", k[0], k[1]) != nil {
			t.Errorf("%s is still there after the yearly purge", what)
		}
	}
	if retentionItem(t, site, "LOANS_TABLE", reservation[0], reservation[1]) != nil {
		t.Error("the deleted child's reservation is still there")
	}
	it := retentionItem(t, site, "PATRONS_TABLE", kept[0], kept[1])
	if it == nil {
		t.Fatal("the patron with an unpaid fee went")
	}
	if exp, _ := record.TimeOf(it["expiresAt"]); !exp.Equal(jan.AddDate(1, 0, 0)) || it["purgeAt"] != nil {
		t.Errorf("the kept patron is looked at again %s (purgeAt %v), want the next 1 January and no TTL", exp, it["purgeAt"])
	}
	for what, k := range stays {
		if retentionItem(t, site, k[0], k[1], k[2]) == nil {
			t.Errorf("%s went, 2 years and 9 months after its last use", what)
		}
	}
	receipts := libraryReceipts(t, site, ledger, "last")
	if got := receipts["patron-inactive"]; got.Deleted != 2 || got.With != 3 || got.Errors != 0 {
		t.Errorf("the receipt for patron-inactive: %+v", got)
	}
	if got := receipts["patron-unresolved"]; got.Kept != 1 || got.Deleted != 0 {
		t.Errorf("the receipt for patron-unresolved: %+v, want 1 kept", got)
	}
	// The museum's sweep has its own state, untouched by the libraries'.
	st, err := site.stack.Clients().DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(site.stack.Env["LibraryRetentionFunction"]["AUDIT_TABLE"]),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: retention.StatePK}, "sk": &types.AttributeValueMemberS{Value: retention.StateSK}}})
	if err != nil || st.Item != nil {
		t.Errorf("the libraries' sweep wrote the museum's state: %v %v", st.Item, err)
	}
}
