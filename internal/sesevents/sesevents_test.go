package sesevents

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	hardAt := time.Date(2026, 12, 1, 9, 14, 7, 512e6, time.UTC)
	tests := []struct {
		name, file string
		kind       Kind
		detail     string
		recipients []string
	}{
		{"permanent general is hard", "bounce-permanent-general.json", HardBounce, "Permanent/General", []string{"jane.doe@example.com"}},
		{"permanent NoEmail is hard", "bounce-permanent-noemail.json", HardBounce, "Permanent/NoEmail", []string{"jane.doe@example.com"}},
		{"permanent Suppressed is still hard", "bounce-permanent-suppressed.json", HardBounce, "Permanent/Suppressed", []string{"jane.doe@example.com"}},
		{"permanent OnAccountSuppressionList is still hard", "bounce-permanent-onaccountsuppressionlist.json", HardBounce, "Permanent/OnAccountSuppressionList", []string{"jane.doe@example.com"}},
		{"transient general is soft", "bounce-transient-general.json", SoftBounce, "Transient/General", []string{"matti.meikalainen@example.com"}},
		{"transient MailboxFull is soft", "bounce-transient-mailboxfull.json", SoftBounce, "Transient/MailboxFull", []string{"matti.meikalainen@example.com"}},
		{"transient MessageTooLarge is soft", "bounce-transient-messagetoolarge.json", SoftBounce, "Transient/MessageTooLarge", []string{"matti.meikalainen@example.com"}},
		{"transient ContentRejected is soft", "bounce-transient-contentrejected.json", SoftBounce, "Transient/ContentRejected", []string{"matti.meikalainen@example.com"}},
		{"transient AttachmentRejected is soft", "bounce-transient-attachmentrejected.json", SoftBounce, "Transient/AttachmentRejected", []string{"matti.meikalainen@example.com"}},
		{"undetermined is soft, not decisive", "bounce-undetermined.json", SoftBounce, "Undetermined/Undetermined", []string{"matti.meikalainen@example.com"}},
		{"recipients trimmed, lower-cased, names dropped, deduplicated", "bounce-recipient-forms.json", HardBounce, "Permanent/General", []string{"jane.doe@example.com", "liisa.virtanen@example.org"}},
		{"complaint abuse", "complaint-abuse.json", Complaint, "abuse", []string{"liisa.virtanen@example.org"}},
		{"complaint without feedback type", "complaint-no-feedback-type.json", Complaint, "unspecified", []string{"liisa.virtanen@example.org"}},
		{"complaint from the suppression list", "complaint-onaccountsuppressionlist.json", Complaint, "OnAccountSuppressionList", []string{"liisa.virtanen@example.org"}},
		{"identity notification bounce (notificationType)", "notification-bounce.json", HardBounce, "Permanent/General", []string{"jane.doe@example.com"}},
		{"identity notification complaint (notificationType)", "notification-complaint.json", Complaint, "abuse", []string{"liisa.virtanen@example.org"}},
		{"Delivery is other", "other-delivery.json", Other, "Delivery", nil},
		{"Send is other", "other-send.json", Other, "Send", nil},
		{"Open is other", "other-open.json", Other, "Open", nil},
		{"Click is other", "other-click.json", Other, "Click", nil},
		{"Reject is other", "other-reject.json", Other, "Reject", nil},
		{"DeliveryDelay is other", "other-deliverydelay.json", Other, "DeliveryDelay", nil},
		{"Rendering Failure is other", "other-rendering-failure.json", Other, "Rendering Failure", nil},
		{"identity notification delivery is other", "other-notification-delivery.json", Other, "Delivery", nil},
		{"SES's SNS subscription test message is other", "other-sns-subscription-succeeded.json", Other, "AmazonSnsSubscriptionSucceeded", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Parse(read(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.Kind != tt.kind || ev.Detail != tt.detail {
				t.Errorf("kind, detail = %q, %q; want %q, %q", ev.Kind, ev.Detail, tt.kind, tt.detail)
			}
			if !slices.Equal(ev.Recipients, tt.recipients) {
				t.Errorf("recipients = %q; want %q", ev.Recipients, tt.recipients)
			}
			if strings.Contains(ev.Detail, "@") {
				t.Errorf("detail %q holds an address", ev.Detail)
			}
			if tt.kind == Other {
				if ev.FeedbackID != "" {
					t.Errorf("other event has feedbackId %q", ev.FeedbackID)
				}
				return
			}
			if !strings.HasSuffix(ev.FeedbackID, "-000000") || ev.MessageID == "" || ev.At.IsZero() {
				t.Errorf("feedbackId %q, messageId %q, at %v", ev.FeedbackID, ev.MessageID, ev.At)
			}
			if tt.file == "bounce-permanent-general.json" && !ev.At.Equal(hardAt) {
				t.Errorf("at = %v; want %v", ev.At, hardAt)
			}
		})
	}
}

func TestParseTags(t *testing.T) {
	ev, err := Parse(read(t, "bounce-permanent-general.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Tags["ses:configuration-set"]; !slices.Equal(got, []string{"rekisteri-newsletter"}) {
		t.Errorf("ses:configuration-set = %q", got)
	}
	if got := ev.Tags["mail-kind"]; !slices.Equal(got, []string{"newsletter"}) {
		t.Errorf("mail-kind = %q", got)
	}
	ev, err = Parse(read(t, "notification-bounce.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Tags != nil {
		t.Errorf("identity notification tags = %v; want none", ev.Tags)
	}
}

func TestMalformed(t *testing.T) {
	parse, sns := Parse, ParseSNS
	tests := []struct {
		name, file string
		parse      func([]byte) (Event, error)
		field      string
	}{
		{"bounce without feedbackId", "bounce-no-feedbackid.json", parse, "bounce.feedbackId"},
		{"bounce with blank feedbackId", "bounce-empty-feedbackid.json", parse, "bounce.feedbackId"},
		{"complaint without feedbackId", "complaint-no-feedbackid.json", parse, "complaint.feedbackId"},
		{"bounce without recipients", "bounce-no-recipients.json", parse, "bounce.bouncedRecipients"},
		{"bounce with an empty recipient list", "bounce-empty-recipients.json", parse, "bounce.bouncedRecipients"},
		{"complaint without recipients", "complaint-no-recipients.json", parse, "complaint.complainedRecipients"},
		{"unknown bounceType", "bounce-unknown-type.json", parse, "bounce.bounceType"},
		{"missing bounceType", "bounce-no-type.json", parse, "bounce.bounceType"},
		{"recipient not an address", "bounce-bad-address.json", parse, "bounce.bouncedRecipients[0].emailAddress"},
		{"blank recipient", "bounce-blank-address.json", parse, "bounce.bouncedRecipients[1].emailAddress"},
		{"recipients of the wrong JSON type", "bounce-recipients-wrong-type.json", parse, "bounce.bouncedRecipients"},
		{"Bounce without a bounce object", "bounce-no-object.json", parse, "bounce"},
		{"Complaint without a complaint object", "complaint-no-object.json", parse, "complaint"},
		{"bounce without timestamp", "bounce-no-timestamp.json", parse, "bounce.timestamp"},
		{"bounce with a bad timestamp", "bounce-bad-timestamp.json", parse, "bounce.timestamp"},
		{"bounce without mail", "bounce-no-mail.json", parse, "mail"},
		{"bounce without mail.messageId", "bounce-no-messageid.json", parse, "mail.messageId"},
		{"neither eventType nor notificationType", "no-eventtype.json", parse, "eventType"},
		{"a JSON array", "json-array.json", parse, ""},
		{"not JSON", "not-json.txt", parse, ""},
		{"truncated JSON", "truncated.json", parse, ""},
		{"SNS body not JSON", "not-json.txt", sns, "sns"},
		{"SNS UnsubscribeConfirmation", "sns-unsubscribe-confirmation.json", sns, "sns.Type"},
		{"SNS envelope without Type", "sns-no-type.json", sns, "sns.Type"},
		{"raw SES event where an SNS envelope is due", "sns-raw-ses-event.json", sns, "sns.Type"},
		{"SNS Message empty", "sns-message-empty.json", sns, "sns.Message"},
		{"SNS Message not a string", "sns-message-wrong-type.json", sns, "sns.Message"},
		{"SNS Message not JSON", "sns-message-not-json.json", sns, "sns.Message"},
		{"SNS Message not an SES event", "sns-message-not-ses.json", sns, "sns.Message.eventType"},
		{"SNS Message a bounce without feedbackId", "sns-message-bounce-no-feedbackid.json", sns, "sns.Message.bounce.feedbackId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := read(t, filepath.Join("malformed", tt.file))
			if !strings.Contains(string(raw), "@") {
				t.Fatalf("fixture %s holds no address, so it tests nothing about leaks", tt.file)
			}
			ev, err := tt.parse(raw)
			if err == nil {
				t.Fatalf("no error; event %+v", ev)
			}
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrSubscriptionConfirmation) {
				t.Fatalf("error %v does not wrap ErrMalformed alone", err)
			}
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error %T is not a *MalformedError", err)
			}
			if me.Field != tt.field {
				t.Errorf("field = %q; want %q (%v)", me.Field, tt.field, err)
			}
			msg := err.Error()
			for _, leak := range []string{"@", "550", "smtp", "user unknown"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q contains %q", msg, leak)
				}
			}
			if ev.Kind != "" || ev.Recipients != nil {
				t.Errorf("event %+v returned with the error", ev)
			}
		})
	}
}

func TestSubscriptionConfirmation(t *testing.T) {
	_, err := ParseSNS(read(t, "sns-subscription-confirmation.json"))
	if !errors.Is(err, ErrSubscriptionConfirmation) {
		t.Fatalf("error = %v; want ErrSubscriptionConfirmation", err)
	}
	if errors.Is(err, ErrMalformed) {
		t.Errorf("subscription confirmation is reported as malformed: %v", err)
	}
}
