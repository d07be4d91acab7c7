package sesmail

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

type recordingSES struct{ in *sesv2.SendEmailInput }

func (r *recordingSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	r.in = in
	return &sesv2.SendEmailOutput{MessageId: aws.String("ses-1")}, nil
}

func TestSendRawTags(t *testing.T) {
	cases := []struct {
		name string
		tags []Tag
		want []string // name=value
	}{
		{"no tags: as before", nil, nil},
		{"class and list", []Tag{{"class", "marketing"}, {"list", "newsletter"}}, []string{"class=marketing", "list=newsletter"}},
		{"characters SES refuses become _ (a byte each)", []Tag{{"list", "uutis.kirje ä/1"}}, []string{"list=uutis_kirje____1"}},
		{"empty value: left off", []Tag{{"class", "transactional"}, {"list", ""}}, []string{"class=transactional"}},
		{"too long: cut at 256", []Tag{{"list", strings.Repeat("a", 300)}}, []string{"list=" + strings.Repeat("a", 256)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &recordingSES{}
			id, err := New(api).SendRaw(context.Background(), "noreply@museo.example.fi", "anna@example.com", "mk", []byte("raw"), c.tags...)
			if err != nil || id != "ses-1" {
				t.Fatalf("SendRaw = %q, %v", id, err)
			}
			var got []string
			for _, tag := range api.in.EmailTags {
				got = append(got, aws.ToString(tag.Name)+"="+aws.ToString(tag.Value))
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("tags %v, want %v", got, c.want)
			}
			if aws.ToString(api.in.ConfigurationSetName) != "mk" || string(api.in.Content.Raw.Data) != "raw" {
				t.Errorf("input %+v", api.in)
			}
		})
	}
}
