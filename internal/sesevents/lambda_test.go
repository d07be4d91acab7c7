package sesevents

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

// lambdaBody reads an SQS Lambda trigger fixture of events/ and returns the
// body of its one record, checking the record is shaped as Lambda delivers it.
func lambdaBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Records []struct {
			MessageID      string `json:"messageId"`
			Body           string `json:"body"`
			MD5OfBody      string `json:"md5OfBody"`
			EventSource    string `json:"eventSource"`
			EventSourceARN string `json:"eventSourceARN"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(in.Records) != 1 {
		t.Fatalf("%s: %d records; want 1", name, len(in.Records))
	}
	r := in.Records[0]
	sum := md5.Sum([]byte(r.Body))
	if r.MD5OfBody != hex.EncodeToString(sum[:]) {
		t.Errorf("%s: md5OfBody does not match the body", name)
	}
	if r.EventSource != "aws:sqs" || r.EventSourceARN != "arn:aws:sqs:eu-north-1:123456789012:rekisteri-ses-events" {
		t.Errorf("%s: source %q, %q", name, r.EventSource, r.EventSourceARN)
	}
	return []byte(r.Body)
}

func TestLambdaFixtures(t *testing.T) {
	tags := func(cs string) map[string][]string {
		return map[string][]string{
			"ses:source-tls-version": {"TLSv1.3"},
			"ses:operation":          {"SendEmail"},
			"ses:configuration-set":  {cs},
			"ses:source-ip":          {"198.51.100.24"},
			"ses:from-domain":        {"example.org"},
			"ses:caller-identity":    {"rekisteri-mailer"},
			"mail-kind":              {"newsletter"},
		}
	}
	tests := []struct {
		file, raw string
		want      Event
	}{
		{"sqs-ses-events-hard-bounce.json", "bounce-permanent-general.json", Event{
			FeedbackID: "0110019ad8c3f9a4-7d1e5b38-0c2f-4a97-8e6b-3d9f1c7a5e02-000000",
			Kind:       HardBounce,
			Recipients: []string{"jane.doe@example.com"},
			MessageID:  "0110019ad8c3f1e2-5b7c9e14-2a6f-4d83-9c1e-7f0a3b5d8e21-000000",
			Tags:       tags("rekisteri-newsletter"),
			At:         time.Date(2026, 12, 1, 9, 14, 7, 512e6, time.UTC),
			Detail:     "Permanent/General",
		}},
		{"sqs-ses-events-soft-bounce.json", "bounce-transient-mailboxfull.json", Event{
			FeedbackID: "0110019ad8c4b1c5-2a8f6d49-1e3b-4c08-9f7a-6b2e0d4c8a13-000000",
			Kind:       SoftBounce,
			Recipients: []string{"matti.meikalainen@example.com"},
			MessageID:  "0110019ad8c4a7b3-8e2d4f61-7c3a-4b95-a0d2-1e6f9c4b7a53-000000",
			Tags:       tags("rekisteri-newsletter"),
			At:         time.Date(2026, 12, 1, 9, 15, 41, 88e6, time.UTC),
			Detail:     "Transient/MailboxFull",
		}},
		{"sqs-ses-events-complaint.json", "complaint-abuse.json", Event{
			FeedbackID: "0110019ad9f2e6a1-4c7b3e95-8d1a-4f62-b3c9-0e5d7a2f4b86-000000",
			Kind:       Complaint,
			Recipients: []string{"liisa.virtanen@example.org"},
			MessageID:  "0110019ad8c5c2d4-3f9a1b72-4e8c-4d16-b7e3-5a2c8f1d6b94-000000",
			Tags:       tags("rekisteri-newsletter"),
			At:         time.Date(2026, 12, 1, 11, 2, 33, 0, time.UTC),
			Detail:     "abuse",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseSNS(lambdaBody(t, tt.file))
			if err != nil {
				t.Fatalf("ParseSNS: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSNS =\n%+v\nwant\n%+v", got, tt.want)
			}
			// The local endpoint posts the bare SES event: the same event.
			raw, err := Parse(read(t, tt.raw))
			if err != nil {
				t.Fatalf("Parse %s: %v", tt.raw, err)
			}
			if !reflect.DeepEqual(raw, got) {
				t.Errorf("Parse(%s) = %+v; differs from the SNS fixture", tt.raw, raw)
			}
		})
	}
}
