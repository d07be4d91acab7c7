package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Config is the events function's environment (template.yaml).
type Config struct {
	Register         string   `env:"REGISTER"`
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	EventsTable      string   `env:"EVENTS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	BookingsTable    string   `env:"BOOKINGS_TABLE"` // the mail-budget counters
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
}

// EnvTable is the variable naming the events table (record.EnvName).
var EnvTable = seam.EnvName(Table)

// Function builds the events Lambda: the signup and cancel routes and the
// reminder schedule.
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
		Tables{Events: cfg.EventsTable, Mail: cfg.MailTable, Bookings: cfg.BookingsTable}, cfg.PublicBaseURL)
	svc.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	return awslambda.Function{
		HTTP: svc.Routes(),
		Schedule: func(ctx context.Context, _ json.RawMessage) error {
			n, err := svc.Remind(ctx)
			slog.InfoContext(ctx, "event reminder run", "sent", n)
			return err
		},
	}, nil
}
