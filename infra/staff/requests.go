package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/audit"
	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

//	staff requests create -type T -email ADDR [-details TEXT] [-lang fi|sv|en] -actor NAME -case CASE [-deliver-to ADDR]
//	staff requests list | show ID | extend ID -reason TEXT | resolve ID | lift-restriction ID | rectify ID -set attr=value …
//
// each with [-stack NAME | -local] and, where staff act, -actor NAME: data-subject requests received by
// letter, phone or at a service point (staff checked the identity), and the GDPR clock. A command
// writes the request (requests.Store), logs an audit entry under -actor, then queues the id for the
// requests function, which does the work and mails the person. Only show prints personal data.

const requestsUsage = "usage: staff requests create|list|show|extend|resolve|lift-restriction|rectify [ID] [-local | -stack NAME] [flags] (see -h of each)"

// Limits of what staff type in.
const (
	maxDetails  = 4000 // characters, as the public form
	maxReason   = 2000 // characters of an extension's reason, mailed to the person
	maxStaffArg = 100  // characters of -actor and -case
)

// requestsCmd is a parsed `staff requests` command.
type requestsCmd struct {
	sub, id                                                  string
	local                                                    bool
	stack, actor, typ, email, details, lang, caseNo, deliver string
	reason                                                   string
	set                                                      map[string]string
}

func requestsCommand(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseRequests(args)
	if err != nil {
		return err
	}
	now := time.Now
	if c.local {
		useLocalEmulators()
		if now, err = localClock(ctx, "http://127.0.0.1:"+envOr("RUN_HTTP_PORT", "8080")); err != nil {
			return err
		}
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if err := config.CheckRegion(awsCfg.Region); err != nil {
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
		keys: keyring.New(secretsmanager.NewFromConfig(awsCfg), "", res.SubjectKeySecret), now: now, stdout: stdout}
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
		if !mail.ValidAddress(c.email) {
			bad("-email %q is not a valid e-mail address", c.email)
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

// requestsTool is the requests table, its queue and the audit log of one stack.
type requestsTool struct {
	store  *requests.Store
	db     *dynamodb.Client
	recs   *record.Catalogue
	queue  *sqsqueue.Queue
	keys   *keyring.Ring // the subject key, read only by create
	now    func() time.Time
	stdout io.Writer
}

func (t *requestsTool) run(ctx context.Context, c requestsCmd) error {
	switch c.sub {
	case "create":
		return t.create(ctx, c)
	case "list":
		return t.list(ctx)
	case "show":
		return t.show(ctx, c)
	}
	// The rest act on an existing request, then queue its id.
	var op, event, done string
	switch c.sub {
	case "extend":
		r, err := t.store.Extend(ctx, c.id, c.reason, t.now())
		if errors.Is(err, requests.ErrExtendTwice) { // the same again: queue the notice again (sent once)
			if got, gerr := t.store.Get(ctx, c.id); gerr == nil && got.ExtensionReason == c.reason {
				r, err = got, nil
			}
		}
		if err != nil {
			return fmt.Errorf("requests extend %s: %w", c.id, err)
		}
		op, event, done = requests.OpExtended, "request-extended", "extended to "+r.ExtendedTo+"; the person is mailed the reason"
	case "resolve":
		if _, err := t.store.Resolve(ctx, c.id, t.now()); err != nil {
			return fmt.Errorf("requests resolve %s: %w", c.id, err)
		}
		op, event, done = requests.OpResolved, "request-resolved", "resolved; the person is told"
	case "lift-restriction":
		r, err := t.store.Get(ctx, c.id)
		if err != nil {
			return fmt.Errorf("requests lift-restriction %s: %w", c.id, err)
		}
		if r.Type != requests.Restriction {
			return fmt.Errorf("requests lift-restriction %s: it is a request of type %s, not a restriction", c.id, r.Type)
		}
		op, event, done = requests.OpLift, "request-lift-asked", "the person is told first (GDPR Art. 18(3)), then the restriction is lifted"
	case "rectify":
		if err := t.store.SetCorrection(ctx, c.id, c.set); err != nil {
			return fmt.Errorf("requests rectify %s: %w", c.id, err)
		}
		names := strings.Join(slices.Sorted(maps.Keys(c.set)), ", ")
		op, event, done = requests.OpRectify, "request-correction", "correction of "+names+" stored; it is applied to every record of the person"
	}
	if err := t.audit(ctx, event, c.id, "", c.actor); err != nil {
		return err
	}
	if err := t.queue.Send(ctx, sqsqueue.Message{Op: op, ID: c.id}); err != nil {
		return fmt.Errorf("requests %s %s: done, but not queued (run the same command again): %w", c.sub, c.id, err)
	}
	fmt.Fprintf(t.stdout, "%s: %s\n", c.id, done)
	return nil
}

func (t *requestsTool) create(ctx context.Context, c requestsCmd) error {
	keys, err := t.keys.Keys(ctx)
	if err != nil {
		return fmt.Errorf("requests create: the subject key: %w", err)
	}
	// Stored as the web intake stores it: one spelling per mailbox.
	r := requests.New(t.now(), c.typ, subject.EmailKey(keys.Subject, c.email), subject.NormalizeEmail(c.email), c.details, c.lang, requests.Staff)
	r.Actor, r.Case, r.DeliverTo = c.actor, c.caseNo, c.deliver
	if err := t.store.Create(ctx, r); err != nil {
		return fmt.Errorf("requests create: %w", err)
	}
	if err := t.audit(ctx, "request-received", r.ID(), r.SubjectKey, c.actor); err != nil {
		return err
	}
	if err := t.queue.Send(ctx, sqsqueue.Message{Op: requests.OpProcess, ID: r.ID()}); err != nil {
		return fmt.Errorf("requests create: request %s is stored but not queued: %w", r.ID(), err)
	}
	fmt.Fprintf(t.stdout, "request %s (%s) received; due %s\n", r.ID(), r.Type, r.DueOn)
	return nil
}

// list prints the open requests by due date, overdue first: no personal data.
func (t *requestsTool) list(ctx context.Context) error {
	open, err := t.store.Open(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(open, func(i, j int) bool { return open[i].Due() < open[j].Due() })
	now := t.now()
	overdue := 0
	fmt.Fprintf(t.stdout, "%-13s  %-13s  %-8s  %-10s  %-10s  %s\n", "id", "type", "channel", "received", "due", "days left")
	for _, s := range open {
		left := "?"
		if due, err := time.Parse(time.DateOnly, s.Due()); err == nil {
			n := requests.DaysLeft(due, now)
			left = fmt.Sprint(n)
			if n < 0 {
				left += " OVERDUE"
				overdue++
			}
		}
		if s.ExtendedTo != "" {
			left += " (extended)"
		}
		fmt.Fprintf(t.stdout, "%-13s  %-13s  %-8s  %-10s  %-10s  %s\n", s.ID, s.Type, s.Channel, day(s.ReceivedAt), s.Due(), left)
	}
	fmt.Fprintf(t.stdout, "%d open, %d overdue\n", len(open), overdue)
	return nil
}

// show prints every field of a request, its correction, steps and outcome,
// and logs that staff saw them.
func (t *requestsTool) show(ctx context.Context, c requestsCmd) error {
	r, err := t.store.Get(ctx, c.id)
	if err != nil {
		return fmt.Errorf("requests show %s: %w", c.id, err)
	}
	if err := t.audit(ctx, "request-shown", c.id, r.SubjectKey, c.actor); err != nil {
		return err
	}
	due := r.Due()
	if d, err := time.Parse(time.DateOnly, due); err == nil && r.Status == requests.Open {
		if n := requests.DaysLeft(d, t.now()); n < 0 {
			due += fmt.Sprintf(" (OVERDUE by %d days)", -n)
		} else {
			due += fmt.Sprintf(" (%d days left)", n)
		}
	}
	for _, row := range [][2]string{
		{"id", r.ID()}, {"type", r.Type}, {"status", r.Status}, {"channel", r.Channel},
		{"email", r.Email}, {"lang", r.Lang}, {"subject key", subject.Prefix(r.SubjectKey) + "…"},
		{"received by", r.Actor}, {"case", r.Case}, {"deliver to", r.DeliverTo},
		{"received", r.ReceivedAt}, {"verified", r.VerifiedAt}, {"due", r.DueOn},
		{"extended to", r.ExtendedTo}, {"extended at", r.ExtendedAt}, {"extension reason", r.ExtensionReason},
		{"due now", due}, {"resolved", r.ResolvedAt}, {"restricted", r.RestrictedAt},
		{"exports", strings.Join(r.Exports, ", ")}, {"recipients told", strings.Join(r.RecipientsTold, ", ")},
		{"details", r.Details},
	} {
		if row[1] != "" {
			fmt.Fprintf(t.stdout, "%-17s %s\n", row[0]+":", printable(row[1]))
		}
	}
	for _, m := range []struct {
		name string
		m    map[string]string
	}{{"correction", r.Correction}, {"steps", r.Steps}, {"outcome", r.Outcome}} {
		if len(m.m) == 0 {
			fmt.Fprintf(t.stdout, "%-17s (none)\n", m.name+":")
			continue
		}
		fmt.Fprintf(t.stdout, "%s:\n", m.name)
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			fmt.Fprintf(t.stdout, "  %-15s %s\n", printable(k), printable(m.m[k]))
		}
	}
	return nil
}

// audit logs a staff action on request id under actor, without personal
// data beyond the subject key's prefix.
func (t *requestsTool) audit(ctx context.Context, event, id, subjectKey, actor string) error {
	e := audit.Entry{Event: event, Ref: id, Actor: actor}
	if subjectKey != "" {
		e.SubjectPrefix = subject.Prefix(subjectKey)
	}
	it, err := audit.Put(t.recs, t.now(), e)
	if err != nil {
		return err
	}
	if _, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: it.Put.TableName, Item: it.Put.Item}); err != nil {
		return fmt.Errorf("requests %s: the audit entry: %w", id, err)
	}
	return nil
}

// day is an RFC 3339 time's date in Finland.
func day(stamp string) string {
	t, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return stamp
	}
	return helsinki.Today(t).Format(time.DateOnly)
}

// printable keeps what a person typed from steering staff's terminal:
// control characters (escape sequences) show as U+FFFD, tabs as spaces, a
// new line continues indented.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r) && r != '\n':
			return utf8.RuneError
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", 18))
}
