package main

//	staff library collect -reference REF -actor NAME [-pin-stdin | -pin-link]
//
// Card collection at a service point, after staff have checked the
// person's ID: the pre-registration becomes a patron, the new customer
// number is printed (and a child's guardian's), and the PIN is set:
//
//   - on a terminal, with neither flag, the patron types it twice; the
//     terminal does not echo it (stty -echo);
//   - -pin-stdin reads it from one line of standard input, for piping
//     (`printf '%s\n' "$PIN" | staff library collect … -pin-stdin`), never
//     from the command line, where shell history and ps would keep it;
//   - -pin-link mails the patron a one-time link to set it themselves.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"rekisteri/internal/library"
)

// libraryStdin is where the PIN is read from (tests give their own).
var libraryStdin io.Reader = os.Stdin

// libraryTerminal says whether the PIN is read from a person at a terminal.
var libraryTerminal = func() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && libraryStdin == io.Reader(os.Stdin)
}

func libraryCollect(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("library collect", flag.ContinueOnError)
	fs.SetOutput(stdout)
	c := libraryFlags{needsActor: true}
	c.register(fs)
	ref := fs.String("reference", "", "the pre-registration's reference (from the patron's receipt)")
	pinStdin := fs.Bool("pin-stdin", false, "read the PIN from one line of standard input (for piping; never give it as an argument)")
	pinLink := fs.Bool("pin-link", false, "mail the patron a one-time link to set the PIN themselves")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	if strings.TrimSpace(*ref) == "" {
		return errors.New("-reference is needed: the pre-registration's reference")
	}
	if *pinStdin && *pinLink {
		return errors.New("-pin-stdin or -pin-link, not both")
	}
	// The PIN is read (and checked) before anything is written, so a
	// mistyped PIN leaves the pre-registration as it was.
	var pin string
	switch {
	case *pinStdin:
		line, err := bufio.NewReader(libraryStdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the PIN: %w", err)
		}
		pin = strings.TrimSpace(line)
	case !*pinLink && libraryTerminal():
		var err error
		if pin, err = readPINTwice(); err != nil {
			return err
		}
	}
	if pin != "" && !library.ValidPIN(pin) {
		return library.ErrPINInvalid
	}
	env, err := libraryService(ctx, c)
	if err != nil {
		return err
	}
	got, err := env.svc.CollectAll(ctx, *ref, c.actor)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, got.CustomerNumber)
	if got.GuardianNumber != "" {
		what := "guardian, new patron"
		if got.GuardianExisted {
			what = "guardian, a patron already"
		}
		fmt.Fprintf(stdout, "%s (%s)\n", got.GuardianNumber, what)
	}
	switch {
	case pin != "":
		if err := env.svc.SetPIN(ctx, got.CustomerNumber, pin, c.actor); err != nil {
			return fmt.Errorf("card collected, PIN not set: %w", err)
		}
		fmt.Fprintln(stdout, "PIN set")
	case *pinLink:
		if err := env.svc.SendPINLink(ctx, got.CustomerNumber, c.actor); err != nil {
			return fmt.Errorf("card collected, no PIN link sent: %w", err)
		}
		fmt.Fprintf(stdout, "PIN link mailed (valid %d days)\n", library.PINLinkDays)
	default:
		fmt.Fprintln(stdout, "no PIN set: give -pin-stdin or -pin-link")
	}
	return nil
}

// readPINTwice asks the person at the terminal for the PIN twice, with
// echo off; it refuses rather than read a PIN the screen would show.
func readPINTwice() (string, error) {
	stty := func(arg string) error {
		cmd := exec.Command("stty", arg)
		cmd.Stdin = os.Stdin
		return cmd.Run()
	}
	if err := stty("-echo"); err != nil {
		return "", errors.New("the terminal's echo cannot be turned off: use -pin-link, or pipe the PIN with -pin-stdin")
	}
	defer func() { _ = stty("echo") }()
	in := bufio.NewReader(os.Stdin)
	ask := func(prompt string) (string, error) {
		fmt.Fprint(os.Stderr, prompt)
		line, err := in.ReadString('\n')
		fmt.Fprintln(os.Stderr)
		return strings.TrimSpace(line), err
	}
	first, err := ask("PIN (4-8 digits): ")
	if err != nil {
		return "", fmt.Errorf("read the PIN: %w", err)
	}
	second, err := ask("PIN again: ")
	if err != nil {
		return "", fmt.Errorf("read the PIN: %w", err)
	}
	if first != second {
		return "", errors.New("the PINs differ: nothing was done")
	}
	return first, nil
}
