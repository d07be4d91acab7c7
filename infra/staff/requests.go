package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
)

//	staff requests create -type T -email ADDR [-details TEXT] [-lang fi|sv|en] -actor NAME -case CASE [-deliver-to ADDR]
//	staff requests create -register library -customer NUMBER | -hetu-stdin  -type T [-email ADDR] … (as above)
//	staff requests list | show ID | extend ID -reason TEXT | resolve ID | lift-restriction ID | rectify ID -set attr=value …
//
// each with [-stack NAME | -local] and, where staff act, -actor NAME: data-subject requests received by
// letter, phone or at a service point (staff checked the identity), and the GDPR clock. A command
// writes the request (requests.Store), logs an audit entry under -actor, then queues the id for the
// requests function, which does the work and mails the person. Only show prints personal data.
//
// A library patron's request (-register library) is found by the customer number on the card, or
// by the identity code (read from stdin, never from the command line) after staff checked the ID at
// a service point: the request carries the patron's subject key, so it reaches their patron record,
// loans, fees, guardian links and collection transfers; the reply goes to the patron's e-mail
// unless -email names another.

const requestsUsage = "usage: staff requests create|list|show|extend|resolve|lift-restriction|rectify [ID] [-local | -stack NAME] [flags] (see -h of each)"

// Limits of what staff type in.
const (
	maxDetails  = 4000 // characters, as the public form
	maxReason   = 2000 // characters of an extension's reason, mailed to the person
	maxStaffArg = 100  // characters of -actor and -case
)

// requestsStdin is where -hetu-stdin reads the identity code (tests replace it).
var requestsStdin io.Reader = os.Stdin

// requestsCmd is a parsed `staff requests` command.
type requestsCmd struct {
	sub, id                                                  string
	local                                                    bool
	stack, actor, typ, email, details, lang, caseNo, deliver string
	reason                                                   string
	// A library patron's request: the register, and the customer number
	// or the identity code (read from stdin) that finds the patron.
	register, customer string
	hetuStdin          bool
	set                map[string]string
}

func requestsCommand(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseRequests(args)
	if err != nil {
		return err
	}
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return err
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	var res RequestsResources
	if c.local {
		res, err = requestsFromLocal(ctx, sqsClient, c.stack)
	} else {
		res, err = requestsFromStack(ctx, cloudformation.NewFromConfig(awsCfg), c.stack)
	}
	if err != nil {
		return err
	}
	recs, err := record.NewCatalogue(register.MustLoad("museum"), map[string]string{"requests": res.Table, "audit": res.AuditTable})
	if err != nil {
		return err
	}
	db := dynamo.NewClient(awsCfg)
	store, err := requests.NewStore(db, recs)
	if err != nil {
		return err
	}
	t := &requestsTool{store: store, db: db, recs: recs, queue: sqsqueue.New(sqsClient, res.Queue),
		keys: keyring.New(secretsmanager.NewFromConfig(awsCfg), "", res.SubjectKeySecret), now: now, stdout: stdout, stdin: requestsStdin}
	if c.sub == "create" && c.register == "library" {
		lib, err := findResources(ctx, cloudformation.NewFromConfig(awsCfg), sqsClient, c.local, c.stack, []resourceOutput{{"PatronsTableName", "PatronsTable", false}})
		if err != nil {
			return err
		}
		t.patrons = lib["PatronsTable"]
	}
	return t.run(ctx, c)
}

// parseRequests reads the subcommand, its id (before or after the flags)
// and its flags, and refuses what is missing or malformed before anything
// is read or written.
func parseRequests(args []string) (requestsCmd, error) {
	if len(args) == 0 {
		return requestsCmd{}, errors.New(requestsUsage)
	}
	c := requestsCmd{sub: args[0], set: map[string]string{}}
	takesID := c.sub != "create" && c.sub != "list"
	if !slices.Contains([]string{"create", "list", "show", "extend", "resolve", "lift-restriction", "rectify"}, c.sub) {
		return c, errors.New(requestsUsage)
	}
	args = args[1:]
	if takesID && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.id, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("requests "+c.sub, flag.ContinueOnError)
	fs.StringVar(&c.stack, "stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the table and queue (with -local: the local stack's prefix)")
	fs.BoolVar(&c.local, "local", false, "use the emulators and clock of make run (RUN_DYNAMODB_PORT, RUN_MOTO_PORT, RUN_HTTP_PORT)")
	fs.StringVar(&c.actor, "actor", "", "who is acting (written to the request and the audit log)")
	if c.sub == "create" {
		fs.StringVar(&c.typ, "type", "", "access, rectification, erasure, restriction or objection")
		fs.StringVar(&c.email, "email", "", "the person's e-mail address (identity checked by staff)")
		fs.StringVar(&c.details, "details", "", "what the person asks, in their words (at most 4000 characters)")
		fs.StringVar(&c.lang, "lang", register.Languages[0], "the language of the reply: "+strings.Join(register.Languages, ", "))
		fs.StringVar(&c.caseNo, "case", "", "the case number in the city's case register")
		fs.StringVar(&c.deliver, "deliver-to", "", "access: a staff address the copy goes to instead of the person's")
		fs.StringVar(&c.register, "register", "museum", "the register the request is made to: museum or library")
		fs.StringVar(&c.customer, "customer", "", "library: the patron's customer number (the card's number)")
		fs.BoolVar(&c.hetuStdin, "hetu-stdin", false, "library: read the patron's personal identity code from stdin (never give it on the command line)")
	}
	if c.sub == "extend" {
		fs.StringVar(&c.reason, "reason", "", "why the request needs two more months (mailed to the person)")
	}
	if c.sub == "rectify" {
		fs.Func("set", "attr=value: a corrected attribute ("+strings.Join(requests.CorrectableAttributes, ", ")+"); repeat for more", func(s string) error {
			k, v, ok := strings.Cut(s, "=")
			if !ok || k == "" {
				return errors.New("want attr=value")
			}
			if _, dup := c.set[k]; dup {
				return fmt.Errorf("%s is set twice", k)
			}
			c.set[k] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	rest := fs.Args()
	if takesID && c.id == "" && len(rest) > 0 {
		c.id, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return c, fmt.Errorf("requests %s: unexpected arguments %v", c.sub, rest)
	}
	if takesID && !requests.ValidID(c.id) {
		return c, fmt.Errorf("requests %s: give the request's id (r and 12 letters or digits), not %q", c.sub, c.id)
	}
	if c.sub == "show" && c.actor == "" {
		c.actor = os.Getenv("USER") // viewing is audited too
	}
	return c, c.validate()
}

// validate checks each flag the subcommand needs, reporting every problem.
func (c requestsCmd) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	text := func(flag, v string, limit int, required bool) {
		switch {
		case strings.TrimSpace(v) == "" && required:
			bad("-%s is required", flag)
		case utf8.RuneCountInString(v) > limit:
			bad("-%s is %d characters, at most %d are allowed", flag, utf8.RuneCountInString(v), limit)
		case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
			bad("-%s has control characters", flag)
		}
	}
	if c.sub != "list" {
		text("actor", c.actor, maxStaffArg, true)
	}
	switch c.sub {
	case "create":
		if !slices.Contains(requests.Types, c.typ) {
			bad("-type %q is not a request type: give one of %s", c.typ, strings.Join(requests.Types, ", "))
		}
		switch c.register {
		case "museum":
			if !mail.ValidAddress(c.email) {
				bad("-email %q is not a valid e-mail address", c.email)
			}
			if c.customer != "" || c.hetuStdin {
				bad("-customer and -hetu-stdin find a library patron: give -register library")
			}
		case "library":
			if c.email != "" && !mail.ValidAddress(c.email) {
				bad("-email %q is not a valid e-mail address", c.email)
			}
			switch {
			case c.customer == "" && !c.hetuStdin:
				bad("-register library: give the patron's -customer number, or -hetu-stdin")
			case c.customer != "" && c.hetuStdin:
				bad("give -customer or -hetu-stdin, not both")
			case c.customer != "" && !library.ValidCustomerNumber(c.customer):
				bad("-customer: a customer number is 14 digits")
			}
		default:
			bad("-register %q: give museum or library", c.register)
		}
		text("details", c.details, maxDetails, false)
		if !slices.Contains(register.Languages, c.lang) {
			bad("-lang %q: give one of %s", c.lang, strings.Join(register.Languages, ", "))
		}
		text("case", c.caseNo, maxStaffArg, true)
		switch {
		case c.deliver != "" && c.typ != requests.Access:
			bad("-deliver-to is for an access request (where the copy goes), not %s", c.typ)
		case c.deliver != "" && !mail.ValidAddress(c.deliver):
			bad("-deliver-to %q is not a valid e-mail address", c.deliver)
		}
	case "extend":
		text("reason", c.reason, maxReason, true)
	case "rectify":
		if err := requests.ValidCorrection(c.set); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("requests %s refused, nothing written: %w", c.sub, errors.Join(errs...))
	}
	return nil
}
