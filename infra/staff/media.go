package main

//	staff media add -email E -name N -outlet O -source S [-lang fi] -actor NAME
//	staff media import FILE.csv [-lang fi] -actor NAME
//	staff media list
//
// each with [-stack NAME | -local] (and, against AWS, -base-url): media
// contacts from public sources (a public task, Art. 6(1)(e); Local
// Government Act §29). Each new contact is subscribed to the list media
// and mailed the Art. 14 notice at once, in the same transaction.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"rekisteri/internal/contacts"
)

const mediaUsage = "usage: staff media add|import|list [-local | -stack NAME] [flags] (see -h of each)"

func mediaCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"add", "import", "list"}, args[0]) {
		return errors.New(mediaUsage)
	}
	sub := args[0]
	args = args[1:]
	var file string
	if sub == "import" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	c := contactsFlags{needsActor: sub != "list", needsKeys: sub != "list", needsPublicURL: sub != "list"}
	fs := flag.NewFlagSet("media "+sub, flag.ContinueOnError)
	c.register(fs)
	var in contacts.Media
	if sub != "list" {
		fs.StringVar(&in.Lang, "lang", "fi", "the language of the notice and the releases: fi, sv or en")
	}
	if sub == "add" {
		fs.StringVar(&in.Email, "email", "", "the contact's e-mail address")
		fs.StringVar(&in.Name, "name", "", "the contact's name")
		fs.StringVar(&in.Outlet, "outlet", "", "the outlet they work for")
		fs.StringVar(&in.Source, "source", "", "the public source of the address (the notice names it)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub == "import" && file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if err := c.check(); err != nil {
		return err
	}
	if sub == "import" && file == "" {
		return fmt.Errorf("media import needs the CSV file (columns %s)", strings.Join(contacts.ImportColumns, ","))
	}
	var body io.ReadCloser
	if sub == "import" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("media import: %w", err)
		}
		body = f
		defer f.Close()
	}
	store, err := contactsStore(ctx, c)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		err := store.AddMedia(ctx, in, c.actor)
		if errors.Is(err, contacts.ErrKnown) {
			return errors.New("media add: this address is a media contact already (or objected): nothing written")
		}
		if err != nil {
			return fmt.Errorf("media add: %w; nothing was written", err)
		}
		fmt.Fprintln(stdout, "media contact added; the Art. 14 notice is on its way")
		return nil
	case "import":
		added, refused, err := store.ImportMedia(ctx, body, in.Lang, c.actor)
		fmt.Fprintf(stdout, "%d media contacts added, each mailed the Art. 14 notice; %d rows refused\n", added, len(refused))
		for _, r := range refused {
			msg := r.Err.Error()
			if errors.Is(r.Err, contacts.ErrKnown) {
				msg = "a media contact already (or objected)"
			}
			fmt.Fprintf(stdout, "  row %d: %s\n", r.Row, msg)
		}
		if err != nil {
			return fmt.Errorf("media import stopped: %w (the rows before it are stored; run it again: stored ones are refused as known)", err)
		}
		if len(refused) > 0 {
			return fmt.Errorf("media import: %d rows refused (listed above); the others are stored", len(refused))
		}
		return nil
	}
	cs, err := store.Media(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "no media contacts")
	}
	for _, m := range cs {
		fmt.Fprintf(stdout, "%s  %-30s  %-30s  %s  (%s)\n", m.ID, printable(m.Name), printable(m.Outlet), printable(m.Email), printable(m.Source))
	}
	return nil
}
