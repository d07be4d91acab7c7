package requests_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
)

// The libraries' register reached by the same requests code as the
// museum's: its records found by the patron's subject key in every library
// table, explained by library.yaml, erased only as its erasure blocks allow.

// patronRecords are a patron's records of every library kind, as the
// library function writes them, and one earlier request of theirs in the
// museum's requests table (the platform's), and the request being processed.
func patronRecords(p string) (library, museum []held) {
	library = []held{
		{name: "patron with a matter", kind: "patron", state: "unresolved", table: "patrons", pk: "patron#" + p, sk: "patron",
			attrs: map[string]string{"customerNumber": p, "firstName": "Liisa", "lastName": "Lukija", "identityCode": "SEALED-HETU-" + p,
				"pin": "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", "email": "liisa@example.fi", "status": "unresolved", "lastUsedAt": "2026-10-01T10:00:00Z"},
			kept: true, reason: "legal-obligation"},
		{name: "open loan", kind: "loan", state: "open", table: "loans", pk: "patron#" + p, sk: "loan#i1",
			attrs: map[string]string{"itemId": "i1", "title": "Seitsemän veljestä", "price": "23.50", "owner": "espoo", "type": "loan", "status": "open", "dueDate": "2026-09-01"},
			kept:  true, reason: "legal-obligation"},
		{name: "reservation", kind: "loan", state: "reserved", table: "loans", pk: "patron#" + p, sk: "loan#i2",
			attrs: map[string]string{"itemId": "i2", "title": "Kalevala", "owner": "vantaa", "type": "reservation", "status": "reserved", "reservedAt": "2026-11-01T10:00:00Z"}},
		{name: "unpaid fee", kind: "fee", state: "unpaid", table: "loans", pk: "patron#" + p, sk: "fee#f1",
			attrs: map[string]string{"amount": "2.00", "owner": "espoo", "reason": "overdue", "status": "unpaid", "createdAt": "2026-09-10T10:00:00Z"},
			kept:  true, reason: "legal-obligation"},
		{name: "paid fee", kind: "fee", state: "resolved", table: "loans", pk: "patron#" + p, sk: "fee#f0",
			attrs: map[string]string{"amount": "1.00", "owner": "helsinki", "status": "resolved", "createdAt": "2026-01-10T10:00:00Z", "resolvedAt": "2026-02-01T10:00:00Z"}},
		{name: "collection transfer", kind: "transfer", state: "open", table: "transfers", pk: "batch#2026-W45#espoo", sk: "item#i1" + p,
			attrs: map[string]string{"batch": "2026-W45", "owner": "espoo", "name": "Liisa Lukija", "identityCode": "SEALED-HETU-" + p, "dueDate": "2026-09-01",
				"title": "Seitsemän veljestä", "price": "23.50", "status": "open", "transferredAt": "2026-11-09T04:00:00Z"},
			kept: true, reason: "legal-obligation"},
		{name: "dependant link", kind: "guardian-link", state: "active", table: "patrons", pk: "patron#" + p, sk: "dependant#c" + p,
			attrs: map[string]string{"role": "guardian", "createdAt": "2026-01-01T10:00:00Z", "lastUsedAt": "2026-10-01T10:00:00Z"}},
	}
	museum = []held{
		{name: "older request", kind: "request", state: "resolved", table: "requests", pk: "REQUEST#old" + p, sk: "REQUEST",
			attrs: map[string]string{"type": "access", "register": "library", "email": "liisa@example.fi", "status": "resolved", "receivedAt": "2026-03-01T10:00:00Z", "resolvedAt": "2026-03-05T10:00:00Z"},
			kept:  true, reason: "request-evidence"},
		{name: "this request", kind: "request", state: "open", table: "requests", pk: "REQUEST#this" + p, sk: "REQUEST",
			attrs:   map[string]string{"type": "erasure", "register": "library", "email": "liisa@example.fi", "status": "open", "receivedAt": "2026-12-01T09:00:00Z"},
			skipped: true},
	}
	return library, museum
}

// libraryStores are the museum's and the libraries' seams over one stack.
type libraryStack struct {
	museum, library *record.Catalogue
	stores          []*recordstore.Store
	db              *dynamodb.Client
}

func libraryStores(t *testing.T) libraryStack {
	t.Helper()
	stack := localtest.Stack(t, "lib")
	db := stack.Clients().DynamoDB
	ls := libraryStack{museum: localtest.Catalogue(t, stack, "museum"), library: localtest.Catalogue(t, stack, "library"), db: db}
	ls.stores = []*recordstore.Store{recordstore.NewStore(db, ls.museum), recordstore.NewStore(db, ls.library)}
	return ls
}

// write stores p's records in both registers' tables through the seam.
func (ls libraryStack) write(t *testing.T, p string, library, museum []held) {
	t.Helper()
	writeRecordsOf(t, ls.library, ls.db, subjectOf(p), library)
	writeRecordsOf(t, ls.museum, ls.db, subjectOf(p), museum)
}

func TestLibraryPatronsAccessCopy(t *testing.T) {
	ctx := context.Background()
	ls := libraryStores(t)
	ls.write(t, "a", first(patronRecords("a")), second(patronRecords("a")))
	ls.write(t, "b", first(patronRecords("b")), nil) // someone else: nothing of theirs in a's copy
	holdings, err := requests.CollectAll(ctx, ls.stores, subjectOf("a"), func(table string, it map[string]types.AttributeValue) bool {
		return table == "requests" && sOf(it["pk"]) == "REQUEST#thisa"
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range holdings {
		got = append(got, h.Register.ID+"/"+h.Kind+":"+strings.Repeat("x", len(h.Items)))
	}
	want := []string{"museum/request:x", "library/patron:x", "library/guardian-link:x", "library/loan:xx", "library/fee:xx", "library/transfer:x"}
	if !slices.Equal(got, want) {
		t.Fatalf("holdings %v, want %v", got, want)
	}
	lib := register.MustLoad("library")
	for _, lang := range register.Languages {
		t.Run(lang, func(t *testing.T) {
			cp, err := requests.BuildCopy(lib, requests.Request{PK: "REQUEST#r0123456789ab", Lang: lang, Register: "library"}, holdings, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{"json": string(cp.JSON), "html": string(cp.HTML)} {
				if strings.Contains(body, "SEALED-HETU") || strings.Contains(body, "argon2id") {
					t.Errorf("%s: the sealed identity code or the PIN hash is in the copy", name)
				}
				for _, s := range []string{"Seitsemän veljestä", "Kalevala", "2.00", "2026-W45"} {
					if !strings.Contains(body, s) {
						t.Errorf("%s: no %q (loans, fees, the transfer)", name, s)
					}
				}
			}
			html := string(cp.HTML)
			for _, c := range lib.Controllers { // Art. 26: every joint controller with its registry office
				if !strings.Contains(html, c.Name.In(lang)) || !strings.Contains(html, c.Office.Address) {
					t.Errorf("html: joint controller %s or its office missing", c.ID)
				}
			}
			agency := lib.Recipients[slices.IndexFunc(lib.Recipients, func(r register.Recipient) bool { return r.ID == "collection-agency" })]
			patron, _ := lib.Record("patron")
			for what, s := range map[string]string{"the collection agency": agency.Name.In(lang), "retention": patron.Retention[0].Text.In(lang),
				"a source": lib.Sources[0].Name.In(lang), "the purpose": lib.Purposes[1].Name.In(lang)} {
				if !strings.Contains(html, template(s)) {
					t.Errorf("html: %s missing", what)
				}
			}
			var doc struct {
				Register, Controller string
				Records              []struct {
					Kind, Register string
					Items          []map[string]any
				}
			}
			if err := json.Unmarshal(cp.JSON, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Register != "library" || !strings.Contains(doc.Controller, lib.Controllers[3].Name.In(lang)) {
				t.Errorf("json: register %q controller %q", doc.Register, doc.Controller)
			}
			for _, r := range doc.Records {
				if (r.Kind == "request") != (r.Register == "museum") {
					t.Errorf("json: kind %s is explained by register %q", r.Kind, r.Register)
				}
				if r.Kind == "patron" && (r.Items[0]["identityCode"] != requests.MaskedText || r.Items[0]["pin"] != requests.MaskedText) {
					t.Errorf("json: the patron's identity code and PIN are %v, %v; want %q", r.Items[0]["identityCode"], r.Items[0]["pin"], requests.MaskedText)
				}
			}
		})
	}
}

// template is s as html/template escapes text.
func template(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

func first(a, _ []held) []held  { return a }
func second(_, b []held) []held { return b }

func TestLibraryErasureKeepsWhatTheLawKeeps(t *testing.T) {
	ctx := context.Background()
	ls := libraryStores(t)
	lib, mus := patronRecords("a")
	ls.write(t, "a", lib, mus)
	// A patron with no matter, unused for a while: the inactivity rule
	// would delete them anyway, so erasure may.
	idle := []held{{name: "idle patron", kind: "patron", state: "active", table: "patrons", pk: "patron#c", sk: "patron",
		attrs: map[string]string{"customerNumber": "c", "firstName": "Ilmari", "status": "active", "lastUsedAt": "2025-02-01T10:00:00Z"}}}
	ls.write(t, "c", idle, nil)
	e := requests.NewEraser(ls.stores[0], &fakeExports{}, ls.stores[1])
	for _, tc := range []struct {
		p                    string
		recs                 []held
		wantDelete, wantKeep requests.Counts
		wantExceptions       []string
	}{
		{p: "a", recs: append(slices.Clone(lib), mus...),
			wantDelete: requests.Counts{"loan": 1, "fee": 1, "guardian-link": 1},
			wantKeep:   requests.Counts{"patron": 1, "loan": 1, "fee": 1, "transfer": 1, "request": 1}, wantExceptions: []string{"legal-obligation", "request-evidence"}},
		{p: "c", recs: idle, wantDelete: requests.Counts{"patron": 1}, wantKeep: requests.Counts{}},
	} {
		t.Run(tc.p, func(t *testing.T) {
			inv, err := e.Inventory(ctx, subjectOf(tc.p), skipThis(tc.p))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inv.Delete, tc.wantDelete) || !reflect.DeepEqual(inv.Keep, tc.wantKeep) || !slices.Equal(inv.Exceptions, tc.wantExceptions) {
				t.Fatalf("inventory: delete %v keep %v exceptions %v", inv.Delete, inv.Keep, inv.Exceptions)
			}
			if _, err := e.Erase(ctx, subjectOf(tc.p), "rthis"+tc.p, eraseNow, skipThis(tc.p), nil); err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.recs {
				cat := ls.library
				if r.table == "requests" {
					cat = ls.museum
				}
				it := getItem(t, cat, ls.db, r.table, r.pk, r.sk)
				switch {
				case r.skipped:
					if it == nil || it["restrictedAt"] != nil {
						t.Errorf("%s: the request being processed was touched", r.name)
					}
				case r.kept:
					if it == nil || sOf(it["restrictedFor"]) != r.reason {
						t.Errorf("%s: want kept, restricted for %s; got %v", r.name, r.reason, it["restrictedFor"])
					}
				case it != nil:
					t.Errorf("%s: not erased", r.name)
				}
			}
		})
	}
}

func TestLibraryRestrictionFlagsEveryRecordOfThePatron(t *testing.T) {
	ctx := context.Background()
	ls := libraryStores(t)
	lib, mus := patronRecords("a")
	ls.write(t, "a", lib, mus)
	ls.write(t, "b", first(patronRecords("b")), nil)
	e := requests.NewEraser(ls.stores[0], nil, ls.stores[1])
	got, err := e.Restrict(ctx, subjectOf("a"), "rthisa", eraseNow, skipThis("a"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"patron": 1, "guardian-link": 1, "loan": 2, "fee": 2, "transfer": 1, "request": 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("restricted %v, want %v", got, want)
	}
	for _, r := range first(patronRecords("b")) {
		if it := getItem(t, ls.library, ls.db, r.table, r.pk, r.sk); it != nil && it["restrictedAt"] != nil {
			t.Errorf("someone else's %s was restricted", r.name)
		}
	}
	lifted, err := e.Lift(ctx, subjectOf("a"), "rthisa", eraseNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n := lifted["patron"] + lifted["loan"] + lifted["fee"] + lifted["transfer"] + lifted["guardian-link"]; n != 7 {
		t.Errorf("lifted %v", lifted)
	}
}
