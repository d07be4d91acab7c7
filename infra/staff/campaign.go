package main

//	staff campaign send -list L -subject S -body FILE.md [-subject-sv S -body-sv FILE] [-subject-en S -body-en FILE] -actor NAME
//	staff campaign status ID [-watch] | campaign list
//	staff lists undeliverable -actor NAME
//
// each with [-stack NAME | -local]. send checks the draft (a declared list
// with someone on it, the Finnish version, the Markdown's links and
// images), writes the campaign with an audit entry under -actor and queues
// its id for the campaigns function ("staff triggering work through queued
// requests"); status shows its progress.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/campaign"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/events"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
)

const campaignUsage = "usage: staff campaign send|status|list [ID] [-local | -stack NAME] [flags] (see -h of each); staff lists undeliverable"

type campaignCmd struct {
	sub, id            string
	local, watch       bool
	stack, actor, list string
	event              string            // an invitation: each mail carries its RSVP link
	subject, body      map[string]string // by language: the subject, the body's file
	interval           time.Duration
}

func parseCampaign(args []string) (campaignCmd, error) {
	if len(args) == 0 || !slices.Contains([]string{"send", "status", "list"}, args[0]) {
		return campaignCmd{}, errors.New(campaignUsage)
	}
	c := campaignCmd{sub: args[0], subject: map[string]string{}, body: map[string]string{}}
	args = args[1:]
	if c.sub == "status" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.id, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("campaign "+c.sub, flag.ContinueOnError)
	fs.StringVar(&c.stack, "stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables and queue (with -local: the local stack's prefix)")
	fs.BoolVar(&c.local, "local", false, "use the emulators and clock of make run (RUN_DYNAMODB_PORT, RUN_MOTO_PORT, RUN_HTTP_PORT)")
	var subj, body [3]string
	if c.sub == "send" {
		fs.StringVar(&c.list, "list", "", "the declared list to send to (newsletter, openings)")
		fs.StringVar(&c.actor, "actor", "", "who is sending (written to the campaign and the audit log)")
		fs.StringVar(&c.event, "event", "", "an event's id (staff events create): the mailing invites to it, each mail with its recipient's RSVP link")
		for i, lang := range campaign.Langs {
			suffix := ""
			if lang != "fi" {
				suffix = "-" + lang
			}
			fs.StringVar(&subj[i], "subject"+suffix, "", "the subject in "+lang)
			fs.StringVar(&body[i], "body"+suffix, "", "a Markdown file: the body in "+lang)
		}
	}
	if c.sub == "status" {
		fs.BoolVar(&c.watch, "watch", false, "redraw the progress until every mail is sent")
		fs.DurationVar(&c.interval, "every", 2*time.Second, "with -watch: how often")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	for i, lang := range campaign.Langs {
		if subj[i] != "" || body[i] != "" {
			c.subject[lang], c.body[lang] = subj[i], body[i]
		}
	}
	switch {
	case c.sub == "status" && c.id == "":
		return c, errors.New("campaign status needs the campaign's id")
	case c.sub == "send" && c.list == "":
		return c, errors.New("campaign send needs -list")
	case c.sub == "send" && strings.TrimSpace(c.actor) == "":
		return c, errors.New("campaign send needs -actor: who is sending")
	}
	return c, nil
}

func campaignCommand(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseCampaign(args)
	if err != nil {
		return err
	}
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return err
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	res, err := findResources(ctx, cloudformation.NewFromConfig(awsCfg), sqsClient, c.local, c.stack, campaignOutputs)
	if err != nil {
		return err
	}
	reg := register.MustLoad("museum")
	recs, err := record.NewCatalogue(reg, map[string]string{"campaigns": res["CampaignsTable"], "audit": res["AuditTable"], "subscribers": res["SubscribersTable"]})
	if err != nil {
		return err
	}
	db := dynamo.NewClient(awsCfg)
	switch c.sub {
	case "send":
		if c.event != "" {
			_, err := events.NewService(reg, db, nil, events.Tables{Events: res["EventsTable"]}, nil).Get(ctx, c.event)
			if errors.Is(err, events.ErrNotFound) {
				return fmt.Errorf("campaign send: no event %q (staff events list)", c.event)
			}
			if err != nil {
				return err
			}
		}
		return campaignSend(ctx, c, reg, recs, db, sqsqueue.New(sqsClient, res["CampaignsQueue"]), now, stdout)
	case "status":
		for {
			cp, err := campaign.Load(ctx, db, res["CampaignsTable"], c.id)
			if err != nil {
				return err
			}
			printStatus(stdout, cp)
			if !c.watch || cp.Status == campaign.Written && cp.Pending() == 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(c.interval):
			}
		}
	}
	ids, err := campaign.Recent(ctx, db, res["CampaignsTable"], 20)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "no campaigns yet")
	}
	for _, id := range ids {
		cp, err := campaign.Load(ctx, db, res["CampaignsTable"], id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s  %s  %-10s  %-8s  %d/%d sent  %q\n", cp.ID(), cp.CreatedAt, cp.List, cp.Status, cp.Sent, cp.Recipients, cp.Source["fi"].Subject)
	}
	return nil
}

var campaignOutputs = []resourceOutput{
	{"CampaignsTableName", "CampaignsTable", false},
	{"SubscribersTableName", "SubscribersTable", false},
	{"AuditTableName", "AuditTable", false},
	{"CampaignsQueueUrl", "CampaignsQueue", true},
	{"EventsTableName", "EventsTable", false},
}

func campaignSend(ctx context.Context, c campaignCmd, reg *register.Register, recs *record.Catalogue, db *dynamodb.Client, q *sqsqueue.Queue, now func() time.Time, stdout io.Writer) error {
	if _, ok := reg.List(c.list); !ok {
		var ids []string
		for _, l := range reg.Lists {
			ids = append(ids, l.ID)
		}
		return fmt.Errorf("campaign send: no list %q; the declared lists are %s", c.list, strings.Join(ids, ", "))
	}
	src := map[string]campaign.Source{}
	for lang, file := range c.body {
		if file == "" {
			return fmt.Errorf("campaign send: the %s subject needs its body (-body%s FILE)", lang, langSuffix(lang))
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("campaign send: the %s body: %w", lang, err)
		}
		src[lang] = campaign.Source{Subject: c.subject[lang], Body: string(b)}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	id := "k" + now().UTC().Format("20060102") + "-" + hex.EncodeToString(rnd[:])
	cp, err := campaign.New(now(), id, c.list, c.actor, src)
	if err != nil {
		return err
	}
	cp.Event = c.event
	if err := campaign.Check(src); err != nil {
		return fmt.Errorf("campaign send: %w", err)
	}
	ok, err := campaign.HasAudience(ctx, db, recs.Table("subscribers"), c.list)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("campaign send: the list %s has no active subscriber: nothing queued", c.list)
	}
	if err := campaign.Create(ctx, db, recs, cp, now()); err != nil {
		return err
	}
	if err := q.Send(ctx, sqsqueue.Message{Op: campaign.OpSend, ID: id}); err != nil {
		return fmt.Errorf("campaign %s is written but not queued (run send again? no: queue it with the DLQ redrive or ask IT): %w", id, err)
	}
	fmt.Fprintf(stdout, "campaign %s queued to the list %s; follow it with: staff campaign status %s -watch\n", id, c.list, id)
	return nil
}

func langSuffix(lang string) string {
	if lang == "fi" {
		return ""
	}
	return "-" + lang
}

// printStatus shows a campaign's progress: its recipients' jobs written,
// the mails sent, what was skipped and why.
func printStatus(w io.Writer, c campaign.Campaign) {
	done := c.Sent + c.Withheld
	const width = 30
	bar := 0
	if c.Recipients > 0 {
		bar = done * width / c.Recipients
	}
	fmt.Fprintf(w, "campaign %s to %s: %s\n", c.ID(), c.List, c.Status)
	fmt.Fprintf(w, "  [%s%s] %d/%d sent\n", strings.Repeat("#", bar), strings.Repeat(".", width-bar), c.Sent, c.Recipients)
	fmt.Fprintf(w, "  queued (in the outbox, not yet sent): %d\n", c.Pending())
	fmt.Fprintf(w, "  sent: %d\n", c.Sent)
	fmt.Fprintf(w, "  withheld by the mailer (restricted since): %d\n", c.Withheld)
	for reason, n := range c.Skipped {
		fmt.Fprintf(w, "  skipped, %s: %d\n", reason, n)
	}
}
