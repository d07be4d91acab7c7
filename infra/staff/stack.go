package main

import (
	"context"
	"fmt"
	"os"
	"rekisteri/internal/config"
	"rekisteri/internal/keyring"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Resources are what the tool works on. Against AWS they come from the
// stack's outputs (template.yaml's Outputs); locally from the names the
// local stack gives resources (<stack>-<LogicalId>).
type Resources struct {
	FeedbackTable string
	BookingsTable string
	AuditTable    string
}

// outputs maps each output key of template.yaml the tool reads to its
// field, and to the logical id the local stack names the resource after.
var outputs = []struct {
	key, logical string
	field        func(*Resources) *string
}{
	{"FeedbackTableName", "FeedbackTable", func(r *Resources) *string { return &r.FeedbackTable }},
	{"BookingsTableName", "BookingsTable", func(r *Resources) *string { return &r.BookingsTable }},
	{"AuditTableName", "AuditTable", func(r *Resources) *string { return &r.AuditTable }},
}

type stackDescriber interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// fromStack reads the resources from the outputs of stack name; every
// output the tool needs must be there.
func fromStack(ctx context.Context, cf stackDescriber, name string) (Resources, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return Resources{}, fmt.Errorf("stack %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return Resources{}, fmt.Errorf("stack %s: %d stacks found", name, len(out.Stacks))
	}
	values := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		values[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var r Resources
	var missing []string
	for _, o := range outputs {
		v := values[o.key]
		if v == "" {
			missing = append(missing, o.key)
		}
		*o.field(&r) = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Resources{}, fmt.Errorf("stack %s has no output %s: deploy the current template.yaml", name, strings.Join(missing, ", "))
	}
	return r, nil
}

// fromLocal names the resources the way the local stack (`make run`,
// prefix stack) creates them.
func fromLocal(stack string) Resources {
	var r Resources
	for _, o := range outputs {
		*o.field(&r) = stack + "-" + o.logical
	}
	return r
}

// RequestsResources are what the requests commands work on (requests.go).
type RequestsResources struct {
	Table, AuditTable, Queue string
	SubjectKeySecret         string // its ARN; locally its name
}

// requestsOutputs are the outputs requests reads, as outputs; the secret has
// no output and is found by its logical id.
var requestsOutputs = []struct {
	key, logical string
	field        func(*RequestsResources) *string
}{
	{"RequestsTableName", "RequestsTable", func(r *RequestsResources) *string { return &r.Table }},
	{"AuditTableName", "AuditTable", func(r *RequestsResources) *string { return &r.AuditTable }},
	{"RequestsQueueUrl", "RequestsQueue", func(r *RequestsResources) *string { return &r.Queue }},
}

const subjectKeySecret = "SubjectKeySecret"

// stackKeys is the keyring of stack's two secrets (the link-signing key
// and the subject key), read with the person's own credentials: named as
// the local stack names them, or the stack's resources.
func stackKeys(ctx context.Context, cf stackResourceDescriber, awsCfg aws.Config, local bool, stack string) (*keyring.Ring, error) {
	ids := make([]string, 2)
	for i, logical := range []string{"TokenKeySecret", subjectKeySecret} {
		if local {
			ids[i] = stack + "-" + logical
			continue
		}
		out, err := cf.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(stack), LogicalResourceId: aws.String(logical)})
		if err != nil || out.StackResourceDetail == nil {
			return nil, fmt.Errorf("stack %s: %s: %w", stack, logical, err)
		}
		ids[i] = aws.ToString(out.StackResourceDetail.PhysicalResourceId)
	}
	return keyring.New(secretsmanager.NewFromConfig(awsCfg), ids[0], ids[1]), nil
}

type stackResourceDescriber interface {
	stackDescriber
	DescribeStackResource(ctx context.Context, in *cloudformation.DescribeStackResourceInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error)
}

type queueURLGetter interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// requestsFromStack reads the requests table, the audit table and the
// requests queue from the outputs of stack name, and the subject-key
// secret from its resource.
func requestsFromStack(ctx context.Context, cf stackResourceDescriber, name string) (RequestsResources, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return RequestsResources{}, fmt.Errorf("stack %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return RequestsResources{}, fmt.Errorf("stack %s: %d stacks found", name, len(out.Stacks))
	}
	values := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		values[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var r RequestsResources
	var missing []string
	for _, o := range requestsOutputs {
		if *o.field(&r) = values[o.key]; values[o.key] == "" {
			missing = append(missing, o.key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return RequestsResources{}, fmt.Errorf("stack %s has no output %s: deploy the current template.yaml", name, strings.Join(missing, ", "))
	}
	res, err := cf.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(name), LogicalResourceId: aws.String(subjectKeySecret)})
	if err != nil {
		return RequestsResources{}, fmt.Errorf("stack %s: the subject-key secret: %w", name, err)
	}
	if res.StackResourceDetail == nil || aws.ToString(res.StackResourceDetail.PhysicalResourceId) == "" {
		return RequestsResources{}, fmt.Errorf("stack %s has no %s", name, subjectKeySecret)
	}
	r.SubjectKeySecret = aws.ToString(res.StackResourceDetail.PhysicalResourceId)
	return r, nil
}

// requestsFromLocal names them as the local stack (prefix stack) does; the
// queue's URL is the emulator's.
func requestsFromLocal(ctx context.Context, q queueURLGetter, stack string) (RequestsResources, error) {
	r := RequestsResources{SubjectKeySecret: stack + "-" + subjectKeySecret}
	for _, o := range requestsOutputs {
		*o.field(&r) = stack + "-" + o.logical
	}
	out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(r.Queue)})
	if err != nil {
		return RequestsResources{}, fmt.Errorf("local stack %s: the requests queue: %w", stack, err)
	}
	r.Queue = aws.ToString(out.QueueUrl)
	return r, nil
}

// useLocalEmulators points the SDK at `make run`'s emulators.
func useLocalEmulators() {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:" + envOr("RUN_DYNAMODB_PORT", "8000"),
		"AWS_ENDPOINT_URL":          "http://127.0.0.1:" + envOr("RUN_MOTO_PORT", "4566"),
		"AWS_REGION":                "eu-north-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_SESSION_TOKEN")
}

// session is where every staff command starts: the SDK config (make run's
// emulators with -local, else the default credentials, in an EU region)
// and the clock it decides by (make run's with -local, else the real one).
func session(ctx context.Context, local bool) (aws.Config, func() time.Time, error) {
	now := time.Now
	if local {
		useLocalEmulators()
		var err error
		if now, err = localClock(ctx, runnerURL()); err != nil {
			return aws.Config{}, nil, err
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, nil, err
	}
	if err := config.CheckRegion(cfg.Region); err != nil {
		return aws.Config{}, nil, err
	}
	return cfg, now, nil
}

// runnerURL is make run's runner (RUN_HTTP_PORT).
func runnerURL() string { return "http://127.0.0.1:" + envOr("RUN_HTTP_PORT", "8080") }
