package library

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

func TestLibraryParseCents(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"23.50", 2350, false},
		{"23.5", 2350, false},
		{"23", 2300, false},
		{"0.01", 1, false},
		{"0.10", 10, false},
		{"9999999.99", 999999999, false},
		{"", 0, false},
		{"23.", 0, true},
		{".50", 0, true},
		{"23.505", 0, true},
		{"-2.00", 0, true},
		{"+2.00", 0, true},
		{"2,00", 0, true},
		{"1e3", 0, true},
		{"10000000.00", 0, true},
		{" 2.00", 0, true},
		{"2.0x", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseCents(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d, bad %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
	for _, c := range []int64{0, 1, 10, 99, 100, 2350, 999999999} {
		if back, err := ParseCents(FormatCents(c)); err != nil || back != c {
			t.Errorf("FormatCents(%d) = %q reads back as %d, %v", c, FormatCents(c), back, err)
		}
	}
	if FormatCents(250) != "2.50" || FormatCents(5) != "0.05" {
		t.Errorf("FormatCents: %q %q", FormatCents(250), FormatCents(5))
	}
}

func TestLibraryParseEvent(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	base := map[string]any{
		"id": "ev-1", "type": "loan", "customer": "2000123", "at": "2026-12-01T09:30:00+02:00", "library": "espoo",
		"item": map[string]any{"id": "i-1", "title": "Seitsemän veljestä", "price": "23.50"}, "due": "2026-12-29",
	}
	with := func(changes map[string]any) json.RawMessage {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name    string
		raw     json.RawMessage
		want    error
		cents   int64
		reason  string
		hasItem bool
	}{
		{"a loan", with(nil), nil, 2350, "", true},
		{"a renewal", with(map[string]any{"type": "renewal", "item": map[string]any{"id": "i-1"}}), nil, 0, "", true},
		{"a return without due", with(map[string]any{"type": "return", "due": nil}), nil, 0, "", true},
		{"a reservation", with(map[string]any{"type": "reservation", "due": nil}), nil, 0, "", true},
		{"a cancelled reservation", with(map[string]any{"type": "reservation-cancelled"}), nil, 0, "", true},
		{"a fee for an item", with(map[string]any{"type": "fee", "amount": "2.00"}), nil, 200, "overdue", true},
		{"a fee without an item", with(map[string]any{"type": "fee", "amount": "2", "item": nil}), nil, 200, "other", false},
		{"a fee with a reason", with(map[string]any{"type": "fee", "amount": "12.40", "reason": "lost"}), nil, 1240, "lost", true},
		{"a payment", with(map[string]any{"type": "payment", "amount": "0.50", "item": nil}), nil, 50, "", false},
		{"an empty item on a payment", with(map[string]any{"type": "payment", "amount": "1.00", "item": map[string]any{}}), nil, 100, "", false},

		{"not an object", json.RawMessage(`"loan"`), ErrEventMalformed, 0, "", false},
		{"a number for the customer", with(map[string]any{"customer": 2000123}), ErrEventMalformed, 0, "", false},
		{"no id", with(map[string]any{"id": nil}), ErrEventID, 0, "", false},
		{"an id with a hash", with(map[string]any{"id": "a#b"}), ErrEventID, 0, "", false},
		{"an id too long", with(map[string]any{"id": strings.Repeat("x", 101)}), ErrEventID, 0, "", false},
		{"unknown type", with(map[string]any{"type": "lend"}), ErrEventType, 0, "", false},
		{"no customer", with(map[string]any{"customer": ""}), ErrEventCustomer, 0, "", false},
		{"a customer with a space", with(map[string]any{"customer": "20 00"}), ErrEventCustomer, 0, "", false},
		{"no time", with(map[string]any{"at": nil}), ErrEventTime, 0, "", false},
		{"a date for a time", with(map[string]any{"at": "2026-12-01"}), ErrEventTime, 0, "", false},
		{"in the future", with(map[string]any{"at": "2026-12-02T10:05:00Z"}), ErrEventTime, 0, "", false},
		{"unknown library", with(map[string]any{"library": "turku"}), ErrEventLibrary, 0, "", false},
		{"a loan without an item", with(map[string]any{"item": nil}), ErrEventItem, 0, "", false},
		{"a loan without a title", with(map[string]any{"item": map[string]any{"id": "i-1", "price": "1.00"}}), ErrEventItem, 0, "", false},
		{"a return without an item id", with(map[string]any{"type": "return", "item": map[string]any{"title": "x"}}), ErrEventItem, 0, "", false},
		{"a loan without a price", with(map[string]any{"item": map[string]any{"id": "i-1", "title": "x"}}), ErrEventPrice, 0, "", false},
		{"a float price", with(map[string]any{"item": map[string]any{"id": "i-1", "title": "x", "price": "23.505"}}), ErrEventPrice, 0, "", false},
		{"a loan without due", with(map[string]any{"due": nil}), ErrEventDue, 0, "", false},
		{"a renewal on 30 February", with(map[string]any{"type": "renewal", "due": "2027-02-30"}), ErrEventDue, 0, "", false},
		{"a fee without amount", with(map[string]any{"type": "fee"}), ErrEventAmount, 0, "", false},
		{"a zero fee", with(map[string]any{"type": "fee", "amount": "0.00"}), ErrEventAmount, 0, "", false},
		{"a payment of minus one", with(map[string]any{"type": "payment", "amount": "-1.00"}), ErrEventAmount, 0, "", false},
		{"a fee for a free-text reason", with(map[string]any{"type": "fee", "amount": "1.00", "reason": "Matti was late"}), ErrEventReason, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := parseEvent(tc.raw, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if ev.cents != tc.cents || ev.Reason != tc.reason || (ev.Item != nil) != tc.hasItem {
				t.Errorf("cents %d reason %q item %v; want %d %q %v", ev.cents, ev.Reason, ev.Item, tc.cents, tc.reason, tc.hasItem)
			}
			if ev.at.Location() != time.UTC || !ev.at.Equal(time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC)) {
				t.Errorf("at %s", ev.at)
			}
		})
	}
}

// TestLibraryRejectionTextsAreFixed: what a rejected event is told names
// no input (the error texts are constants, safe to log and answer).
func TestLibraryRejectionTextsAreFixed(t *testing.T) {
	raw := json.RawMessage(`{"id":"x-1","type":"loan","customer":"Matti Meikäläinen 131052-308T","at":"nope","library":"espoo"}`)
	_, err := parseEvent(raw, time.Now())
	if err == nil || strings.Contains(err.Error(), "Matti") || strings.Contains(err.Error(), "131052") {
		t.Fatalf("rejection %v", err)
	}
}

func TestLibraryDecodeBatch(t *testing.T) {
	many := `{"events":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxCirculationEvents+1), ",") + `]}`
	tests := []struct {
		name, ct, body string
		status, n      int
	}{
		{"one", "application/json", `{"events":[{"id":"a"}]}`, 0, 1},
		{"five hundred", "application/json", `{"events":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxCirculationEvents), ",") + `]}`, 0, MaxCirculationEvents},
		{"five hundred and one", "application/json", many, http.StatusRequestEntityTooLarge, 0},
		{"a form", "application/x-www-form-urlencoded", "events=1", http.StatusUnsupportedMediaType, 0},
		{"not JSON", "application/json", `{"events":`, http.StatusBadRequest, 0},
		{"no events", "application/json", `{"events":[]}`, http.StatusBadRequest, 0},
		{"too big a body", "application/json", `{"events":["` + strings.Repeat("x", circulationBodyLimit) + `"]}`, http.StatusRequestEntityTooLarge, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/library/circulation", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ct)
			got, err := decodeBatch(httptest.NewRecorder(), r)
			status := 0
			var e *web.Error
			if errors.As(err, &e) {
				status = e.Status
			} else if err != nil {
				t.Fatalf("not a web error: %v", err)
			}
			if status != tc.status || len(got) != tc.n {
				t.Errorf("status %d, %d events; want %d, %d (%v)", status, len(got), tc.status, tc.n, err)
			}
		})
	}
}

func TestLibraryPayFees(t *testing.T) {
	fees := func() []Fee {
		return []Fee{
			{SK: FeeSK("f3"), Amount: "3.00", CreatedAt: "2026-11-03T10:00:00Z", LoanRef: "i-3", Status: FeeUnpaid},
			{SK: FeeSK("f1"), Amount: "1.00", CreatedAt: "2026-11-01T10:00:00Z", Status: FeeUnpaid},
			{SK: FeeSK("f2"), Amount: "2.00", Paid: "0.50", CreatedAt: "2026-11-02T10:00:00Z", LoanRef: "i-2", Status: FeeUnpaid},
		}
	}
	pay := func(amount int64, item string) event {
		ev := event{cents: amount}
		if item != "" {
			ev.Item = &EventItem{ID: item}
		}
		return ev
	}
	tests := []struct {
		name string
		ev   event
		want []string // fee id: status paid
	}{
		{"exactly the oldest", pay(100, ""), []string{"f1:resolved:"}},
		{"the oldest and part of the next", pay(120, ""), []string{"f1:resolved:", "f2:unpaid:0.70"}},
		{"the rest of a part-paid fee", pay(250, ""), []string{"f1:resolved:", "f2:resolved:"}},
		{"everything and more", pay(10000, ""), []string{"f1:resolved:", "f2:resolved:", "f3:resolved:"}},
		{"too little for any", pay(10, ""), []string{"f1:unpaid:0.10"}},
		{"the fee for an item", pay(300, "i-3"), []string{"f3:resolved:"}},
		{"the fee by its id", pay(150, "f2"), []string{"f2:resolved:"}},
		{"an item without fees", pay(300, "i-9"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range payFees(fees(), tc.ev, "2026-12-01T10:00:00Z") {
				got = append(got, c.changed.ID()+":"+c.changed.Status+":"+c.changed.Paid)
				if c.was.Status != FeeUnpaid {
					t.Errorf("the fee as read changed too: %+v", c.was)
				}
				if (c.changed.Status == FeeResolved) != (c.changed.ResolvedAt != "") {
					t.Errorf("resolvedAt %q with status %s", c.changed.ResolvedAt, c.changed.Status)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("changed %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLibraryKeyPart(t *testing.T) {
	for s, want := range map[string]bool{"ev-1": true, "2000123": true, "sierra:i.10_2": true, "": false, "a#b": false, "a b": false, "ä": false, strings.Repeat("1", 33): false} {
		if got := keyPart(s, 32); got != want {
			t.Errorf("keyPart(%q) = %v", s, got)
		}
	}
}

// noLoans is a dynamoAPI that holds nothing: every read finds no item.
type noLoans struct{ dynamoAPI }

func (noLoans) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

// TestLibraryRestrictedLoanNotCounted: a restricted patron's loan is
// applied (the loan, the count of open loans) but not counted in the
// statistics (Art. 18: only what the legal claim needs).
func TestLibraryRestrictedLoanNotCounted(t *testing.T) {
	s, err := NewService(Deps{Register: register.MustLoad("library"), Platform: register.MustLoad("museum"), DB: noLoans{},
		Tables: Tables{Patrons: "p", Loans: "l", Transfers: "t", Statistics: "s", Mail: "m", Audit: "a", Bookings: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	ev, err := parseEvent(json.RawMessage(`{"id":"e1","type":"loan","customer":"2000123","at":"2026-12-02T09:00:00Z","library":"vantaa","item":{"id":"i1","title":"T","price":"1.00"},"due":"2026-12-30"}`), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, restricted := range []bool{false, true} {
		p := &Patron{CustomerGroup: GroupAdult, BirthDate: "1980-05-17", Lang: "fi"}
		items, err := s.effect(context.Background(), ev, p, restricted)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for _, it := range items {
			switch {
			case it.Put != nil:
				tables = append(tables, "put "+*it.Put.TableName)
			case it.Delete != nil:
				tables = append(tables, "delete "+*it.Delete.TableName)
			case it.Update != nil:
				tables = append(tables, "update "+*it.Update.TableName)
			}
		}
		want := "put l,delete l,update s"
		if restricted {
			want = "put l,delete l"
		}
		if strings.Join(tables, ",") != want || p.OpenLoans != 1 {
			t.Errorf("restricted %v: %v, openLoans %d; want %s", restricted, tables, p.OpenLoans, want)
		}
	}
}
