package local

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"rekisteri/internal/dynamo"
)

// physical is what one created resource resolves to.
type physical struct {
	ref   string
	attrs map[string]string
}

// Clients are the SDK clients the local stack uses to create and inspect resources.
type Clients struct {
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	SES      *sesv2.Client
	KMS      *kms.Client
	Secrets  *secretsmanager.Client
	S3       *s3.Client
}

// NewClients builds the clients from cfg; S3 needs path-style URLs against moto.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB: dynamo.NewClient(cfg),
		SQS:      sqs.NewFromConfig(cfg),
		SES:      sesv2.NewFromConfig(cfg),
		KMS:      kms.NewFromConfig(cfg),
		Secrets:  secretsmanager.NewFromConfig(cfg),
		S3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
	}
}

// provision creates every resource of the template the emulators can hold,
// named prefix-LogicalId, and records what each resolves to.
func (s *Stack) provision(ctx context.Context) error {
	t := s.Template
	order := []string{
		"AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::DynamoDB::Table",
		"AWS::SQS::Queue", "AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet", "AWS::S3::Bucket",
	}
	for _, typ := range order {
		names := t.Names(typ)
		if typ == "AWS::SQS::Queue" {
			// Dead-letter queues first: the others name them.
			var dlqs, rest []string
			for _, n := range names {
				if _, ok := t.Resources[n].Properties["RedrivePolicy"]; ok {
					rest = append(rest, n)
				} else {
					dlqs = append(dlqs, n)
				}
			}
			names = append(dlqs, rest...)
		}
		for _, name := range names {
			if err := s.create(ctx, name, t.Resources[name]); err != nil {
				return fmt.Errorf("create %s (%s): %w", name, typ, err)
			}
		}
	}
	for name, r := range t.Resources {
		if _, done := s.resources[name]; !done {
			// Resources the emulators do not hold (functions, alarms, topics,
			// the HTTP API) resolve to their logical id.
			_ = r
			s.resources[name] = physical{ref: name, attrs: map[string]string{"Arn": s.arn("local", name)}}
		}
	}
	return nil
}

func (s *Stack) arn(service, name string) string {
	return fmt.Sprintf("arn:aws:%s:%s:000000000000:%s", service, s.region, name)
}

func (s *Stack) create(ctx context.Context, name string, r Resource) error {
	physName := s.prefix + "-" + name
	p := r.Properties
	switch r.Type {
	case "AWS::KMS::Key":
		out, err := s.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(physName)})
		if err != nil {
			return err
		}
		s.resources[name] = physical{ref: *out.KeyMetadata.KeyId, attrs: map[string]string{"Arn": *out.KeyMetadata.Arn}}
	case "AWS::SecretsManager::Secret":
		out, err := s.clients.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(physName), SecretString: aws.String(randomSecret(64))})
		if err != nil {
			return err
		}
		s.resources[name] = physical{ref: *out.ARN, attrs: map[string]string{"Id": *out.ARN}}
	case "AWS::DynamoDB::Table":
		in := &dynamodb.CreateTableInput{TableName: aws.String(physName), BillingMode: ddbtypes.BillingModePayPerRequest}
		for _, a := range asList(p["AttributeDefinitions"]) {
			am := asMap(a)
			in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
				AttributeName: aws.String(s.str(am["AttributeName"])), AttributeType: ddbtypes.ScalarAttributeType(s.str(am["AttributeType"])),
			})
		}
		in.KeySchema = keySchema(s, p["KeySchema"])
		for _, g := range asList(p["GlobalSecondaryIndexes"]) {
			gm := asMap(g)
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
				IndexName:  aws.String(s.str(gm["IndexName"])),
				KeySchema:  keySchema(s, gm["KeySchema"]),
				Projection: projection(s, asMap(gm["Projection"])),
			})
		}
		if spec := asMap(p["StreamSpecification"]); spec != nil {
			in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(s.str(spec["StreamViewType"]))}
		}
		out, err := s.clients.DynamoDB.CreateTable(ctx, in)
		if err != nil {
			return err
		}
		s.resources[name] = physical{ref: physName, attrs: map[string]string{"Arn": *out.TableDescription.TableArn, "StreamArn": aws.ToString(out.TableDescription.LatestStreamArn)}}
	case "AWS::SQS::Queue":
		attrs := map[string]string{}
		for k, v := range map[string]string{"VisibilityTimeout": "VisibilityTimeout", "MessageRetentionPeriod": "MessageRetentionPeriod"} {
			if val, ok := p[k]; ok {
				attrs[v] = s.str(val)
			}
		}
		if rp := asMap(p["RedrivePolicy"]); rp != nil {
			max, _ := strconv.Atoi(s.str(rp["maxReceiveCount"]))
			b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": s.str(rp["deadLetterTargetArn"]), "maxReceiveCount": max})
			attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(b)
		}
		out, err := s.clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(physName), Attributes: attrs})
		if err != nil {
			return err
		}
		qa, err := s.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return err
		}
		s.resources[name] = physical{ref: *out.QueueUrl, attrs: map[string]string{"Arn": qa.Attributes["QueueArn"], "QueueName": physName, "QueueUrl": *out.QueueUrl}}
	case "AWS::SES::EmailIdentity":
		identity := s.str(p["EmailIdentity"])
		if _, err := s.clients.SES.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(identity)}); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
			return err
		}
		s.resources[name] = physical{ref: identity}
	case "AWS::SES::ConfigurationSet":
		if _, err := s.clients.SES.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(physName)}); err != nil {
			return err
		}
		s.resources[name] = physical{ref: physName}
	case "AWS::S3::Bucket":
		bucket := strings.ToLower(physName)
		if _, err := s.clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(s.region)}}); err != nil {
			return err
		}
		s.resources[name] = physical{ref: bucket, attrs: map[string]string{"Arn": "arn:aws:s3:::" + bucket}}
		// The template's default encryption, so a copy made locally is
		// encrypted at rest with the stack's key as a deployed one is.
		for _, rule := range asList(asMap(asMap(r.Properties["BucketEncryption"]))["ServerSideEncryptionConfiguration"]) {
			def := asMap(asMap(rule)["ServerSideEncryptionByDefault"])
			if s.str(def["SSEAlgorithm"]) == "" {
				continue
			}
			by := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(s.str(def["SSEAlgorithm"]))}
			if k := s.str(def["KMSMasterKeyID"]); k != "" {
				by.KMSMasterKeyID = aws.String(k)
			}
			if _, err := s.clients.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
				ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: by, BucketKeyEnabled: aws.Bool(true),
				}}}}); err != nil {
				return err
			}
		}
	}
	return nil
}

func projection(s *Stack, p map[string]any) *ddbtypes.Projection {
	out := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(s.str(p["ProjectionType"]))}
	for _, a := range asList(p["NonKeyAttributes"]) {
		out.NonKeyAttributes = append(out.NonKeyAttributes, s.str(a))
	}
	return out
}

func keySchema(s *Stack, v any) []ddbtypes.KeySchemaElement {
	var out []ddbtypes.KeySchemaElement
	for _, k := range asList(v) {
		km := asMap(k)
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(s.str(km["AttributeName"])), KeyType: ddbtypes.KeyType(s.str(km["KeyType"]))})
	}
	return out
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// str resolves a template value to a string, as CloudFormation would.
func (s *Stack) str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Ref:
		return s.ref(x.Name)
	case GetAtt:
		return s.resources[x.Resource].attrs[x.Attribute]
	case Sub:
		return subVar.ReplaceAllStringFunc(x.Format, func(m string) string {
			name := m[2 : len(m)-1]
			if res, attr, ok := strings.Cut(name, "."); ok {
				return s.resources[res].attrs[attr]
			}
			return s.ref(name)
		})
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (s *Stack) ref(name string) string {
	switch name {
	case "AWS::Region":
		return s.region
	case "AWS::AccountId":
		return "000000000000"
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	}
	if v, ok := s.params[name]; ok {
		return v
	}
	return s.resources[name].ref
}

func randomSecret(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}
