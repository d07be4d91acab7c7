package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
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
