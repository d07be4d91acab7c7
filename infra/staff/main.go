// Command staff is the museum staff's tool for what is not a web form.
//
//	staff feedback-stats [-from YYYY-MM] [-to YYYY-MM] [-csv file] [-table name]
//
// prints the visitor survey's counts per month, question and option, with
// every count under 5 suppressed, and writes them as CSV.
//
//	staff invoices -actor NAME [-from YYYY-MM] [-to YYYY-MM] -csv file
//
// writes accepted invoice bookings for the finance system, with identity
// codes decrypted — the only place they ever are — logs each decryption to
// the audit table under NAME, and marks the bookings invoiced.
//
// It uses the SDK's default credentials (an SSO profile, say) in an EU
// region; -local points it at `make run`'s emulators instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"rekisteri/internal/booking"
	"rekisteri/internal/config"
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
	if len(args) == 0 || (args[0] != "feedback-stats" && args[0] != "invoices") {
		return fmt.Errorf("usage: staff feedback-stats|invoices [flags] (see -h of each)")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	month := time.Now().UTC().Format("2006-01")
	from := fs.String("from", month, "first month, YYYY-MM")
	to := fs.String("to", month, "last month, YYYY-MM")
	csvPath := fs.String("csv", "", "write the CSV here")
	local := fs.Bool("local", false, "use `make run`'s emulators (RUN_DYNAMODB_PORT, RUN_MOTO_PORT; defaults 8000, 4566)")
	feedbackTable := fs.String("table", os.Getenv("FEEDBACK_TABLE"), "feedback-stats: the feedback table")
	bookingsTable := fs.String("bookings-table", os.Getenv("BOOKINGS_TABLE"), "invoices: the bookings table")
	auditTable := fs.String("audit-table", os.Getenv("AUDIT_TABLE"), "invoices: the audit table")
	actor := fs.String("actor", os.Getenv("USER"), "invoices: who is decrypting (written to the audit log)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *local {
		env := func(k, def string) string {
			if v := os.Getenv(k); v != "" {
				return v
			}
			return def
		}
		for k, v := range map[string]string{
			"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:" + env("RUN_DYNAMODB_PORT", "8000"),
			"AWS_ENDPOINT_URL":          "http://127.0.0.1:" + env("RUN_MOTO_PORT", "4566"),
			"AWS_REGION":                "eu-north-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		} {
			os.Setenv(k, v)
		}
		for p, def := range map[*string]string{feedbackTable: "rekisteri-FeedbackTable", bookingsTable: "rekisteri-BookingsTable", auditTable: "rekisteri-AuditTable"} {
			if *p == "" {
				*p = def
			}
		}
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if err := config.CheckRegion(awsCfg.Region); err != nil {
		return err
	}
	db := dynamo.NewClient(awsCfg)
	if args[0] == "invoices" {
		if *bookingsTable == "" || *auditTable == "" || *csvPath == "" {
			return fmt.Errorf("invoices needs -bookings-table, -audit-table and -csv")
		}
		f, err := os.OpenFile(*csvPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("the CSV holds identity codes; it must be a new file only you can read: %w", err)
		}
		defer f.Close()
		inv := booking.NewInvoicing(register.MustLoad("museum"), db, fieldcrypt.New(kms.NewFromConfig(awsCfg), ""),
			booking.Tables{Bookings: *bookingsTable, Audit: *auditTable}, *actor)
		n, err := inv.Export(ctx, *from, *to, f)
		fmt.Fprintf(stdout, "%d bookings written to %s and marked invoiced; each decryption is in the audit log under %q\n", n, *csvPath, *actor)
		return err
	}
	if *feedbackTable == "" {
		return fmt.Errorf("name the table with -table or FEEDBACK_TABLE")
	}
	report, err := feedback.Statistics(ctx, db, *feedbackTable, *from, *to)
	if err != nil {
		return err
	}
	if err := report.WriteTable(stdout); err != nil {
		return err
	}
	if *csvPath != "" {
		f, err := os.Create(*csvPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := report.WriteCSV(f); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "CSV written to", *csvPath)
	}
	return nil
}
