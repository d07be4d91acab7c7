// Command staff is the museum staff's tool for what is not a web form.
//
//	staff feedback-stats [-from YYYY-MM] [-to YYYY-MM] [-csv file] [-table name]
//
// prints the visitor survey's counts per month, question and option, with
// every count under 5 suppressed, and writes them as CSV.
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

	"rekisteri/internal/config"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/feedback"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "staff:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "feedback-stats" {
		return fmt.Errorf("usage: staff feedback-stats [-from YYYY-MM] [-to YYYY-MM] [-csv file] [-table name] [-local]")
	}
	fs := flag.NewFlagSet("feedback-stats", flag.ContinueOnError)
	month := time.Now().UTC().Format("2006-01")
	from := fs.String("from", month, "first month, YYYY-MM")
	to := fs.String("to", month, "last month, YYYY-MM")
	csvPath := fs.String("csv", "", "also write the report as CSV here")
	table := fs.String("table", os.Getenv("FEEDBACK_TABLE"), "the feedback table's name")
	local := fs.Bool("local", false, "use `make run`'s emulators (DynamoDB Local on RUN_DYNAMODB_PORT, default 8000)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *local {
		port := os.Getenv("RUN_DYNAMODB_PORT")
		if port == "" {
			port = "8000"
		}
		for k, v := range map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:" + port, "AWS_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"} {
			os.Setenv(k, v)
		}
		if *table == "" {
			*table = "rekisteri-FeedbackTable"
		}
	}
	if *table == "" {
		return fmt.Errorf("name the table with -table or FEEDBACK_TABLE")
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if err := config.CheckRegion(awsCfg.Region); err != nil {
		return err
	}
	report, err := feedback.Statistics(ctx, dynamo.NewClient(awsCfg), *table, *from, *to)
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
