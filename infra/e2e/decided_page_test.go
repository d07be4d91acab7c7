package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDecidedLinksShowOnlyTheOutcome reads the staff decision page (and the
// customer's cancel page) once nothing is left to decide: a link forwarded,
// kept in a mailbox or opened later must no longer show the booker's data.
func TestDecidedLinksShowOnlyTheOutcome(t *testing.T) {
	tests := []struct {
		name string
		// act decides (or cancels) through the links of the booking.
		act func(t *testing.T, decision, cancel string)
		// want are words of the outcome the pages must still show.
		want []string
	}{
		{
			name: "accepted",
			act: func(t *testing.T, decision, _ string) {
				if r := post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, decision)}, "action": {"accept"}}); r.Status != http.StatusOK {
					t.Fatalf("accept: %d", r.Status)
				} else {
					assertNoBookerData(t, "the page answering Accept", r.Body)
				}
			},
			want: []string{"hyväksytty"},
		},
		{
			name: "declined",
			act: func(t *testing.T, decision, _ string) {
				r := post(t, "/bookings/decision", url.Values{"token": {tokenOf(t, decision)}, "action": {"decline"}, "reason": {"Tila on remontissa"}})
				if r.Status != http.StatusOK {
					t.Fatalf("decline: %d", r.Status)
				}
				assertNoBookerData(t, "the page answering Decline", r.Body)
			},
			want: []string{"hylätty"},
		},
		{
			name: "cancelled by the customer",
			act: func(t *testing.T, _, cancel string) {
				r := post(t, "/bookings/cancel", url.Values{"token": {tokenOf(t, cancel)}, "lang": {"en"}})
				if r.Status != http.StatusOK {
					t.Fatalf("cancel: %d", r.Status)
				}
				assertNoBookerData(t, "the page answering Cancel", r.Body)
			},
			want: []string{"peruttu"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := newAddress(t)
			f := baseBooking(addr).with("payment", "invoice", "street", "Lehmustie 7", "postcode", "02230", "city", "Espoo",
				"organisation", "Kirjakerho Lehmus", "business_id", "0112038-9", "notes", "Esteetön sisäänkäynti")
			ref, r := requestBooking(t, f)
			if r.Status != http.StatusAccepted {
				t.Fatalf("request: %d %s", r.Status, r.Body)
			}
			decision := staffDecisionLink(t, ref)
			cancel := linkIn(t, at(t, mailsTo(t, addr), 0), "/bookings/cancel")
			if page := get(t, decision); page.Status != http.StatusOK || !strings.Contains(page.Body, "Lehmustie 7") {
				t.Fatalf("while pending, staff see the request in full: %d", page.Status)
			}
			tc.act(t, decision, cancel)
			page := get(t, decision)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, ref) {
				t.Fatalf("decided decision page: %d", page.Status)
			}
			for _, w := range tc.want {
				if !strings.Contains(page.Body, w) {
					t.Errorf("the decided page should say %q:\n%s", w, page.Body)
				}
			}
			assertNoBookerData(t, "the decided decision page", page.Body)
			if strings.Contains(page.Body, `name="action"`) {
				t.Error("a decided page offers no decision")
			}
			if c := get(t, cancel); c.Status < 500 {
				assertNoBookerData(t, "the cancel page", c.Body)
			} else {
				t.Fatalf("cancel page: %d", c.Status)
			}
		})
	}
}

func assertNoBookerData(t *testing.T, what, body string) {
	t.Helper()
	for _, v := range []string{"Maija", "Meikäläinen", "@example.com", "+358401234567", "040 123 4567", "Lehmustie", "02230",
		"Kirjakerho", "0112038-9", "Esteetön", "Projektori"} {
		if strings.Contains(body, v) || strings.Contains(body, escape(v)) {
			t.Errorf("%s shows the booker's %q", what, v)
		}
	}
}
