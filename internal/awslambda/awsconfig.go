package awslambda

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"rekisteri/internal/config"
)

// AWSConfig builds the SDK config from the environment Lambda gives every
// function (AWS_REGION and the execution role's credentials), and honours
// AWS_ENDPOINT_URL for the local emulators. Unlike the SDK's default loader
// it reads no files and links no STS, SSO or IMDS clients: a function links
// only the services it calls, and starts without touching the network.
func AWSConfig(env config.Lookup) (aws.Config, error) {
	cfg, _, err := awsConfig(env)
	return cfg, err
}

func awsConfig(env config.Lookup) (aws.Config, *endpointCache, error) {
	get := func(k string) string { v, _ := env(k); return v }
	region := get("AWS_REGION")
	if region == "" {
		region = get("AWS_DEFAULT_REGION")
	}
	if err := config.CheckRegion(region); err != nil {
		return aws.Config{}, nil, err
	}
	id, secret := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, nil, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
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
	endpoints := &endpointCache{}
	cfg.APIOptions = append(cfg.APIOptions, trimStack, markOwnEndpoint, endpoints.use)
	return cfg, endpoints, nil
}

// endpointCache keeps, per service and operation, where the SDK's endpoint
// rules sent the first call. The rules depend only on the client's region,
// endpoint and FIPS/dual-stack settings, the identity's account and a few
// input fields, all fixed for a function's life, yet the SDK evaluates them
// (and parses the resulting URL) on every call: about a tenth of a signup's
// CPU. Calls whose rules could depend on the input (an SES multi-region
// EndpointId) or that carry signing properties in the endpoint are not
// cached.
type endpointCache struct {
	m    sync.Map // "Service.Operation" → resolvedEndpoint
	hits atomic.Int64
}

type resolvedEndpoint struct {
	scheme, host string
	header       http.Header
}

func (c *endpointCache) use(s *middleware.Stack) error {
	orig, ok := s.Finalize.Get("ResolveEndpointV2")
	if !ok {
		return nil
	}
	_, err := s.Finalize.Swap("ResolveEndpointV2", middleware.FinalizeMiddlewareFunc("ResolveEndpointV2",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok || awsmiddleware.GetRequiresLegacyEndpoints(ctx) {
				return orig.HandleFinalize(ctx, in, next)
			}
			key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
			if e, ok := c.m.Load(key); ok {
				r := e.(resolvedEndpoint)
				c.hits.Add(1)
				req.URL.Scheme, req.URL.Host = r.scheme, r.host
				req.URL.Path, req.URL.RawPath = smithyhttp.JoinPath("", req.URL.Path), smithyhttp.JoinPath("", req.URL.RawPath)
				for k, v := range r.header {
					req.Header[k] = v
				}
				return next.HandleFinalize(ctx, in)
			}
			path, rawPath, nHeader := req.URL.Path, req.URL.RawPath, len(req.Header)
			before := make(map[string]bool, nHeader)
			for k := range req.Header {
				before[k] = true
			}
			return orig.HandleFinalize(ctx, in, middleware.FinalizeHandlerFunc(
				func(ctx context.Context, in middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
					// Cached only when the endpoint has no path of its own.
					if req.URL.Path == smithyhttp.JoinPath("", path) && req.URL.RawPath == smithyhttp.JoinPath("", rawPath) && cacheable(ctx) {
						r := resolvedEndpoint{scheme: req.URL.Scheme, host: req.URL.Host, header: http.Header{}}
						for k, v := range req.Header {
							if !before[k] {
								r.header[k] = v
							}
						}
						c.m.Store(key, r)
					}
					return next.HandleFinalize(ctx, in)
				}))
		}))
	return err
}

type ownEndpointKey struct{}

// cacheable tells whether an endpoint resolved for this call holds for every
// call of its operation: not when the input names an endpoint of its own.
func cacheable(ctx context.Context) bool {
	own, _ := middleware.GetStackValue(ctx, ownEndpointKey{}).(bool)
	return !own
}

// markOwnEndpoint notes, before anything else, whether the input names an
// endpoint (an SES v2 multi-region EndpointId), whose rules differ per call.
func markOwnEndpoint(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("rekisteri.ownEndpoint",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) != "SESv2" {
				return next.HandleInitialize(ctx, in)
			}
			v := reflect.ValueOf(in.Parameters)
			if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
				if f := v.Elem().FieldByName("EndpointId"); f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() {
					ctx = middleware.WithStackValue(ctx, ownEndpointKey{}, true)
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// trimStack takes out of every call the SDK middlewares that only describe
// the client to AWS: the User-Agent string built per call and the
// amz-sdk-invocation-id (a random UUID per call). Each costs CPU on every
// call and again in SigV4, which signs every header; neither changes what a
// call does. (The retry's amz-sdk-request header is set by the retry itself.) Recursion detection stays:
// it carries Lambda's trace id, by which Lambda stops a recursive loop.
func trimStack(s *middleware.Stack) error {
	for _, id := range []string{"UserAgent", "ClientRequestID"} {
		_, _ = s.Build.Remove(id)
	}
	return nil
}
