package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

// Config is the retention function's environment (template.yaml); the
// tables come from record.FromEnv (every declared one). A register that
// declares no audit table of its own (the libraries') names the platform's
// register, whose audit table (AUDIT_TABLE) keeps its sweep's ledger.
type Config struct {
	Register string `env:"REGISTER"`
	Platform string `env:"PLATFORM_REGISTER,optional"`
	QueueURL string `env:"RETENTION_QUEUE_URL"`
	// Budget is how long one invocation sweeps when it has no deadline (the
	// local stack); in Lambda the deadline decides. A Go duration ("90s").
	Budget string `env:"RETENTION_BUDGET,optional"`
}

// Function builds the retention Lambda: the daily schedule starts (or
// resumes) a run, the queue carries a long run on.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load(cfg.Register)
	if err != nil {
		return awslambda.Function{}, err
	}
	cat, err := record.FromEnv(reg, env, true)
	if err != nil {
		return awslambda.Function{}, err
	}
	now := clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	db := dynamo.NewClient(awsCfg)
	ledger, err := ledgerOf(db, reg, cat, cfg.Platform, env, now)
	if err != nil {
		return awslambda.Function{}, err
	}
	s, err := New(cat, recordstore.NewStore(db, cat), ledger, sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.QueueURL), now)
	if err != nil {
		return awslambda.Function{}, err
	}
	if cfg.Budget != "" {
		if s.Budget, err = time.ParseDuration(cfg.Budget); err != nil || s.Budget <= 0 {
			return awslambda.Function{}, fmt.Errorf("config: RETENTION_BUDGET %q is not a positive duration", cfg.Budget)
		}
	}
	return awslambda.Function{
		Schedule: func(ctx context.Context, input json.RawMessage) error {
			var in struct {
				Run string `json:"run"`
			}
			if err := json.Unmarshal(input, &in); err != nil || in.Run != "sweep" {
				return fmt.Errorf("retention schedule: want {\"run\":\"sweep\"}")
			}
			rep, err := s.Run(ctx)
			log(ctx, rep)
			return err
		},
		Queue: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return sqsqueue.Batch(ctx, ev, func(ctx context.Context, m sqsqueue.Message) error {
				if m.Op != OpContinue {
					return fmt.Errorf("retention queue: op %q: %w", m.Op, sqsqueue.ErrPermanent)
				}
				rep, err := s.Continue(ctx, m.ID)
				log(ctx, rep)
				if errors.Is(err, ErrConflict) {
					return nil // another delivery of the same message carries the run
				}
				return err
			}), nil
		},
	}, nil
}

// ledgerOf is the ledger of reg's sweep: in its own audit table, or, with
// platform named, in the platform register's (its AUDIT_TABLE).
func ledgerOf(db DB, reg *register.Register, cat *record.Catalogue, platform string, env config.Lookup, now func() time.Time) (*TableLedger, error) {
	if platform == "" || platform == reg.ID {
		return NewLedger(db, cat, now)
	}
	plat, err := register.Load(platform)
	if err != nil {
		return nil, err
	}
	audit, err := record.FromEnv(plat, env, false)
	if err != nil {
		return nil, err
	}
	return LedgerFor(db, audit, reg.ID, now)
}

func log(ctx context.Context, rep Report) {
	removed := 0
	for _, c := range rep.Rules {
		removed += c.Deleted + c.Anonymised
	}
	slog.InfoContext(ctx, "retention run", "run", rep.RunID, "done", rep.Done, "continued", rep.Continued,
		"read", rep.Read, "removed", removed, "pages", rep.Pages, "batches", rep.Batches)
}
