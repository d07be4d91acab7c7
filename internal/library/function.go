package library

import (
	"context"
	"encoding/json"
	"errors"
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

// storeConfig is what both library functions read of their environment
// (template.yaml): the declarations (REGISTER is "library"; the mail outbox
// and the audit log are the platform's, declared in PLATFORM_REGISTER,
// museum), the tables and the data key.
type storeConfig struct {
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
}

// publicConfig is the rest of LibraryFunction's environment.
type publicConfig struct {
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
	// Self-service data-subject requests go to the requests function's
	// table and queue (requests.go).
	RequestsTable    string `env:"REQUESTS_TABLE"`
	RequestsQueueURL string `env:"REQUESTS_QUEUE_URL"`
}

// transferConfig is the rest of LibraryTransferFunction's.
type transferConfig struct {
	TransfersBucket string `env:"TRANSFERS_BUCKET"`
}

// Function builds the library Lambda: the public pre-registration,
// self-service and circulation routes. It seals identity codes but cannot
// open one: the weekly transfer is a function of its own
// (TransferFunction), whose role alone the key policy lets open them, so
// the function that parses the public's input never holds that right.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg publicConfig
	deps, store, err := load(ctx, env, awsCfg, &cfg)
	if err != nil {
		return awslambda.Function{}, err
	}
	deps.Keys = keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret)
	deps.Seal = fieldcrypt.New(kms.NewFromConfig(awsCfg), store.DataKeyID)
	deps.BaseURL = cfg.PublicBaseURL
	svc, err := NewService(deps)
	if err != nil {
		return awslambda.Function{}, err
	}
	if err := svc.UseRequests(SelfRequests{Table: cfg.RequestsTable, Queue: sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.RequestsQueueURL)}); err != nil {
		return awslambda.Function{}, err
	}
	return awslambda.Function{HTTP: svc.Routes()}, nil
}

// TransferFunction builds the weekly collection-agency transfer's Lambda
// (seed 004 §9): its schedule only, no route. It opens the identity codes
// of the patrons it transfers and writes the week's files to the transfers
// bucket.
func TransferFunction(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg transferConfig
	deps, store, err := load(ctx, env, awsCfg, &cfg)
	if err != nil {
		return awslambda.Function{}, err
	}
	deps.Open = fieldcrypt.New(kms.NewFromConfig(awsCfg), store.DataKeyID)
	deps.Files = s3exports.New(awsCfg, cfg.TransfersBucket)
	svc, err := NewService(deps)
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

// load reads the environment both functions share, and the rest into
// extra, and answers the Deps of both: the declarations, the tables,
// DynamoDB and the clock.
func load(ctx context.Context, env config.Lookup, awsCfg aws.Config, extra any) (Deps, storeConfig, error) {
	var c storeConfig
	if err := errors.Join(config.Load(env, &c), config.Load(env, extra)); err != nil {
		return Deps{}, c, err
	}
	reg, plat, err := registers(c.Register, c.Platform)
	if err != nil {
		return Deps{}, c, err
	}
	return Deps{
		Register: reg, Platform: plat,
		DB: dynamo.NewClient(awsCfg),
		Tables: Tables{Patrons: c.PatronsTable, Loans: c.LoansTable, Transfers: c.TransfersTable,
			Statistics: c.StatisticsTable, Mail: c.MailTable, Audit: c.AuditTable, Bookings: c.BookingsTable},
		Now: clock.From(ctx), // the local stack's movable clock; in Lambda the real one
	}, c, nil
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
