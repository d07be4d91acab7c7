package booking

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/register"
)

// Config is the bookings function's environment (template.yaml).
type Config struct {
	Register         string   `env:"REGISTER"` // the declaration served: internal/register/<id>.yaml
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	BookingsTable    string   `env:"BOOKINGS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	AuditTable       string   `env:"AUDIT_TABLE"`
	DataKeyID        string   `env:"DATA_KEY_ID"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
}

// Function builds the bookings Lambda: HTTP routes and the reminder schedule.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load(cfg.Register)
	if err != nil {
		return awslambda.Function{}, err
	}
	svc := NewService(reg, dynamo.NewClient(awsCfg),
		keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret),
		fieldcrypt.New(kms.NewFromConfig(awsCfg), cfg.DataKeyID),
		Tables{Bookings: cfg.BookingsTable, Mail: cfg.MailTable, Audit: cfg.AuditTable}, cfg.PublicBaseURL)
	svc.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	return awslambda.Function{
		HTTP: svc.Routes(),
		Schedule: func(ctx context.Context, _ json.RawMessage) error {
			n, err := svc.Remind(ctx)
			slog.InfoContext(ctx, "reminder run", "sent", n)
			return err
		},
	}, nil
}
