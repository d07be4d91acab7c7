package newsletter_test

import (
	"context"
	"testing"

	"rekisteri/internal/audience"
	"rekisteri/internal/recordstore"
)

// TestAudienceFollowsTheSubscription: a confirmed subscription is on its
// list's audience (sendTo) unless its address bounced hard; an unsubscribed
// one is not; a restricted one stays (the campaign skips it itself).
func TestAudienceFollowsTheSubscription(t *testing.T) {
	h := newHarness(t, "nla")
	both := []string{"newsletter", "openings"}
	tests := []struct {
		name string
		// act brings email's subscriptions to the state under test.
		act func(h *harness, email string)
		// want is the sendTo each list's subscription should have: "" is none.
		want func(h *harness, email string) map[string]string
	}{
		{"pending: not yet", func(h *harness, email string) { h.subscribe(email, false, both...) },
			func(h *harness, email string) map[string]string {
				return map[string]string{"newsletter": "", "openings": ""}
			}},
		{"confirmed: on both lists", func(h *harness, email string) { h.subscribe(email, true, both...) },
			func(h *harness, email string) map[string]string {
				return map[string]string{"newsletter": audience.Key("newsletter", h.pk(email)), "openings": audience.Key("openings", h.pk(email))}
			}},
		{"confirmed after the confirmation mail bounced hard: not", func(h *harness, email string) {
			h.subscribe(email, false, "newsletter")
			if f := h.queue(h.sesRecord("sqs-ses-events-hard-bounce.json", email, "fb-pending-confirm", nil)); len(f) != 0 {
				h.t.Fatalf("bounce failed: %v", f)
			}
			h.confirm(email, "newsletter")
		}, func(h *harness, email string) map[string]string { return map[string]string{"newsletter": ""} }},
		{"one of two unsubscribed (one-click): off that list only", func(h *harness, email string) {
			h.subscribe(email, true, both...)
			h.unsubscribe(email, "openings")
		}, func(h *harness, email string) map[string]string {
			return map[string]string{"newsletter": audience.Key("newsletter", h.pk(email)), "openings": ""}
		}},
		{"restricted: kept on the audience", func(h *harness, email string) {
			h.subscribe(email, true, "newsletter")
			store := recordstore.NewStore(h.db, h.cat)
			if err := store.Restrict(context.Background(), "subscribers", recordstore.Key{PK: h.pk(email), SK: "LIST#newsletter"}, h.s.Clock.Now(), "r0123456789ab"); err != nil {
				h.t.Fatal(err)
			}
		}, func(h *harness, email string) map[string]string {
			return map[string]string{"newsletter": audience.Key("newsletter", h.pk(email))}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			email := h.email(tc.name)
			tc.act(h, email)
			for list, want := range tc.want(h, email) {
				sub := h.sub(email, list)
				if got := h.str(sub, audience.Attr); got != want {
					t.Errorf("%s: sendTo = %q, want %q", list, got, want)
				}
				if h.str(sub, "status") == "active" && h.str(sub, audience.SoftBounces) != "0" {
					t.Errorf("%s: softBounces = %q after confirming, want 0", list, h.str(sub, audience.SoftBounces))
				}
			}
		})
	}
}
