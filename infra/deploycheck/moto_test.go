package deploycheck

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// translate is what `sam package` + CloudFormation's SAM transform do to
// template.yaml: CodeUri becomes an S3 location, then aws-sam-translator
// expands the Serverless resources.
const translate = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

tpl = yaml_parse(open(sys.argv[1]).read())
for name, r in tpl["Resources"].items():
    if r.get("Type") == "AWS::Serverless::Function":
        r["Properties"]["CodeUri"] = "s3://%s/%s.zip" % (sys.argv[2], name)
print(json.dumps(transform(tpl, {}, NoManagedPolicies())))
`

// Resource types of the translated template, by what moto 5's
// CloudFormation does with them (checked against moto.cloudformation.parsing:
// the second group it skips with "No Moto CloudFormation support", creating
// nothing). cfn-lint (make lint) validates those; this test cannot.
var (
	motoCreates = []string{
		"AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::KMS::Key", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Function",
		"AWS::Lambda::Permission", "AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::SQS::Queue",
	}
	motoLacks = []string{
		"AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy",
		"AWS::SES::ConfigurationSet", "AWS::SES::EmailIdentity", "AWS::Scheduler::Schedule", "AWS::SecretsManager::Secret",
		"AWS::SES::ConfigurationSetEventDestination", "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription",
	}
)

// TestTemplateCreatesInMotoCloudFormation translates template.yaml with
// aws-sam-translator and creates it in moto's CloudFormation; the stack must
// reach CREATE_COMPLETE with every resource moto implements created, and the
// resources checked are as the template describes them.
func TestTemplateCreatesInMotoCloudFormation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, _ := filepath.Abs("../..")
	// Its own moto_server, not the suite's (REKISTERI_TEST_MOTO): once a
	// stack with Lambda functions exists in moto, its /moto-api/data.json —
	// which every test reading sent mail uses — answers 500 (moto looks for
	// Docker to describe the functions).
	motoURL := startMoto(t, ctx)
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	bucket := "deploycheck-code-" + suffix

	cmd := exec.CommandContext(ctx, "python3", "-c", translate, filepath.Join(root, "template.yaml"), bucket)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=eu-north-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws-sam-translator: %v\n%s", err, stderr.String())
	}
	var tpl map[string]any
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	resources := Map(tpl["Resources"])
	byType := map[string][]string{}
	for name, r := range resources {
		typ := Str(Map(r)["Type"])
		byType[typ] = append(byType[typ], name)
		if !slices.Contains(motoCreates, typ) && !slices.Contains(motoLacks, typ) {
			t.Errorf("%s is of type %s, not yet checked against moto: find out whether moto's CloudFormation creates it and list it", name, typ)
		}
	}
	// moto fails a whole stack whose outputs read an attribute of a
	// resource it skips; those outputs are left out here (and listed).
	var dropped []string
	for key, o := range Map(tpl["Outputs"]) {
		v, _ := json.Marshal(Map(o)["Value"])
		for name, r := range resources {
			if slices.Contains(motoLacks, Str(Map(r)["Type"])) && (bytes.Contains(v, []byte(`"`+name+`"`)) || bytes.Contains(v, []byte(`"`+name+`.`)) || bytes.Contains(v, []byte(`${`+name))) {
				delete(Map(tpl["Outputs"]), key)
				dropped = append(dropped, key)
				break
			}
		}
	}
	sort.Strings(dropped)
	t.Logf("outputs left out (they read resources moto does not create): %v", dropped)

	cfg := aws.Config{Region: "eu-north-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(motoURL)}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuNorth1}}); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	for _, fn := range byType["AWS::Lambda::Function"] {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fn + ".zip"), Body: bytes.NewReader(zipped.Bytes())}); err != nil {
			t.Fatal(err)
		}
	}

	body, _ := json.Marshal(tpl)
	cf := cloudformation.NewFromConfig(cfg)
	stack := "deploycheck-" + suffix
	invoicing := "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-north-1/AWSReservedSSO_Invoicing_0123456789abcdef"
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(stack), TemplateBody: aws.String(string(body)),
		Capabilities: []cftypes.Capability{cftypes.CapabilityCapabilityIam, cftypes.CapabilityCapabilityAutoExpand},
		Parameters: []cftypes.Parameter{
			{ParameterKey: aws.String("InvoicingPrincipalArn"), ParameterValue: aws.String(invoicing)},
			{ParameterKey: aws.String("MailFrom"), ParameterValue: aws.String("KAMU Espoon kaupunginmuseo <noreply@museo.example.fi>")},
		},
	}); err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	defer func() {
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
	}()
	var st cftypes.Stack
	for {
		d, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err != nil {
			t.Fatal(err)
		}
		st = d.Stacks[0]
		if !strings.HasSuffix(string(st.StackStatus), "IN_PROGRESS") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.StackStatus != cftypes.StackStatusCreateComplete {
		t.Fatalf("stack %s: %s (%s)", stack, st.StackStatus, aws.ToString(st.StackStatusReason))
	}

	created := map[string]cftypes.StackResourceSummary{}
	p := cloudformation.NewListStackResourcesPaginator(cf, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.StackResourceSummaries {
			if id := aws.ToString(r.LogicalResourceId); id != "" {
				created[id] = r
			}
		}
	}
	var checked []string
	for typ, names := range byType {
		for _, name := range names {
			r, ok := created[name]
			switch {
			case slices.Contains(motoCreates, typ) && (!ok || r.ResourceStatus != cftypes.ResourceStatusCreateComplete):
				t.Errorf("%s (%s) was not created: %+v", name, typ, r)
			case slices.Contains(motoLacks, typ) && ok:
				t.Errorf("moto now creates %s (%s): move the type to motoCreates", name, typ)
			}
		}
		if slices.Contains(motoCreates, typ) {
			checked = append(checked, fmt.Sprintf("%s×%d", typ, len(names)))
		}
	}
	sort.Strings(checked)
	t.Logf("created in moto: %v; not implemented by moto: %v", checked, motoLacks)

	outputs := map[string]string{}
	for _, o := range st.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, key := range []string{"FeedbackTableName", "BookingsTableName", "AuditTableName", "MailQueueUrl", "SignupsQueueUrl"} {
		if outputs[key] == "" {
			t.Errorf("output %s is empty", key)
		}
	}
	// What moto created is what the template says.
	sq := sqs.NewFromConfig(cfg)
	qa, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(outputs["MailQueueUrl"]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
	if err != nil || !strings.Contains(qa.Attributes["RedrivePolicy"], "MailDLQ") {
		t.Errorf("mail queue redrive policy: %v %v", qa, err)
	}
	kc := kms.NewFromConfig(cfg)
	keyID := aws.ToString(created["DataKey"].PhysicalResourceId)
	// (moto answers GetKeyPolicy of a key made by CloudFormation with the
	// policy as a JSON object, which the SDK refuses; the policy itself is
	// checked by TestIdentityCodesOpenOnlyForInvoicing.)
	rot, err := kc.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)})
	if err != nil || !rot.KeyRotationEnabled {
		t.Errorf("DataKey rotation as created: %+v %v", rot, err)
	}
}

// startMoto runs a moto_server of this test's own on a free port and stops
// it (its process group) when the test ends.
func startMoto(t *testing.T, ctx context.Context) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	logf, _ := os.Create(filepath.Join(t.TempDir(), "moto.log"))
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", port)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("moto_server: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	})
	u := "http://127.0.0.1:" + port
	for {
		resp, err := http.Get(u + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return u
			}
		}
		select {
		case <-ctx.Done():
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("moto_server did not start: %s", b)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
