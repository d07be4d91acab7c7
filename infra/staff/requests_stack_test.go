package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"rekisteri/infra/deploycheck"
)

type fakeStackResources struct {
	fakeCloudFormation
	secret string
}

func (f *fakeStackResources) DescribeStackResource(_ context.Context, in *cloudformation.DescribeStackResourceInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error) {
	if aws.ToString(in.LogicalResourceId) != subjectKeySecret || f.secret == "" {
		return nil, errors.New("Resource " + aws.ToString(in.LogicalResourceId) + " does not exist for stack " + aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStackResourceOutput{StackResourceDetail: &cftypes.StackResourceDetail{PhysicalResourceId: aws.String(f.secret)}}, nil
}

// TestStaffRequestsFromStack: -stack finds the table, queue and audit log
// by the outputs template.yaml declares, and the subject-key secret by its
// resource; -local and the ID before or after the flags parse alike.
func TestStaffRequestsFromStack(t *testing.T) {
	full := map[string]string{"RequestsTableName": "rk-RequestsTable-1", "AuditTableName": "rk-AuditTable-2", "RequestsQueueUrl": "https://sqs.eu-north-1.amazonaws.com/1/rk-RequestsQueue"}
	f := &fakeStackResources{fakeCloudFormation{outputs: full}, "arn:aws:secretsmanager:eu-north-1:1:secret:rk-SubjectKeySecret-x"}
	got, err := requestsFromStack(context.Background(), f, "prod")
	if want := (RequestsResources{Table: "rk-RequestsTable-1", AuditTable: "rk-AuditTable-2", Queue: full["RequestsQueueUrl"], SubjectKeySecret: f.secret}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	delete(full, "RequestsQueueUrl")
	if _, err := requestsFromStack(context.Background(), f, "prod"); err == nil || !strings.Contains(err.Error(), "no output RequestsQueueUrl") {
		t.Errorf("an old stack: %v", err)
	}
	f.outputs["RequestsQueueUrl"], f.secret = "https://q", ""
	if _, err := requestsFromStack(context.Background(), f, "prod"); err == nil || !strings.Contains(err.Error(), "subject-key secret") {
		t.Errorf("no secret: %v", err)
	}
	tmpl, err := deploycheck.ReadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range requestsOutputs {
		if ref := deploycheck.Str(deploycheck.Map(tmpl.Outputs[o.key]["Value"])["Ref"]); ref != o.logical || tmpl.Resources[o.logical].Type == "" {
			t.Errorf("output %s is !Ref %q, the tool takes it for resource %s", o.key, ref, o.logical)
		}
	}
	if tmpl.Resources[subjectKeySecret].Type != "AWS::SecretsManager::Secret" {
		t.Errorf("template.yaml has no secret %s", subjectKeySecret)
	}
	for _, args := range [][]string{{"extend", "r0123456789ab", "-reason", "x", "-actor", "a"}, {"extend", "-reason", "x", "-actor", "a", "r0123456789ab"}} {
		if c, err := parseRequests(args); err != nil || c.id != "r0123456789ab" || c.reason != "x" {
			t.Errorf("%v: %+v %v", args, c, err)
		}
	}
	if _, err := parseRequests([]string{"resolve", "r0123456789ab", "extra", "-actor", "a"}); err == nil {
		t.Error("an argument too many")
	}
}

func TestStaffRequestsPrintable(t *testing.T) {
	if got := printable("a\x1b[2Jb\tc\nd\u0085"); got != "a\uFFFD[2Jb c\n"+strings.Repeat(" ", 18)+"d\uFFFD" {
		t.Errorf("printable = %q", got)
	}
}
