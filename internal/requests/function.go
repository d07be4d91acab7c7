package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/s3exports"
	"rekisteri/internal/sqsqueue"
)

// Config is the requests function's environment (template.yaml); the
// tables come from record.FromEnv (every declared one of every register
// served: a request reaches them all).
type Config struct {
	Register string `env:"REGISTER"`
	// Reach are the other registers a request reaches, comma-separated
	// (REACH_REGISTERS=library): their tables' variables must all be set.
	Reach            string   `env:"REACH_REGISTERS,optional"`
	PublicBaseURL    *url.URL `env:"PUBLIC_BASE_URL"`
	RequestsQueueURL string   `env:"REQUESTS_QUEUE_URL"`
	ExportsBucket    string   `env:"EXPORTS_BUCKET"`
	TokenKeySecret   string   `env:"TOKEN_KEY_SECRET"`
	SubjectKeySecret string   `env:"SUBJECT_KEY_SECRET"`
}

// Function builds the requests Lambda: the public routes, the requests
// queue and the DPO's daily digest.
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
	var reach []*record.Catalogue
	for _, id := range strings.Split(cfg.Reach, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		other, err := register.Load(id)
		if err != nil {
			return awslambda.Function{}, err
		}
		c, err := record.FromEnv(other, env, true)
		if err != nil {
			return awslambda.Function{}, fmt.Errorf("register %s: %w", id, err)
		}
		reach = append(reach, c)
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	svc, err := NewService(Deps{
		Catalogue: cat,
		Reach:     reach,
		DB:        dynamo.NewClient(awsCfg),
		Queue:     sqsqueue.New(sqsClient, cfg.RequestsQueueURL),
		Keys:      keyring.New(secretsmanager.NewFromConfig(awsCfg), cfg.TokenKeySecret, cfg.SubjectKeySecret),
		Exports:   s3exports.New(awsCfg, cfg.ExportsBucket),
		BaseURL:   cfg.PublicBaseURL,
		Now:       clock.From(ctx), // the local stack's movable clock; in Lambda the real one
	})
	if err != nil {
		return awslambda.Function{}, err
	}
	routes := http.NewServeMux()
	routes.Handle("/", svc.Routes())
	return awslambda.Function{
		HTTP: routes,
		Queue: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return sqsqueue.Batch(ctx, ev, svc.Handle), nil
		},
		Schedule: func(ctx context.Context, input json.RawMessage) error {
			var in struct {
				Run string `json:"run"`
			}
			if err := json.Unmarshal(input, &in); err != nil || in.Run != "digest" {
				return fmt.Errorf("requests schedule: want {\"run\":\"digest\"}")
			}
			return svc.Digest(ctx)
		},
	}, nil
}
