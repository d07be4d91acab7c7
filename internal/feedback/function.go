package feedback

import (
	"context"

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

// Config is the feedback function's environment (template.yaml).
type Config struct {
	Register         string `env:"REGISTER"` // the declaration served: internal/register/<id>.yaml
	FeedbackTable    string `env:"FEEDBACK_TABLE"`
	SubscribersTable string `env:"SUBSCRIBERS_TABLE"`
	SignupsQueueURL  string `env:"SIGNUPS_QUEUE_URL"`
	SubjectKeySecret string `env:"SUBJECT_KEY_SECRET"`
}

// Function builds the feedback Lambda: the survey's HTTP routes.
func Function(ctx context.Context, env config.Lookup, awsCfg aws.Config) (awslambda.Function, error) {
	var cfg Config
	if err := config.Load(env, &cfg); err != nil {
		return awslambda.Function{}, err
	}
	reg, err := register.Load(cfg.Register)
	if err != nil {
		return awslambda.Function{}, err
	}
	// The feedback function never signs links, so it holds only the subject key.
	keys := keyring.New(secretsmanager.NewFromConfig(awsCfg), "", cfg.SubjectKeySecret)
	svc := NewService(reg, dynamo.NewClient(awsCfg), sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.SignupsQueueURL), keys,
		Tables{Feedback: cfg.FeedbackTable, Subscribers: cfg.SubscribersTable})
	svc.now = clock.From(ctx) // the local stack's movable clock; in Lambda the real one
	return awslambda.Function{HTTP: svc.Routes()}, nil
}
