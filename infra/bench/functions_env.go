package main

// A function's environment (functions.go): what Lambda would set, with the
// template's variables resolved to plausible values.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"rekisteri/infra/local"
)

// functionEnv is the environment Lambda would give function name, with the
// template's variables resolved to plausible values and every AWS endpoint
// pointing at endpoint.
func functionEnv(tmpl *local.Template, name, endpoint string) []string {
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":          "bench-" + name,
		"AWS_LAMBDA_FUNCTION_VERSION":       "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":   "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":         "/aws/lambda/bench-" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":        "2026/01/01/[$LATEST]bench",
		"AWS_LAMBDA_LOG_FORMAT":             "JSON",
		"AWS_LAMBDA_LOG_LEVEL":              "INFO",
		"AWS_LAMBDA_INITIALIZATION_TYPE":    "on-demand",
		"AWS_EXECUTION_ENV":                 "AWS_Lambda_provided.al2023",
		"_HANDLER":                          "bootstrap",
		"LAMBDA_TASK_ROOT":                  "/var/task",
		"LAMBDA_RUNTIME_DIR":                "/var/runtime",
		"TZ":                                ":UTC",
		"LANG":                              "en_US.UTF-8",
		"AWS_REGION":                        "eu-north-1",
		"AWS_DEFAULT_REGION":                "eu-north-1",
		"AWS_ACCESS_KEY_ID":                 "ASIABENCHBENCHBENCH0",
		"AWS_SECRET_ACCESS_KEY":             "bench/bench/bench/bench/bench/bench/bench",
		"AWS_SESSION_TOKEN":                 "bench-session-token",
		"AWS_ENDPOINT_URL":                  endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB":         endpoint,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint,
	}
	rv := resolver{tmpl: tmpl, endpoint: endpoint}
	for k, v := range tmpl.GlobalEnv {
		env[k] = rv.str(v)
	}
	for k, v := range asMap(asMap(tmpl.Resources[name].Properties["Environment"])["Variables"]) {
		env[k] = rv.str(v)
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// resolver gives template intrinsics the values CloudFormation would give
// them in a stack named "bench", without creating anything.
type resolver struct {
	tmpl     *local.Template
	endpoint string
}

const benchAccount = "000000000000"

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

func (rv resolver) str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case local.Ref:
		return rv.ref(x.Name)
	case local.GetAtt:
		return rv.att(x.Resource, x.Attribute)
	case local.Sub:
		return subVar.ReplaceAllStringFunc(x.Format, func(m string) string {
			n := m[2 : len(m)-1]
			if res, attr, ok := strings.Cut(n, "."); ok {
				return rv.att(res, attr)
			}
			return rv.ref(n)
		})
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (rv resolver) ref(name string) string {
	switch name {
	case "AWS::Region":
		return "eu-north-1"
	case "AWS::AccountId":
		return benchAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return "bench"
	}
	if name == "PublicBaseURL" {
		return "http://bench.local"
	}
	if v, ok := rv.tmpl.Parameters[name]; ok {
		return v
	}
	phys := "bench-" + name
	switch rv.tmpl.Resources[name].Type {
	case "AWS::SQS::Queue":
		return strings.TrimRight(rv.endpoint, "/") + "/" + benchAccount + "/" + phys
	case "AWS::SecretsManager::Secret":
		return "arn:aws:secretsmanager:eu-north-1:" + benchAccount + ":secret:" + phys + "-AbCdEf"
	case "AWS::KMS::Key":
		return "0b5e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4"
	case "AWS::S3::Bucket":
		return strings.ToLower(phys)
	case "AWS::SNS::Topic":
		return "arn:aws:sns:eu-north-1:" + benchAccount + ":" + phys
	case "AWS::SES::EmailIdentity":
		return rv.str(rv.tmpl.Resources[name].Properties["EmailIdentity"])
	}
	return phys
}

func (rv resolver) att(res, attr string) string {
	phys := "bench-" + res
	switch attr {
	case "Arn":
		svc := map[string]string{
			"AWS::DynamoDB::Table": "dynamodb", "AWS::SQS::Queue": "sqs", "AWS::KMS::Key": "kms",
			"AWS::SecretsManager::Secret": "secretsmanager", "AWS::SNS::Topic": "sns",
		}[rv.tmpl.Resources[res].Type]
		switch svc {
		case "dynamodb":
			return "arn:aws:dynamodb:eu-north-1:" + benchAccount + ":table/" + phys
		case "kms":
			return "arn:aws:kms:eu-north-1:" + benchAccount + ":key/" + rv.ref(res)
		case "":
			svc = "bench"
		}
		return "arn:aws:" + svc + ":eu-north-1:" + benchAccount + ":" + phys
	case "QueueUrl":
		return rv.ref(res)
	}
	return phys
}
