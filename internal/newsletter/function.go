package newsletter

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/notice"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// Config is the newsletter function's environment (template.yaml).
type Config struct {
	Register         string   `env:"REGISTER"` // the declaration served: internal/register/<id>.yaml
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	SubscribersTable string   `env:"SUBSCRIBERS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	AuditTable       string   `env:"AUDIT_TABLE"`
	CampaignsTable   string   `env:"CAMPAIGNS_TABLE"`
	SignupsQueueURL  string   `env:"SIGNUPS_QUEUE_URL"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
}

// Function builds the newsletter Lambda: HTTP routes, the signups queue and
// the SES events queue (both queues reach its one Queue handler).
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load(cfg.Register)
	if err != nil {
		return awslambda.Function{}, err
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	svc := NewService(reg,
		dynamo.NewClient(awsCfg),
		sqsqueue.New(sqsClient, cfg.SignupsQueueURL),
		keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret),
		Tables{Subscribers: cfg.SubscribersTable, Mail: cfg.MailTable, Audit: cfg.AuditTable, Campaigns: cfg.CampaignsTable},
		cfg.PublicBaseURL)
	svc.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	// The privacy notices are published here for now: their links are in
	// every newsletter mail, and this function already holds the declaration;
	// the libraries' notice is served beside it (issue 11).
	library, err := register.Load("library")
	if err != nil {
		return awslambda.Function{}, err
	}
	routes := http.NewServeMux()
	routes.Handle("GET /privacy", notice.Registers{reg.ID: reg, library.ID: library}.Routes())
	routes.Handle("/", svc.Routes())
	return awslambda.Function{
		HTTP:  routes,
		Queue: svc.Queue,
		Schedule: func(ctx context.Context, input json.RawMessage) error {
			var in struct{ Run string }
			_ = json.Unmarshal(input, &in)
			if in.Run == "inactivity" {
				n, err := svc.AskInactive(ctx)
				slog.InfoContext(ctx, "inactivity run", "asked", n)
				return err
			}
			n, err := svc.RelaySignups(ctx)
			slog.InfoContext(ctx, "signup relay run", "requeued", n)
			return err
		},
	}, nil
}
