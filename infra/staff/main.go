// Command staff is the museum staff's tool for what is not a web form.
//
//	staff feedback-stats [-stack NAME | -local] [-from YYYY-MM] [-to YYYY-MM] [-csv file]
//
// prints the visitor survey's counts per month, question and option, with
// every count under 5 suppressed, and writes them as CSV.
//
//	staff invoices [-stack NAME | -local] -actor NAME [-from YYYY-MM] [-to YYYY-MM] -csv file
//
// writes accepted invoice bookings for the finance system, with identity
// codes decrypted — the only place they ever are — logs each decryption to
// the audit table under NAME, and marks the bookings invoiced.
//
//	staff retention [-register museum|library] [-stack NAME | -local] [-dry-run | -runs]
//
// runs a register's retention sweep now (retention.go); -dry-run prints per rule
// what would be removed and changes nothing; -runs lists the last receipts.
//
//	staff ropa [-register museum] [-format md|csv] [-lang fi|sv|en] [-o FILE]
//
// prints the record of processing activities (GDPR Art. 30(1)) from the
// register's declaration alone (ropa.go).
//
//	staff requests create|list|show|extend|resolve|lift-restriction|rectify [ID] [-stack NAME | -local] …
//
// data-subject requests received by letter, phone or at a service point,
// and the GDPR clock (requests.go).
//
// It finds its tables from the outputs of the CloudFormation stack NAME
// (default rekisteri, as in samconfig.toml), with the SDK's default
// credentials (an SSO profile, say) in an EU region; -local points it at
// `make run`'s emulators instead, where the stack name is the local prefix,
// and its clock (GET /_local/clock), so it sees the time the functions see.
// Every CSV it writes is a new file only its owner can read, and
// formula-safe (internal/csvsafe).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"rekisteri/internal/booking"
	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/feedback"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/register"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "staff:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "ropa" { // from the declaration alone: no AWS
		return ropa(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "requests" {
		return requestsCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "events" {
		return eventsCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "campaign" {
		return campaignCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "lists" {
		return listsCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "seniors" {
		return seniorsCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "library" {
		return libraryCommand(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "media" {
		return mediaCommand(ctx, args[1:], stdout)
	}
	if len(args) == 0 || (args[0] != "feedback-stats" && args[0] != "invoices" && args[0] != "retention") {
		return fmt.Errorf("usage: staff feedback-stats|invoices|requests|retention|ropa|campaign|lists|events|seniors|media|library [flags] (see -h of each)")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	from := fs.String("from", "", "first month, YYYY-MM (default: this month)")
	to := fs.String("to", "", "last month, YYYY-MM (default: this month)")
	csvPath := fs.String("csv", "", "write the CSV here (a new file, mode 0600)")
	stack := fs.String("stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables (with -local: the local stack's prefix)")
	local := fs.Bool("local", false, "use `make run`'s emulators (RUN_DYNAMODB_PORT, RUN_MOTO_PORT; defaults 8000, 4566) and its clock (RUN_HTTP_PORT, 8080)")
	actor := fs.String("actor", os.Getenv("USER"), "invoices: who is decrypting (written to the audit log)")
	dryRun := fs.Bool("dry-run", false, "retention: print per rule what would be removed; change nothing")
	runs := fs.Bool("runs", false, "retention: list the last runs' receipts")
	sweepOf := fs.String("register", "museum", "retention: the register whose sweep runs, museum or library")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if args[0] == "invoices" && *csvPath == "" {
		return fmt.Errorf("invoices needs -csv")
	}
	awsCfg, now, err := session(ctx, *local)
	if err != nil {
		return err
	}
	month := now().UTC().Format("2006-01")
	*from, *to = cmp.Or(*from, month), cmp.Or(*to, month)
	if args[0] == "retention" {
		if *dryRun && *runs {
			return fmt.Errorf("retention: -dry-run or -runs, not both")
		}
		sweep, err := retentionCatalogues(ctx, cloudformation.NewFromConfig(awsCfg), *local, *stack, *sweepOf)
		if err != nil {
			return err
		}
		if *runs {
			return retentionRuns(ctx, dynamo.NewClient(awsCfg), sweep, 5, stdout)
		}
		return retentionRun(ctx, dynamo.NewClient(awsCfg), sweep, now, *dryRun, stdout, os.Stderr)
	}
	var res Resources
	if *local {
		res = fromLocal(*stack)
	} else if res, err = fromStack(ctx, cloudformation.NewFromConfig(awsCfg), *stack); err != nil {
		return err
	}
	db := dynamo.NewClient(awsCfg)
	if args[0] == "invoices" {
		f, err := csvsafe.Create(*csvPath)
		if err != nil {
			return fmt.Errorf("the CSV holds identity codes; it must be a new file only you can read: %w", err)
		}
		defer f.Close()
		inv := booking.NewInvoicing(register.MustLoad("museum"), db, fieldcrypt.New(kms.NewFromConfig(awsCfg), ""),
			booking.Tables{Bookings: res.BookingsTable, Audit: res.AuditTable}, *actor).At(now)
		n, err := inv.Export(ctx, *from, *to, f)
		fmt.Fprintf(stdout, "%d bookings written to %s and marked invoiced; each decryption is in the audit log under %q\n", n, *csvPath, *actor)
		if w := inv.Withheld(); len(w) > 0 {
			fmt.Fprintf(stdout, "%d left out: their customer restricted the processing (GDPR Art. 18); invoice them once it is lifted: %s\n", len(w), strings.Join(w, ", "))
		}
		return err
	}
	report, err := feedback.Statistics(ctx, db, res.FeedbackTable, *from, *to)
	if err != nil {
		return err
	}
	if err := report.WriteTable(stdout); err != nil {
		return err
	}
	if *csvPath != "" {
		f, err := csvsafe.Create(*csvPath)
		if err != nil {
			return fmt.Errorf("the CSV must be a new file only you can read: %w", err)
		}
		defer f.Close()
		if err := report.WriteCSV(f); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "CSV written to", *csvPath)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
