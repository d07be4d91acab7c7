package main

//	staff events create -name N [-name-sv N] [-name-en N] -date YYYY-MM-DD [-start HH:MM] [-place P] -capacity N [-list openings] -actor NAME
//	staff events list [-all]
//	staff events participants ID -actor NAME [-out file.csv]
//
// each with [-stack NAME | -local]: the museum's events (openings, the
// seniors' history afternoons, workshops, guided events) and their
// participants (internal/events). create prints the event's id and its
// public signup URL; participants prints the list, or writes it as a new
// 0600 formula-safe CSV, and logs the use under -actor to the audit table.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/events"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/register"
)

const eventsUsage = "usage: staff events create|list|participants [ID] [-local | -stack NAME] [flags] (see -h of each)"

type eventsCmd struct {
	sub, id                    string
	local, all                 bool
	stack, actor, out, baseURL string
	name, nameSV, nameEN       string
	date, start, place, list   string
	capacity                   int
}

func parseEvents(args []string) (eventsCmd, error) {
	if len(args) == 0 || !slices.Contains([]string{"create", "list", "participants"}, args[0]) {
		return eventsCmd{}, errors.New(eventsUsage)
	}
	c := eventsCmd{sub: args[0]}
	args = args[1:]
	if c.sub == "participants" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.id, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("events "+c.sub, flag.ContinueOnError)
	fs.StringVar(&c.stack, "stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables (with -local: the local stack's prefix)")
	fs.BoolVar(&c.local, "local", false, "use the emulators and clock of make run (RUN_DYNAMODB_PORT, RUN_MOTO_PORT, RUN_HTTP_PORT)")
	switch c.sub {
	case "create":
		fs.StringVar(&c.name, "name", "", "the event's name (in Finnish, or its one name)")
		fs.StringVar(&c.nameSV, "name-sv", "", "its name in Swedish")
		fs.StringVar(&c.nameEN, "name-en", "", "its name in English")
		fs.StringVar(&c.date, "date", "", "the day, YYYY-MM-DD")
		fs.StringVar(&c.start, "start", "", "when it starts, HH:MM")
		fs.StringVar(&c.place, "place", "", "where")
		fs.IntVar(&c.capacity, "capacity", 0, "how many seats")
		fs.StringVar(&c.list, "list", "", "the declared list whose members are invited (openings, …)")
		fs.StringVar(&c.actor, "actor", "", "who is creating it (written to the audit log)")
		fs.StringVar(&c.baseURL, "base-url", os.Getenv("PUBLIC_BASE_URL"), "the public site (samconfig.toml's PublicBaseURL; -local: make run's)")
	case "list":
		fs.BoolVar(&c.all, "all", false, "past events too")
	case "participants":
		fs.StringVar(&c.actor, "actor", "", "who is reading the list (written to the audit log)")
		fs.StringVar(&c.out, "out", "", "write the list as CSV here (a new file, mode 0600)")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	switch {
	case c.sub == "create" && (c.name == "" || c.date == "" || c.capacity == 0):
		return c, errors.New("events create needs -name, -date and -capacity")
	case c.sub == "participants" && c.id == "":
		return c, errors.New("events participants needs the event's id")
	case c.sub != "list" && strings.TrimSpace(c.actor) == "":
		return c, fmt.Errorf("events %s needs -actor: who is doing it", c.sub)
	}
	return c, nil
}

var eventsOutputs = []resourceOutput{
	{"EventsTableName", "EventsTable", false},
	{"AuditTableName", "AuditTable", false},
}

func eventsCommand(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseEvents(args)
	if err != nil {
		return err
	}
	if c.local && c.baseURL == "" {
		c.baseURL = runnerURL()
	}
	base, err := url.Parse(c.baseURL)
	if c.sub == "create" && (err != nil || c.baseURL == "" || base.Scheme != "https" && !c.local) {
		return fmt.Errorf("-base-url %q: the public https address the signup form is at (PublicBaseURL)", c.baseURL)
	}
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return err
	}
	res, err := findResources(ctx, cloudformation.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), c.local, c.stack, eventsOutputs)
	if err != nil {
		return err
	}
	if base == nil {
		base = &url.URL{}
	}
	svc := events.NewService(register.MustLoad("museum"), dynamo.NewClient(awsCfg), nil,
		events.Tables{Events: res["EventsTable"], Audit: res["AuditTable"]}, base).At(now)
	switch c.sub {
	case "create":
		name := map[string]string{"fi": c.name}
		for lang, n := range map[string]string{"sv": c.nameSV, "en": c.nameEN} {
			if n != "" {
				name[lang] = n
			}
		}
		ev, err := svc.Create(ctx, events.NewEvent{Name: name, Date: c.date, Start: c.start, Place: c.place, Capacity: c.capacity, List: c.list, Actor: c.actor})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, ev.ID)
		fmt.Fprintln(stdout, svc.SignupURL(ev.ID))
		return nil
	case "list":
		from := helsinki.Today(now()).Format("2006-01-02")
		if c.all {
			from = ""
		}
		evs, err := svc.List(ctx, from)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			fmt.Fprintln(stdout, "no events")
		}
		for _, ev := range evs {
			fmt.Fprintf(stdout, "%s  %s %-5s  %3d/%-3d taken  %-9s  %q  %s\n", ev.ID, ev.Date, ev.Start, ev.Taken, ev.Capacity, ev.List, ev.NameIn("fi"), ev.Place)
		}
		return nil
	}
	return eventParticipants(ctx, svc, c, stdout)
}

// eventParticipants prints or writes an event's participants: a use of
// their personal data, so it is audited under the actor first.
func eventParticipants(ctx context.Context, svc *events.Service, c eventsCmd, stdout io.Writer) error {
	ev, err := svc.Get(ctx, c.id)
	if err != nil {
		return fmt.Errorf("event %s: %w", c.id, err)
	}
	ps, err := svc.Participants(ctx, ev.ID)
	if err != nil {
		return err
	}
	if err := svc.AuditListing(ctx, ev.ID, c.actor); err != nil {
		return err
	}
	w := stdout
	if c.out != "" {
		f, err := csvsafe.Create(c.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write([]string{"name", "email", "guests", "seats", "lang", "status", "source", "registeredAt", "restricted"}); err != nil {
		return err
	}
	seats := 0
	for _, p := range ps {
		if p.Status == events.Registered {
			seats += p.Seats()
		}
		if err := cw.Write([]string{p.Name, p.Email, strconv.Itoa(p.Guests), strconv.Itoa(p.Seats()), p.Lang, p.Status, p.Source, p.RegisteredAt, strconv.FormatBool(p.Restricted)}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if c.out != "" {
		fmt.Fprintf(stdout, "%s: %d participants, %d of %d seats taken; wrote %s\n", ev.ID, len(ps), seats, ev.Capacity, c.out)
	}
	return nil
}
