package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"rekisteri/internal/register"
)

// TestBookingMailBudgetStopsFloodingAnAddress sends fifty booking requests
// with one address nobody verified (and twenty at once with another). Every answer is the same 202 and every
// booking is stored, but the address gets at most the declared budget of
// receipts, staff get one notification per mailed receipt, and one notice
// (through the outbox relay) that the rest are held unmailed.
func TestBookingMailBudgetStopsFloodingAnAddress(t *testing.T) {
	reg := register.MustLoad("museum")
	budget, ok := reg.MailBudget("bookings")
	if !ok {
		t.Fatal("the register declares no mail budget for POST /bookings")
	}
	cases := []struct {
		name       string
		requests   int
		concurrent bool
	}{
		{"fifty-in-a-row", 50, false},
		{"twenty-at-once", 20, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := newAddress(t)
			form := baseBooking(addr).with("resource", "catering", "participants", 20, "start", "09:00", "end", "09:30")
			refs := make([]string, c.requests)
			var wg sync.WaitGroup
			for i := range c.requests {
				send := func() {
					defer wg.Done()
					refs[i] = requestWithinBudget(t, form.with("date", freeDay()))
				}
				wg.Add(1)
				if c.concurrent {
					go send()
				} else {
					send()
				}
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			checkBudget(t, reg, budget, addr, refs)
		})
	}
}

var refPattern = regexp.MustCompile(`^KAMU-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// requestWithinBudget sends one booking request and checks the answer is the
// one every request gets; it returns the reference.
func requestWithinBudget(t *testing.T, f bookingForm) string {
	body, _ := json.Marshal(f)
	r := post(t, "/bookings", string(body))
	for tries := 0; r.Status == http.StatusTooManyRequests && tries < 50; tries++ {
		time.Sleep(100 * time.Millisecond) // the API's throttle, not the application's answer
		r = post(t, "/bookings", string(body))
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusAccepted || len(out) != 2 || out["status"] != "received" || !refPattern.MatchString(out["reference"]) {
		t.Errorf("want the same 202 answer every time, got %d %s", r.Status, r.Body)
	}
	return out["reference"]
}

func checkBudget(t *testing.T, reg *register.Register, budget register.MailBudget, addr string, refs []string) {
	t.Helper()
	drain(t)
	for _, ref := range refs {
		if b := bookingItem(t, ref, "BOOKING"); b == nil || b["status"] != "pending" {
			t.Fatalf("booking %s must be stored whatever the budget: %v", ref, b)
		}
	}
	ours := func(to string, subject string) int {
		n := 0
		for _, m := range mailsTo(t, to) {
			for _, ref := range refs {
				if strings.Contains(m.Parsed.Subject, ref) && strings.Contains(m.Parsed.Subject, subject) {
					n++
				}
			}
		}
		return n
	}
	if n := len(mailsTo(t, addr)); n != budget.Count {
		t.Errorf("%d requests mailed the address %d times; the declared budget is %d per %s", len(refs), n, budget.Count, budget.Window.Duration)
	}
	if n := ours(reg.BookingContact, "Uusi varauspyyntö"); n != budget.Count {
		t.Errorf("staff got %d notifications, want one per mailed receipt (%d)", n, budget.Count)
	}
	// The notice of the held requests waits in the outbox for the relay.
	held := 0
	for _, ref := range refs {
		if item(t, "MailTable", "MAIL#held."+ref, "MAIL") == nil {
			continue
		}
		held++
	}
	if held != 1 {
		t.Fatalf("want one held-requests notice for staff, got %d", held)
	}
	advance(t, "1h") // past the relay's patience
	if err := stack.RunSchedules(context.Background(), "MailerFunction"); err != nil {
		t.Fatal(err)
	}
	drain(t)
	if n := ours(reg.BookingContact, "yli rajan"); n != 1 {
		t.Errorf("staff got %d notices of held requests, want 1", n)
	}
	if n := len(mailsTo(t, addr)); n != budget.Count {
		t.Errorf("the relay mailed the address: %d mails", n)
	}
}
