package campaign

import (
	"context"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// Config is the campaigns function's environment (template.yaml).
type Config struct {
	Register         string   `env:"REGISTER"`
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	CampaignsTable   string   `env:"CAMPAIGNS_TABLE"`
	SubscribersTable string   `env:"SUBSCRIBERS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	CampaignsQueue   string   `env:"CAMPAIGNS_QUEUE_URL"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
}

// Function builds the campaigns Lambda: the campaigns queue, on which staff
// put a campaign's id and the function puts it again to go on.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load(cfg.Register)
	if err != nil {
		return awslambda.Function{}, err
	}
	svc := NewService(reg, dynamo.NewClient(awsCfg), sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.CampaignsQueue),
		keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, ""),
		Tables{Campaigns: cfg.CampaignsTable, Subscribers: cfg.SubscribersTable, Mail: cfg.MailTable}, cfg.PublicBaseURL,
		clock.From(ctx)) // the local stack's movable clock; in Lambda the real one
	return awslambda.Function{
		Queue: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return sqsqueue.Batch(ctx, ev, svc.Handle), nil
		},
	}, nil
}
