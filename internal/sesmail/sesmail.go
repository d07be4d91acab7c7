// Package sesmail sends finished MIME messages through SES v2. Raw content
// keeps our own List-Unsubscribe headers and both text and HTML parts.
package sesmail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

type emailSender interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender sends raw mail.
type Sender struct{ api emailSender }

// New returns a Sender using api.
func New(api emailSender) *Sender { return &Sender{api: api} }

// Tag is an SES message tag (EmailTags): it comes back in the message's
// events (bounces, complaints) as mail.tags.<name>.
type Tag struct{ Name, Value string }

// tagMax is SES's limit on a tag's name and value.
const tagMax = 256

// TagValue is s as SES accepts it in a tag's name or value: ASCII letters,
// digits, '_' and '-', at most 256 characters; any other character becomes
// '_'. An empty s stays empty (and the tag is left off).
func TagValue(s string) string {
	b := []byte(s)
	if len(b) > tagMax {
		b = b[:tagMax]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// SendRaw sends one message to one recipient under a configuration set,
// with tags (names and values made what SES accepts, see TagValue; a tag
// with an empty name or value left off), and returns SES's message id.
func (s *Sender) SendRaw(ctx context.Context, from, to, configurationSet string, raw []byte, tags ...Tag) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if configurationSet != "" {
		in.ConfigurationSetName = aws.String(configurationSet)
	}
	for _, t := range tags {
		name, value := TagValue(t.Name), TagValue(t.Value)
		if name != "" && value != "" {
			in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(name), Value: aws.String(value)})
		}
	}
	out, err := s.api.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("ses send: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}
