package main

//	staff library collect -reference REF -actor NAME [-pin-link]
//	staff library transfers [-run]
//	staff library stats -from YYYY-MM -to YYYY-MM [-csv stats.csv]
//
// each with [-stack NAME | -local]: the libraries' register (seed 004,
// internal/library): card collection at a service point, the weekly
// collection-agency files, anonymised loan statistics.

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/library"
	"rekisteri/internal/register"
)

const libraryUsage = "usage: staff library collect|transfers|stats [-local | -stack NAME] [flags] (see -h of each)"

func libraryCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"collect", "transfers", "stats"}, args[0]) {
		return errors.New(libraryUsage)
	}
	switch args[0] {
	case "collect":
		return libraryCollect(ctx, args[1:], stdout)
	case "transfers":
		return libraryTransfers(ctx, args[1:], stdout)
	}
	return libraryStats(ctx, args[1:], stdout)
}

// libraryFlags are the flags every library command shares.
type libraryFlags struct {
	local        bool
	stack, actor string
	needsActor   bool
}

func (c *libraryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.stack, "stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables (with -local: the local stack's prefix)")
	fs.BoolVar(&c.local, "local", false, "use the emulators and clock of make run (RUN_DYNAMODB_PORT, RUN_MOTO_PORT, RUN_HTTP_PORT)")
	if c.needsActor {
		fs.StringVar(&c.actor, "actor", "", "who is doing it (written to the audit log)")
	}
}

func (c *libraryFlags) check() error {
	if c.needsActor && strings.TrimSpace(c.actor) == "" {
		return errors.New("-actor is needed: who is doing it")
	}
	return nil
}

var libraryOutputs = []resourceOutput{
	{"PatronsTableName", "PatronsTable", false},
	{"LoansTableName", "LoansTable", false},
	{"TransfersTableName", "TransfersTable", false},
	{"StatisticsTableName", "StatisticsTable", false},
	{"TransfersBucketName", "TransfersBucket", false},
	{"MailTableName", "MailTable", false},
	{"AuditTableName", "AuditTable", false},
	{"BookingsTableName", "BookingsTable", false},
}

// libraryEnv is what a library command works with.
type libraryEnv struct {
	svc    *library.Service
	res    map[string]string // logical id → physical name
	awsCfg aws.Config
	now    func() time.Time
}

// libraryService opens the library register against the local stack or
// the stack's outputs, with the token and subject keys.
func libraryService(ctx context.Context, c libraryFlags) (libraryEnv, error) {
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return libraryEnv{}, err
	}
	cf := cloudformation.NewFromConfig(awsCfg)
	res, err := findResources(ctx, cf, sqs.NewFromConfig(awsCfg), c.local, c.stack, libraryOutputs)
	if err != nil {
		return libraryEnv{}, err
	}
	keys, err := stackKeys(ctx, cf, awsCfg, c.local, c.stack)
	if err != nil {
		return libraryEnv{}, err
	}
	base, err := url.Parse(envOr("PUBLIC_BASE_URL", runnerURL()))
	if err != nil {
		return libraryEnv{}, err
	}
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"),
		DB:   dynamo.NewClient(awsCfg),
		Keys: keys,
		Tables: library.Tables{Patrons: res["PatronsTable"], Loans: res["LoansTable"], Transfers: res["TransfersTable"],
			Statistics: res["StatisticsTable"], Mail: res["MailTable"], Audit: res["AuditTable"], Bookings: res["BookingsTable"]},
		BaseURL: base,
		Now:     now,
	})
	if err != nil {
		return libraryEnv{}, err
	}
	return libraryEnv{svc: svc, res: res, awsCfg: awsCfg, now: now}, nil
}
