package newsletter

import (
	"slices"
	"testing"

	"rekisteri/internal/audience"
	"rekisteri/internal/register"
)

// TestAudienceAttributesDeclared: the attributes the audience and the
// bounce handling write are declared on the subscription, and an objection
// (applied by the requests capability from the declaration) takes the
// subscription off the audience as an unsubscribe does.
func TestAudienceAttributesDeclared(t *testing.T) {
	reg := register.MustLoad("museum")
	sub, ok := reg.Record("subscription")
	if !ok {
		t.Fatal("no subscription kind")
	}
	for _, a := range []string{audience.Attr, audience.Undeliverable, audience.UndeliverableAt, audience.SoftBounces} {
		if !slices.Contains(sub.Attributes, a) {
			t.Errorf("subscription does not declare %s", a)
		}
	}
	if sub.Objection == nil || !slices.Contains(sub.Objection.Remove, audience.Attr) {
		t.Errorf("an objection leaves the subscription on the audience: remove %v", sub.Objection)
	}
	fb, ok := reg.Record("ses-feedback")
	if !ok || fb.Table != "subscribers" || slices.Contains(fb.Attributes, "email") || slices.Contains(fb.Attributes, "subjectKey") {
		t.Errorf("ses-feedback: %+v, want a subscribers kind without an address or subject", fb)
	}
	if reg.Bounces.SoftInARow < 1 {
		t.Errorf("bounces.softInARow = %d", reg.Bounces.SoftInARow)
	}
}
