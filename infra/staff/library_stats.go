package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/library"
)

//	staff library stats [-local | -stack NAME] [-from YYYY-MM] [-to YYYY-MM] [-by group,age,lang,gender] [-csv stats.csv]
//
// prints loans per month and library, broken down by customer group, age
// band, language and gender (or the dimensions -by names), from the
// anonymised counters the circulation feed keeps (internal/library
// stats.go): no customer number, identity code or birth date is read or
// written, and every count under library.MinCell (5, the survey's rule)
// is shown as "<5". The CSV is formula-safe and a new file only its owner
// can read.
func libraryStats(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("library stats", flag.ContinueOnError)
	var c libraryFlags
	c.register(fs)
	from := fs.String("from", "", "first month, YYYY-MM (default: this month)")
	to := fs.String("to", "", "last month, YYYY-MM (default: this month)")
	by := fs.String("by", strings.Join(library.StatDimensions, ","), "what to break loans down by besides month and library: some of "+strings.Join(library.StatDimensions, ","))
	csvPath := fs.String("csv", "", "write the CSV here (a new file, mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	var dims []string
	for _, d := range strings.Split(*by, ",") {
		if d = strings.TrimSpace(d); d != "" {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 {
		dims = []string{} // month and library only
	}
	awsCfg, now, err := session(ctx, c.local)
	if err != nil {
		return err
	}
	month := helsinki.Local(now()).Format("2006-01")
	*from, *to = cmp.Or(*from, month), cmp.Or(*to, month)
	res, err := findResources(ctx, cloudformation.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), c.local, c.stack,
		[]resourceOutput{{"StatisticsTableName", "StatisticsTable", false}})
	if err != nil {
		return err
	}
	report, err := library.LoanStatistics(ctx, dynamo.NewClient(awsCfg), res["StatisticsTable"], *from, *to, dims)
	if err != nil {
		return err
	}
	if err := report.WriteTable(stdout); err != nil {
		return err
	}
	if *csvPath == "" {
		return nil
	}
	f, err := csvsafe.Create(*csvPath)
	if err != nil {
		return fmt.Errorf("the CSV must be a new file only you can read: %w", err)
	}
	defer f.Close()
	if err := report.WriteCSV(f); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "CSV written to", *csvPath)
	return nil
}
