package mailer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

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
	CampaignsTable                string `env:"CAMPAIGNS_TABLE"`
	// MailSendRate is the SES sends per second one process starts at most
	// (DefaultSendRate when unset): the account's maximum send rate.
	MailSendRate string `env:"MAIL_SEND_RATE,optional"`
}

// sendRate is MAIL_SEND_RATE as a number, DefaultSendRate when unset.
func (c Config) sendRate() (float64, error) {
	if c.MailSendRate == "" {
		return DefaultSendRate, nil
	}
	r, err := strconv.ParseFloat(c.MailSendRate, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("config: MAIL_SEND_RATE %q is not a positive number of messages per second", c.MailSendRate)
	}
	return r, nil
}

// Function builds the mailer Lambda: the outbox stream, the mail queue
// (retries, the relay's and the DLQ's redrives) and the relay schedule.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	rate, err := cfg.sendRate()
	if err != nil {
		return awslambda.Function{}, err
	}
	m, err := New(dynamo.NewClient(awsCfg), sesmail.New(sesv2.NewFromConfig(awsCfg)),
		sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.MailQueueURL), cfg.MailTable, cfg.MailFrom,
		ConfigurationSets{rmail.Marketing: cfg.MarketingConfigurationSet, rmail.Transactional: cfg.TransactionalConfigurationSet})
	if err != nil {
		return awslambda.Function{}, err
	}
	m.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	m.campaigns = cfg.CampaignsTable
	m.pace = newBucket(rate, time.Now, sleep) // real time: it paces SES, whatever the stack's clock says
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
