package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// resourceOutput is one resource a command needs: the stack output that
// names it, and the logical id the local stack names it after.
type resourceOutput struct {
	key, logical string
	queue        bool // locally a queue is found by its name for its URL
}

// findResources resolves outs, by logical id: against AWS from the stack's
// outputs (every one must be there), locally as the local stack (prefix
// stack) names them.
func findResources(ctx context.Context, cf stackDescriber, q queueURLGetter, local bool, stack string, outs []resourceOutput) (map[string]string, error) {
	res := map[string]string{}
	if local {
		for _, o := range outs {
			res[o.logical] = stack + "-" + o.logical
			if o.queue {
				out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(res[o.logical])})
				if err != nil {
					return nil, fmt.Errorf("local stack %s: %s: %w", stack, o.logical, err)
				}
				res[o.logical] = aws.ToString(out.QueueUrl)
			}
		}
		return res, nil
	}
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return nil, fmt.Errorf("stack %s: %d stacks found", stack, len(out.Stacks))
	}
	values := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		values[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var missing []string
	for _, o := range outs {
		if res[o.logical] = values[o.key]; values[o.key] == "" {
			missing = append(missing, o.key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("stack %s has no output %s: deploy the current template.yaml", stack, strings.Join(missing, ", "))
	}
	return res, nil
}
