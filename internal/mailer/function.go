package mailer

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sesmail"
	"rekisteri/internal/sqsqueue"
)

// Config is the mailer function's environment (template.yaml).
type Config struct {
	MailTable                     string `env:"MAIL_TABLE"`
	MailQueueURL                  string `env:"MAIL_QUEUE_URL"`
	MailFrom                      string `env:"MAIL_FROM"`
	MarketingConfigurationSet     string `env:"MARKETING_CONFIGURATION_SET"`
	TransactionalConfigurationSet string `env:"TRANSACTIONAL_CONFIGURATION_SET"`
}

// Function builds the mailer Lambda: the outbox stream, the mail queue
// (retries, the relay's and the DLQ's redrives) and the relay schedule.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	m, err := New(dynamo.NewClient(awsCfg), sesmail.New(sesv2.NewFromConfig(awsCfg)),
		sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.MailQueueURL), cfg.MailTable, cfg.MailFrom,
		ConfigurationSets{rmail.Marketing: cfg.MarketingConfigurationSet, rmail.Transactional: cfg.TransactionalConfigurationSet})
	if err != nil {
		return awslambda.Function{}, err
	}
	m.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	return awslambda.Function{
		Stream: func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			return m.Stream(ctx, ev), nil
		},
		Queue: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return m.Queue(ctx, ev), nil
		},
		Schedule: func(ctx context.Context, _ json.RawMessage) error {
			n, err := m.Relay(ctx)
			slog.InfoContext(ctx, "relay run", "requeued", n)
			return err
		},
	}, nil
}
