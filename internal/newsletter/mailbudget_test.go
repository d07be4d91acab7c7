package newsletter

import (
	"testing"

	"rekisteri/internal/register"
)

// TestResendRuleIsTheDeclaredMailBudget ties the subscribe form's own
// flood rule (a repeated signup within resendAfter mails nothing) to the
// register's declaration of it, so the two cannot drift apart.
func TestResendRuleIsTheDeclaredMailBudget(t *testing.T) {
	b, ok := register.MustLoad("museum").MailBudget("newsletter-subscribe")
	if !ok {
		t.Fatal("the register declares no mail budget for POST /newsletter/subscribe")
	}
	if b.Count != 1 || b.Window.Duration != resendAfter {
		t.Fatalf("declared %d per %s; the code mails 1 per %s", b.Count, b.Window.Duration, resendAfter)
	}
}
