package library

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/register"
	"rekisteri/internal/s3exports"
	"rekisteri/internal/sqsqueue"
)

// Config is the library function's environment (template.yaml). REGISTER
// is "library"; the mail outbox and the audit log are the platform's,
// declared in PLATFORM_REGISTER (museum).
type Config struct {
	Register         string   `env:"REGISTER"`
	Platform         string   `env:"PLATFORM_REGISTER"`
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	PatronsTable     string   `env:"PATRONS_TABLE"`
	LoansTable       string   `env:"LOANS_TABLE"`
	TransfersTable   string   `env:"TRANSFERS_TABLE"`
	StatisticsTable  string   `env:"STATISTICS_TABLE"`
	MailTable        string   `env:"MAIL_TABLE"`
	AuditTable       string   `env:"AUDIT_TABLE"`
	BookingsTable    string   `env:"BOOKINGS_TABLE"`
	DataKeyID        string   `env:"DATA_KEY_ID"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
	// Self-service data-subject requests go to the requests function's
	// table and queue (requests.go).
	RequestsTable    string `env:"REQUESTS_TABLE"`
	RequestsQueueURL string `env:"REQUESTS_QUEUE_URL"`
}

// Function builds the library Lambda: the public pre-registration,
// self-service and circulation routes. It seals identity codes but cannot
// open one: the weekly transfer is a function of its own
// (TransferFunction), whose role alone the key policy lets open them, so
// the function that parses the public's input never holds that right.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, plat, err := registers(cfg.Register, cfg.Platform)
	if err != nil {
		return awslambda.Function{}, err
	}
	svc, err := NewService(Deps{
		Register: reg, Platform: plat,
		DB:   dynamo.NewClient(awsCfg),
		Keys: keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret),
		Seal: fieldcrypt.New(kms.NewFromConfig(awsCfg), cfg.DataKeyID),
		Tables: Tables{Patrons: cfg.PatronsTable, Loans: cfg.LoansTable, Transfers: cfg.TransfersTable,
			Statistics: cfg.StatisticsTable, Mail: cfg.MailTable, Audit: cfg.AuditTable, Bookings: cfg.BookingsTable},
		BaseURL: cfg.PublicBaseURL,
		Now:     clock.From(ctx), // the local stack's movable clock; in Lambda the real one
	})
	if err != nil {
		return awslambda.Function{}, err
	}
	if err := svc.UseRequests(SelfRequests{Table: cfg.RequestsTable, Queue: sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.RequestsQueueURL)}); err != nil {
		return awslambda.Function{}, err
	}
	return awslambda.Function{HTTP: svc.Routes()}, nil
}

// TransferConfig is the weekly transfer's environment (template.yaml
// LibraryTransferFunction).
type TransferConfig struct {
	Register        string `env:"REGISTER"`
	Platform        string `env:"PLATFORM_REGISTER"`
	PatronsTable    string `env:"PATRONS_TABLE"`
	LoansTable      string `env:"LOANS_TABLE"`
	TransfersTable  string `env:"TRANSFERS_TABLE"`
	StatisticsTable string `env:"STATISTICS_TABLE"`
	MailTable       string `env:"MAIL_TABLE"`
	AuditTable      string `env:"AUDIT_TABLE"`
	BookingsTable   string `env:"BOOKINGS_TABLE"`
	DataKeyID       string `env:"DATA_KEY_ID"`
	TransfersBucket string `env:"TRANSFERS_BUCKET"`
}

// TransferFunction builds the weekly collection-agency transfer's Lambda
// (seed 004 §9): its schedule only, no route. It opens the identity codes
// of the patrons it transfers and writes the week's files to the transfers
// bucket.
func TransferFunction(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg TransferConfig
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, plat, err := registers(cfg.Register, cfg.Platform)
	if err != nil {
		return awslambda.Function{}, err
	}
	svc, err := NewService(Deps{
		Register: reg, Platform: plat,
		DB:    dynamo.NewClient(awsCfg),
		Open:  fieldcrypt.New(kms.NewFromConfig(awsCfg), cfg.DataKeyID),
		Files: s3exports.New(awsCfg, cfg.TransfersBucket),
		Tables: Tables{Patrons: cfg.PatronsTable, Loans: cfg.LoansTable, Transfers: cfg.TransfersTable,
			Statistics: cfg.StatisticsTable, Mail: cfg.MailTable, Audit: cfg.AuditTable, Bookings: cfg.BookingsTable},
		Now: clock.From(ctx),
	})
	if err != nil {
		return awslambda.Function{}, err
	}
	return awslambda.Function{
		Schedule: func(ctx context.Context, input json.RawMessage) error {
			var in struct {
				Run string `json:"run"`
			}
			if err := json.Unmarshal(input, &in); err != nil {
				return fmt.Errorf("library transfer schedule: want {\"run\":\"transfer\"}")
			}
			switch in.Run {
			case "transfer":
				return svc.runTransfer(ctx)
			}
			return fmt.Errorf("library transfer schedule: unknown run %q", in.Run)
		},
	}, nil
}

// registers loads the library's declaration and the platform's.
func registers(id, platform string) (reg, plat *register.Register, err error) {
	if reg, err = register.Load(id); err != nil {
		return nil, nil, err
	}
	if reg.ID != "library" {
		return nil, nil, fmt.Errorf("config: the library functions serve REGISTER=library, not %q", reg.ID)
	}
	if plat, err = register.Load(platform); err != nil {
		return nil, nil, err
	}
	return reg, plat, nil
}
