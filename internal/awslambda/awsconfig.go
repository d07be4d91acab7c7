package awslambda

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"rekisteri/internal/config"
)

// AWSConfig builds the SDK config from the environment Lambda gives every
// function (AWS_REGION and the execution role's credentials), and honours
// AWS_ENDPOINT_URL for the local emulators. Unlike the SDK's default loader
// it reads no files and links no STS, SSO or IMDS clients: a function links
// only the services it calls, and starts without touching the network.
func AWSConfig(env config.Lookup) (aws.Config, error) {
	get := func(k string) string { v, _ := env(k); return v }
	region := get("AWS_REGION")
	if region == "" {
		region = get("AWS_DEFAULT_REGION")
	}
	if err := config.CheckRegion(region); err != nil {
		return aws.Config{}, err
	}
	id, secret := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: get("AWS_SESSION_TOKEN"), Source: "environment"}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
	}
	if ep := get("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	cfg.APIOptions = append(cfg.APIOptions, trimStack)
	return cfg, nil
}

// trimStack takes out of every call the SDK middlewares that only describe
// the client to AWS: the User-Agent string built per call, the
// amz-sdk-invocation-id (a random UUID per call) and the amz-sdk-request
// retry header. Each costs CPU on every call and again in SigV4, which signs
// every header; none changes what a call does. Recursion detection stays:
// it carries Lambda's trace id, by which Lambda stops a recursive loop.
func trimStack(s *middleware.Stack) error {
	for _, id := range []string{"UserAgent", "ClientRequestID"} {
		_, _ = s.Build.Remove(id)
	}
	_, _ = s.Finalize.Remove("RetryMetricsHeader")
	return nil
}
