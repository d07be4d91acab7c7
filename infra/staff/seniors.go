package main

//	staff seniors add -name N -street S -postcode 02100 -city C [-email E] [-lang fi] -consent paper -actor NAME
//	staff seniors list | seniors remove -id ID -actor NAME
//	staff seniors print-export -out addresses.csv -actor NAME
//
// each with [-stack NAME | -local]: the seniors' history afternoons'
// postal list (internal/contacts), entered from the signed paper form.
// print-export writes the address list for the city's contract printing
// house (a new 0600 file, formula-safe), without anyone under restriction,
// and logs the disclosure of each person to the audit table.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/contacts"
	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

const seniorsUsage = "usage: staff seniors add|list|remove|print-export [-local | -stack NAME] [flags] (see -h of each)"

// contactsFlags are the flags every seniors and media command shares.
type contactsFlags struct {
	local          bool
	stack, actor   string
	baseURL        string
	needsActor     bool
	needsKeys      bool
	needsPublicURL bool
}

func (c *contactsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.stack, "stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables (with -local: the local stack's prefix)")
	fs.BoolVar(&c.local, "local", false, "use the emulators and clock of make run (RUN_DYNAMODB_PORT, RUN_MOTO_PORT, RUN_HTTP_PORT)")
	if c.needsActor {
		fs.StringVar(&c.actor, "actor", "", "who is doing it (written to the receipt and the audit log)")
	}
	if c.needsPublicURL {
		fs.StringVar(&c.baseURL, "base-url", os.Getenv("PUBLIC_BASE_URL"), "the public site the notice's links point to (samconfig.toml's PublicBaseURL; -local: make run's)")
	}
}

func (c *contactsFlags) check() error {
	if c.needsActor && strings.TrimSpace(c.actor) == "" {
		return errors.New("-actor is needed: who is doing it")
	}
	return nil
}

var contactsOutputs = []resourceOutput{
	{"SubscribersTableName", "SubscribersTable", false},
	{"MailTableName", "MailTable", false},
	{"AuditTableName", "AuditTable", false},
}

// contactsStore opens the store against the local stack or the stack's outputs.
func contactsStore(ctx context.Context, c contactsFlags) (*contacts.Store, error) {
	if c.local && c.baseURL == "" {
		c.baseURL = runnerURL()
	}
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return nil, err
	}
	cf := cloudformation.NewFromConfig(awsCfg)
	res, err := findResources(ctx, cf, sqs.NewFromConfig(awsCfg), c.local, c.stack, contactsOutputs)
	if err != nil {
		return nil, err
	}
	recs, err := record.NewCatalogue(register.MustLoad("museum"), map[string]string{
		"subscribers": res["SubscribersTable"], "mail": res["MailTable"], "audit": res["AuditTable"]})
	if err != nil {
		return nil, err
	}
	var keys *keyring.Ring
	if c.needsKeys {
		if keys, err = stackKeys(ctx, cf, awsCfg, c.local, c.stack); err != nil {
			return nil, err
		}
	}
	var base *url.URL
	if c.needsPublicURL {
		if base, err = url.Parse(c.baseURL); err != nil || c.baseURL == "" || (base.Scheme != "https" && !c.local) {
			return nil, fmt.Errorf("-base-url %q: the public https address the notice links to (PublicBaseURL)", c.baseURL)
		}
	}
	return contacts.NewStore(dynamo.NewClient(awsCfg), recs, keys, base, now)
}

func seniorsCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"add", "list", "remove", "print-export"}, args[0]) {
		return errors.New(seniorsUsage)
	}
	sub := args[0]
	c := contactsFlags{needsActor: sub != "list", needsKeys: sub == "add"}
	fs := flag.NewFlagSet("seniors "+sub, flag.ContinueOnError)
	c.register(fs)
	var in contacts.Senior
	var id, out string
	switch sub {
	case "add":
		fs.StringVar(&in.Name, "name", "", "the member's name")
		fs.StringVar(&in.Street, "street", "", "street address")
		fs.StringVar(&in.Postcode, "postcode", "", "postcode (5 digits)")
		fs.StringVar(&in.City, "city", "", "post town")
		fs.StringVar(&in.Email, "email", "", "e-mail address, if they want the invitations by e-mail too (optional)")
		fs.StringVar(&in.Lang, "lang", "fi", "their language: fi, sv or en")
		fs.StringVar(&in.Consent, "consent", "", "how consent was given: paper (the signed form)")
	case "remove":
		fs.StringVar(&id, "id", "", "the member's id (seniors list)")
	case "print-export":
		fs.StringVar(&out, "out", "", "the CSV to write for the printing house (a new file, mode 0600)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if err := c.check(); err != nil {
		return err
	}
	switch {
	case sub == "remove" && id == "":
		return errors.New("seniors remove needs -id (see seniors list)")
	case sub == "print-export" && out == "":
		return errors.New("seniors print-export needs -out FILE")
	}
	store, err := contactsStore(ctx, c)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		id, err := store.AddSenior(ctx, in, c.actor)
		if errors.Is(err, contacts.ErrKnown) {
			return errors.New("seniors add: this e-mail address is on the list already")
		}
		if err != nil {
			return fmt.Errorf("seniors add: %w; nothing was written", err)
		}
		fmt.Fprintf(stdout, "added %s to the seniors' list; the consent receipt names %q\n", id, c.actor)
		return nil
	case "remove":
		if err := store.RemoveSenior(ctx, id, c.actor); err != nil {
			return fmt.Errorf("seniors remove: %w", err)
		}
		fmt.Fprintf(stdout, "removed %s: address deleted, consent withdrawn (channel staff); the rest goes in 30 days\n", id)
		return nil
	case "print-export":
		f, err := csvsafe.Create(out)
		if err != nil {
			return fmt.Errorf("the address list must be a new file only you can read: %w", err)
		}
		w := csvsafe.NewWriter(f)
		n, restricted, err := store.PrintExport(ctx, w, c.actor)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(out)
			return fmt.Errorf("seniors print-export: %w", err)
		}
		fmt.Fprintf(stdout, "%d addresses written to %s for the printing house; each disclosure is in the audit log under %q\n", n, out, c.actor)
		if restricted > 0 {
			fmt.Fprintf(stdout, "%d left out: their processing is restricted (GDPR Art. 18)\n", restricted)
		}
		return nil
	}
	ms, err := store.Seniors(ctx)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		fmt.Fprintln(stdout, "nobody on the seniors' list")
	}
	for _, m := range ms {
		mark := ""
		if m.Restricted {
			mark = "  (restricted)"
		}
		fmt.Fprintf(stdout, "%s  %-30s  %s%s\n", m.ID, printable(m.Name), printable(m.City), mark)
	}
	return nil
}
