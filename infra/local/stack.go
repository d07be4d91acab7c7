// Package local runs the whole system on one machine: the emulators, every
// resource of template.yaml created in them, every function built by the
// same constructor its Lambda main calls, HTTP routed as API Gateway would,
// queues and table streams polled with Lambda's batch semantics, and
// schedules on demand.
package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"rekisteri/internal/awslambda"
	"rekisteri/internal/booking"
	"rekisteri/internal/campaign"
	"rekisteri/internal/clock"
	"rekisteri/internal/config"
	"rekisteri/internal/events"
	"rekisteri/internal/feedback"
	"rekisteri/internal/library"
	"rekisteri/internal/mailer"
	"rekisteri/internal/newsletter"
	"rekisteri/internal/requests"
	"rekisteri/internal/retention"
)

// Constructors are the functions the local stack can run, by logical id in
// template.yaml; each is the constructor its Lambda main passes to awslambda.Main.
var Constructors = map[string]awslambda.Constructor{
	"NewsletterFunction":       newsletter.Function,
	"FeedbackFunction":         feedback.Function,
	"BookingsFunction":         booking.Function,
	"CampaignsFunction":        campaign.Function,
	"EventsFunction":           events.Function,
	"LibraryFunction":          library.Function,
	"LibraryTransferFunction":  library.TransferFunction,
	"MailerFunction":           mailer.Function,
	"RetentionFunction":        retention.Function,
	"LibraryRetentionFunction": retention.Function, // the same sweep, REGISTER=library
	"RequestsFunction":         requests.Function,
}

// Options configure a local stack.
type Options struct {
	RepoRoot      string
	Prefix        string // resource names are Prefix-LogicalId; lets stacks share emulators
	PublicBaseURL string // links in mail; the runner's own address
	// DynamoDBURL and MotoURL point at running emulators; when empty, the
	// stack starts its own on DynamoDBPort and MotoPort (0: any free port).
	DynamoDBURL, MotoURL   string
	DynamoDBPort, MotoPort int
	LogDir                 string
	// VisibilityTimeout, in seconds, is how soon a failed message is seen
	// again; locally short, so retries and the DLQ can be watched in seconds.
	VisibilityTimeout int32
	// Configure, if set, adjusts the AWS config every function gets (tests
	// add call counters and injected faults here).
	Configure func(*aws.Config)
	// OnMessage, if set, sees every queue message body the stack delivers
	// (tests check them for personal data).
	OnMessage func(queue, body string)
	// Throttle, if set, replaces the template's HTTP API throttling (the
	// test suite sets one for its own pace; one test checks the template's).
	Throttle Throttle
}

// Stack is a running local system.
type Stack struct {
	Template  *Template
	Emulators *Emulators
	Functions map[string]awslambda.Function
	Env       map[string]map[string]string // per function: its resolved environment
	AWS       aws.Config
	// Clock is the time every function of the stack decides by (HTTP,
	// queues, schedules); ClockHandler moves it forward.
	Clock *clock.Moving

	clients   Clients
	prefix    string
	throttle  Throttle
	region    string
	params    map[string]string
	resources map[string]physical
	routes    []route
	queues    []queueSource
	streams   []*streamSource
	// streamsAPI reads the tables' streams from DynamoDB Local.
	streamsAPI *dynamodbstreams.Client
	schedules  []schedule
	opts       Options
	stopOnce   sync.Once
}

type route struct {
	method, path, function string
}

type queueSource struct {
	logical, url, function string
	batchSize              int32
}

type schedule struct {
	name, function, expression, input string
}

// Start brings the stack up. The process environment is set so the SDK
// reaches the emulators: every in-process function shares it.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Prefix == "" {
		opts.Prefix = "rekisteri"
	}
	if opts.VisibilityTimeout == 0 {
		opts.VisibilityTimeout = 2
	}
	tmpl, err := ReadTemplate(filepath.Join(opts.RepoRoot, "template.yaml"))
	if err != nil {
		return nil, err
	}
	s := &Stack{Template: tmpl, prefix: opts.Prefix, throttle: opts.Throttle, region: "eu-north-1", resources: map[string]physical{}, opts: opts,
		Functions: map[string]awslambda.Function{}, Env: map[string]map[string]string{}, Clock: clock.NewMoving(nil)}
	if opts.DynamoDBURL == "" || opts.MotoURL == "" {
		em, err := StartEmulators(ctx, EmulatorOptions{RepoRoot: opts.RepoRoot, DynamoDBPort: opts.DynamoDBPort, MotoPort: opts.MotoPort, LogDir: opts.LogDir})
		if err != nil {
			return nil, err
		}
		s.Emulators = em
		opts.DynamoDBURL, opts.MotoURL = em.DynamoDBURL, em.MotoURL
	}
	s.opts.DynamoDBURL, s.opts.MotoURL = opts.DynamoDBURL, opts.MotoURL
	for k, v := range map[string]string{
		"AWS_REGION": s.region, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL": opts.MotoURL, "AWS_ENDPOINT_URL_DYNAMODB": opts.DynamoDBURL,
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_SESSION_TOKEN")
	s.AWS, err = awslambda.AWSConfig(os.LookupEnv)
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.clients = NewClients(s.AWS)
	s.streamsAPI = s.streamsClient()
	s.params = map[string]string{}
	for k, v := range tmpl.Parameters {
		s.params[k] = v
	}
	if opts.PublicBaseURL != "" {
		s.params["PublicBaseURL"] = opts.PublicBaseURL
	}
	if err := s.provision(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	fnCfg := s.AWS.Copy()
	if opts.Configure != nil {
		opts.Configure(&fnCfg)
	}
	if err := s.buildFunctions(clock.With(ctx, s.Clock.Now), fnCfg); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop ends the emulators the stack started.
func (s *Stack) Stop() {
	s.stopOnce.Do(func() {
		if s.Emulators != nil {
			_ = s.Emulators.Stop()
		}
	})
}

// Clients returns SDK clients on the stack's emulators, without the test hooks.
func (s *Stack) Clients() Clients { return s.clients }

// Resolve returns what a logical id resolves to (a table name, a queue URL).
func (s *Stack) Resolve(logical string) string { return s.resources[logical].ref }

func (s *Stack) buildFunctions(ctx context.Context, cfg aws.Config) error {
	for _, name := range s.Template.Names("AWS::Serverless::Function") {
		build, ok := Constructors[name]
		if !ok {
			return fmt.Errorf("template function %s has no constructor in infra/local", name)
		}
		props := s.Template.Resources[name].Properties
		env := map[string]string{}
		for k, v := range s.Template.GlobalEnv {
			env[k] = s.str(v)
		}
		for k, v := range asMap(asMap(props["Environment"])["Variables"]) {
			env[k] = s.str(v)
		}
		s.Env[name] = env
		fn, err := build(ctx, config.Map(env), cfg)
		if err != nil {
			return fmt.Errorf("build %s: %w", name, err)
		}
		s.Functions[name] = fn
		events := asMap(props["Events"])
		evNames := make([]string, 0, len(events))
		for ev := range events {
			evNames = append(evNames, ev)
		}
		sort.Strings(evNames)
		for _, evName := range evNames {
			ev := asMap(events[evName])
			ep := asMap(ev["Properties"])
			switch s.str(ev["Type"]) {
			case "HttpApi":
				s.routes = append(s.routes, route{method: strings.ToUpper(s.str(ep["Method"])), path: s.str(ep["Path"]), function: name})
			case "SQS":
				arn := s.str(ep["Queue"])
				q := queueSource{function: name, batchSize: 10}
				if b, err := strconv.Atoi(s.str(ep["BatchSize"])); err == nil {
					q.batchSize = int32(min(b, 10))
				}
				for logical, r := range s.resources {
					if r.attrs["Arn"] == arn {
						q.logical, q.url = logical, r.ref
					}
				}
				if q.url == "" {
					return fmt.Errorf("%s: event %s names an unknown queue %s", name, evName, arn)
				}
				s.queues = append(s.queues, q)
			case "DynamoDB":
				src, err := s.newStreamSource(name, evName, ep)
				if err != nil {
					return err
				}
				s.streams = append(s.streams, src)
			case "ScheduleV2", "Schedule":
				s.schedules = append(s.schedules, schedule{name: evName, function: name, expression: s.str(ep["ScheduleExpression"]), input: s.str(ep["Input"])})
			}
		}
	}
	return nil
}

// RunSchedules invokes every scheduled event of function fn (all functions
// when fn is empty) once, as EventBridge Scheduler would.
func (s *Stack) RunSchedules(ctx context.Context, fn string) error {
	for _, sch := range s.schedules {
		if fn != "" && sch.function != fn {
			continue
		}
		input := json.RawMessage(sch.input)
		if len(input) == 0 {
			input = json.RawMessage(`{}`)
		}
		if _, err := s.Functions[sch.function].Invoke(ctx, input); err != nil {
			return fmt.Errorf("schedule %s of %s: %w", sch.name, sch.function, err)
		}
		slog.InfoContext(ctx, "schedule ran", "function", sch.function, "schedule", sch.name)
	}
	return nil
}

// Schedules lists the scheduled events as "Function/Event (expression)".
func (s *Stack) Schedules() []string {
	var out []string
	for _, sch := range s.schedules {
		out = append(out, fmt.Sprintf("%s/%s (%s)", sch.function, sch.name, sch.expression))
	}
	return out
}

func (s *Stack) motoURL() string { return aws.ToString(s.AWS.BaseEndpoint) }
