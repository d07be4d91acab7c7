package newsletter

import (
	"context"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// Config is the newsletter function's environment (template.yaml).
type Config struct {
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	SubscribersTable string   `env:"SUBSCRIBERS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	AuditTable       string   `env:"AUDIT_TABLE"`
	MailQueueURL     string   `env:"MAIL_QUEUE_URL"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
}

// Function builds the newsletter Lambda: HTTP routes and the signups queue.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load("museum")
	if err != nil {
		return awslambda.Function{}, err
	}
	svc := NewService(reg,
		dynamo.NewClient(awsCfg),
		sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.MailQueueURL),
		keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret),
		Tables{Subscribers: cfg.SubscribersTable, Mail: cfg.MailTable, Audit: cfg.AuditTable},
		cfg.PublicBaseURL)
	return awslambda.Function{
		HTTP: svc.Routes(),
		Queue: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return sqsqueue.Batch(ctx, ev, svc.HandleSignup), nil
		},
	}, nil
}
