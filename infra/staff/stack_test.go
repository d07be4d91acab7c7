package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"rekisteri/infra/deploycheck"
)

type fakeCloudFormation struct {
	outputs map[string]string
	err     error
	asked   string
}

func (f *fakeCloudFormation) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.asked = aws.ToString(in.StackName)
	if f.err != nil {
		return nil, f.err
	}
	st := cftypes.Stack{StackName: in.StackName}
	for k, v := range f.outputs {
		st.Outputs = append(st.Outputs, cftypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{st}}, nil
}

// TestFromStack: the stack's outputs become the tool's configuration.
func TestFromStack(t *testing.T) {
	full := map[string]string{
		"FeedbackTableName": "rekisteri-FeedbackTable-1A", "BookingsTableName": "rekisteri-BookingsTable-2B",
		"AuditTableName": "rekisteri-AuditTable-3C", "MailQueueUrl": "https://sqs.eu-north-1.amazonaws.com/1/q", "ApiUrl": "https://x",
	}
	without := func(k string) map[string]string {
		m := map[string]string{}
		for kk, v := range full {
			if kk != k {
				m[kk] = v
			}
		}
		return m
	}
	tests := []struct {
		name    string
		cf      *fakeCloudFormation
		want    Resources
		wantErr []string
	}{
		{"all outputs", &fakeCloudFormation{outputs: full},
			Resources{FeedbackTable: "rekisteri-FeedbackTable-1A", BookingsTable: "rekisteri-BookingsTable-2B", AuditTable: "rekisteri-AuditTable-3C"}, nil},
		{"an output missing", &fakeCloudFormation{outputs: without("AuditTableName")}, Resources{}, []string{"AuditTableName", "prod"}},
		{"an old stack with no outputs", &fakeCloudFormation{outputs: map[string]string{}}, Resources{}, []string{"AuditTableName", "BookingsTableName", "FeedbackTableName"}},
		{"no such stack", &fakeCloudFormation{err: errors.New("Stack with id prod does not exist")}, Resources{}, []string{"does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fromStack(context.Background(), tc.cf, "prod")
			if tc.cf.asked != "prod" {
				t.Errorf("asked for stack %q", tc.cf.asked)
			}
			if tc.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if got := fromLocal("rekisteri"); got != (Resources{FeedbackTable: "rekisteri-FeedbackTable", BookingsTable: "rekisteri-BookingsTable", AuditTable: "rekisteri-AuditTable"}) {
		t.Errorf("fromLocal = %+v", got)
	}
}

// TestOutputsTheToolReadsExist: every output key the tool reads is one
// template.yaml declares, with the value of the resource the tool expects.
func TestOutputsTheToolReadsExist(t *testing.T) {
	tmpl, err := deploycheck.ReadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outputs {
		out, ok := tmpl.Outputs[o.key]
		if !ok {
			t.Errorf("template.yaml has no output %s", o.key)
			continue
		}
		if ref := deploycheck.Str(deploycheck.Map(out["Value"])["Ref"]); ref != o.logical {
			t.Errorf("output %s is !Ref %q, the tool takes it for %s", o.key, ref, o.logical)
		}
		if _, ok := tmpl.Resources[o.logical]; !ok {
			t.Errorf("no resource %s", o.logical)
		}
	}
}
