package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"rekisteri/infra/awsprobe"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/library"
)

// The weekly transfer's people: an adult 60 days overdue, an adult one day
// less, a 16-year-old. Their identity codes must appear in the week's file
// and nowhere else (TestZZIdentityCodesNowhereInClear reads testCodes).
var (
	transferAdult = "150380-4121"
	transferLate  = "220785-5384"
	transferChild = "150610A664H"
)

func init() {
	testCodes = append(testCodes, transferAdult, transferLate, transferChild)
	remember(transferAdult, transferLate, transferChild, "Perintä-Aikuinen", "Myöhäinen", "Lapsenen")
}

// transferFaults fail the transfer site's AWS calls on demand.
var transferFaults = awsprobe.NewFaults(11)

// newTransferSite is a local stack of its own on the suite's emulators: its
// own clock (the test moves it by months) and faults.
func newTransferSite(t *testing.T) *clockSite {
	t.Helper()
	return ownSite(t, "ltr", transferFaults.Attach)
}

// transferPatron pre-registers a person through the form and collects the
// card at the desk: their customer number.
func transferPatron(t *testing.T, site *clockSite, desk *library.Service, first, last, hetu, group string) string {
	t.Helper()
	r := site.postJSON(t, "/library/register", map[string]string{
		"first_name": first, "last_name": last, "hetu": hetu, "street": "Perintäkuja 9", "postcode": "02100", "city": "Espoo",
		"phone": "0405550000", "email": newAddress(t), "lang": "fi", "channel": "email", "group": group,
	})
	var got struct{ Reference string }
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != 202 || got.Reference == "" {
		t.Fatalf("pre-registration of %s: %d %s", group, r.Status, r.Body)
	}
	customer, err := desk.Collect(context.Background(), got.Reference, "e2e-desk")
	if err != nil {
		t.Fatal(err)
	}
	remember(customer)
	return customer
}

// transferFile is the week's file of a library ("" when there is none).
func transferFile(t *testing.T, site *clockSite, week, lib string) string {
	t.Helper()
	out, err := site.stack.Clients().S3.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String(site.stack.Resolve("TransfersBucket")), Key: aws.String(library.TransferFileKey(week, lib))})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchKey") {
			return ""
		}
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// tableItems is every item of one of site's tables, as JSON lines (a Scan:
// an inspection of the test's own data).
func tableItems(t *testing.T, site *clockSite, logical string) []map[string]any {
	t.Helper()
	var all []map[string]any
	var start map[string]types.AttributeValue
	for {
		out, err := site.stack.Clients().DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(site.stack.Resolve(logical)), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		var page []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if start = out.LastEvaluatedKey; start == nil {
			return all
		}
	}
}

// TestLibraryTransferWeekly: the weekly collection-agency transfer on its
// schedule, by the local clock: a 60-day-overdue adult is in the week's file
// of each library that owns an item, a child and a 59-day case are not; the
// identity code is in that file and nowhere else; a run that fails half-way
// is finished by the next without anything twice; next week's file does not
// hold the loan again.
func TestLibraryTransferWeekly(t *testing.T) {
	site := newTransferSite(t)
	desk := libraryDesk(t, site)
	adult := transferPatron(t, site, desk, "Aatu", "Perintä-Aikuinen", transferAdult, "adult")
	late := transferPatron(t, site, desk, "Maija", "Myöhäinen", transferLate, "adult")
	child := transferPatron(t, site, desk, "Lauri", "Lapsenen", transferChild, "child")

	start := site.stack.Clock.Now()
	due := helsinki.Today(start).AddDate(0, 0, 14)
	var events []map[string]any
	for i, l := range []struct {
		customer, library, item string
		due                     time.Time
	}{
		{adult, "espoo", "tr-e-" + randomHex(3), due},
		{adult, "vantaa", "tr-v-" + randomHex(3), due},
		{late, "helsinki", "tr-h-" + randomHex(3), due.AddDate(0, 0, 1)},
		{child, "espoo", "tr-c-" + randomHex(3), due},
	} {
		events = append(events, map[string]any{"id": "ev-" + l.item, "type": "loan", "customer": l.customer, "at": start.UTC().Format(time.RFC3339),
			"library": l.library, "item": map[string]string{"id": l.item, "title": "Perittävä nide " + string(rune('A'+i)), "price": "19.90"}, "due": l.due.Format(time.DateOnly)})
	}
	if r := site.postJSON(t, "/library/circulation", map[string]any{"events": events}); r.Status != 200 || !strings.Contains(r.Body, `"accepted":4`) {
		t.Fatalf("the loans: %d %s", r.Status, r.Body)
	}

	// 74 days on: the adult's loans are 60 days overdue, the late one's 59.
	moveClock(t, site.url, url.Values{"advance": {"74d"}})
	week := library.TransferWeek(helsinki.Today(site.stack.Clock.Now()))

	// The second loan's transaction fails: the run reports it (the
	// schedule retries), and what it wrote stays written once.
	transferFaults.FailAfter("DynamoDB.TransactWriteItems", 1, 1)
	err := site.stack.RunSchedules(context.Background(), "LibraryTransferFunction")
	transferFaults.FailNext("DynamoDB.TransactWriteItems", 0)
	if err == nil || !errors.Is(err, awsprobe.ErrInjected) && !strings.Contains(err.Error(), "InjectedFault") {
		t.Fatalf("the run with a failed write: %v", err)
	}
	if n := len(tableItems(t, site, "TransfersTable")); n != 1 {
		t.Fatalf("after the failed run %d transfers, want the 1 written", n)
	}
	site.runSchedules(t, "LibraryTransferFunction")
	files := map[string]string{}
	for _, lib := range library.Libraries {
		files[lib] = transferFile(t, site, week, lib)
	}
	rowsOf := func(file string) [][]string {
		rows, err := csv.NewReader(strings.NewReader(file)).ReadAll()
		if err != nil || len(rows) == 0 || !slices.Equal(rows[0], library.TransferFileColumns) {
			t.Fatalf("file %q: %v", file, err)
		}
		return rows[1:]
	}
	for _, tc := range []struct {
		name, library, code string
		rows                int
	}{
		{"the adult's espoo item", "espoo", transferAdult, 1},
		{"the adult's vantaa item", "vantaa", transferAdult, 1},
		{"the 59-day case", "helsinki", transferLate, 0},
		{"the child", "espoo", transferChild, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			if files[tc.library] != "" {
				for _, r := range rowsOf(files[tc.library]) {
					if r[3] == tc.code {
						n++
						// Formula-safe: the phone in international form starts with +.
						if r[0] != "Aatu Perintä-Aikuinen" || r[1] != "Perintäkuja 9, 02100 Espoo" || r[2] != "'+358405550000" || r[6] != "19.90" || r[4] != due.Format(time.DateOnly) {
							t.Errorf("row %q", r)
						}
					}
				}
			}
			if n != tc.rows {
				t.Errorf("%d rows in the %s file, want %d", n, tc.library, tc.rows)
			}
		})
	}
	if files["helsinki"] != "" || files["kauniainen"] != "" {
		t.Errorf("files for libraries with nothing to collect: %q %q", files["helsinki"], files["kauniainen"])
	}

	// A rerun that week changes nothing and sends nothing twice.
	site.runSchedules(t, "LibraryTransferFunction")
	for _, lib := range library.Libraries {
		if got := transferFile(t, site, week, lib); got != files[lib] {
			t.Errorf("the rerun rewrote the %s file differently", lib)
		}
	}
	transfers := tableItems(t, site, "TransfersTable")
	if len(transfers) != 2 {
		t.Fatalf("%d transfers, want 2", len(transfers))
	}
	subject, _ := transfers[0]["subjectKey"].(string)
	var disclosed, opened int
	for _, a := range tableItems(t, site, "AuditTable") {
		if a["subjectKey"] == subject && a["event"] == library.EventTransferDisclosed {
			disclosed++
		}
		if a["subjectKey"] == subject && a["event"] == library.EventHetuDecrypted {
			opened++
		}
	}
	if disclosed != 2 || opened < 2 {
		t.Errorf("the adult's audit: %d disclosures (want 2, one per item), %d openings", disclosed, opened)
	}
	patrons := tableItems(t, site, "PatronsTable")
	for _, p := range patrons {
		if p["customerNumber"] == adult && (p["openTransfers"] != float64(2) || p["status"] != "unresolved") {
			t.Errorf("the adult after the transfer: openTransfers %v status %v", p["openTransfers"], p["status"])
		}
	}

	// The identity codes: in the file, nowhere in the site's tables.
	var stored bytes.Buffer
	for _, logical := range []string{"PatronsTable", "LoansTable", "TransfersTable", "StatisticsTable", "AuditTable", "MailTable"} {
		for _, it := range tableItems(t, site, logical) {
			b, _ := json.Marshal(it)
			stored.Write(b)
		}
	}
	for _, code := range []string{transferAdult, transferLate, transferChild} {
		if strings.Contains(strings.ToUpper(stored.String()), code) {
			t.Errorf("identity code %s in clear in a table", code)
		}
	}

	// A week on the late one is due; the adult's loans are not sent again.
	moveClock(t, site.url, url.Values{"advance": {"7d"}})
	next := library.TransferWeek(helsinki.Today(site.stack.Clock.Now()))
	site.runSchedules(t, "LibraryTransferFunction")
	if got := transferFile(t, site, next, "helsinki"); len(rowsOf(got)) != 1 || rowsOf(got)[0][3] != transferLate {
		t.Errorf("next week's helsinki file: %q", got)
	}
	for _, lib := range []string{"espoo", "vantaa"} {
		if got := transferFile(t, site, next, lib); got != "" {
			t.Errorf("next week's %s file sends the adult's loan again: %q", lib, got)
		}
	}
}
