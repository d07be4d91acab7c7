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

// SendRaw sends one message to one recipient under a configuration set and
// returns SES's message id.
func (s *Sender) SendRaw(ctx context.Context, from, to, configurationSet string, raw []byte) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if configurationSet != "" {
		in.ConfigurationSetName = aws.String(configurationSet)
	}
	out, err := s.api.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("ses send: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}
