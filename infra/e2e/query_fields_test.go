package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// queryCode is a valid synthetic identity code (individual number 9xx) that
// only ever travels in a URL here: nothing may take it from there.
const queryCode = "151190A904X"

func init() { remember(queryCode) }

// TestPOSTFieldsComeFromTheBodyOnly sends the personal fields of a POST in
// its query string: none of them may be taken. Only token and lang may come
// from a URL.
func TestPOSTFieldsComeFromTheBodyOnly(t *testing.T) {
	addr := newAddress(t)
	invoice := baseBooking(addr).with("payment", "invoice", "street", "Kuusitie 5", "postcode", "02100", "city", "Espoo")
	tests := []struct {
		name  string
		query url.Values
		body  bookingForm
		// wantStatus and, for a 400, the fields that must be refused as missing.
		wantStatus int
		wantErrors []string
	}{
		{
			name:  "an identity code in the query is not taken",
			query: url.Values{"hetu": {queryCode}}, body: invoice,
			wantStatus: http.StatusBadRequest, wantErrors: []string{"hetu"},
		},
		{
			name:  "an address in the query is not taken",
			query: url.Values{"street": {"Kuusitie 5"}, "postcode": {"02100"}, "city": {"Espoo"}, "hetu": {queryCode}},
			body:  invoice.with("street", nil, "postcode", nil, "city", nil, "hetu", nil),
			// Without the body's address an invoice booking is incomplete.
			wantStatus: http.StatusBadRequest, wantErrors: []string{"street", "postcode", "city", "hetu"},
		},
		{
			name:  "lang still comes from the query",
			query: url.Values{"lang": {"sv"}, "hetu": {queryCode}}, body: invoice.with("lang", nil),
			wantStatus: http.StatusBadRequest, wantErrors: []string{"hetu"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(tc.body)
			r := post(t, "/bookings?"+tc.query.Encode(), string(body))
			if r.Status != tc.wantStatus {
				t.Fatalf("want %d, got %d %s", tc.wantStatus, r.Status, r.Body)
			}
			var out struct {
				Errors    map[string]string
				Reference string
			}
			if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
				t.Fatalf("answer %q: %v", r.Body, err)
			}
			if out.Reference != "" {
				t.Fatalf("nothing may be booked: %s", r.Body)
			}
			for _, f := range tc.wantErrors {
				if out.Errors[f] == "" {
					t.Errorf("%s in the query only must count as not sent: %v", f, out.Errors)
				}
			}
			if tc.query.Get("lang") == "sv" && !strings.Contains(out.Errors["hetu"], "personbeteckning") {
				t.Errorf("lang=sv in the query should still choose Swedish: %v", out.Errors)
			}
		})
	}

	// The newsletter: an address in the query subscribes no one.
	nl := newAddress(t)
	r := post(t, "/newsletter/subscribe?"+url.Values{"email": {nl}}.Encode(), url.Values{"consent": {"true"}, "lang": {"en"}}, "Accept", "application/json")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `"email"`) {
		t.Fatalf("an address in the query must count as missing: %d %s", r.Status, r.Body)
	}
	if sub := subscriptionOf(t, nl, "newsletter"); sub != nil {
		t.Fatalf("nothing may be stored from a query: %v", sub)
	}
}
