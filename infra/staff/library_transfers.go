package main

//	staff library transfers [-local | -stack NAME] [-week YYYY-Www] [-run]
//
// lists the weekly collection-agency files (seed 004 §9) in the transfers
// bucket: week, library, rows, size, when written. -run runs the transfer
// now: locally through the runner's /_local/schedules, against AWS by
// invoking LibraryTransferFunction with its schedule's input. The tool never opens
// a file nor an identity code itself: the DataKey's policy lets only the
// invoicing role and the transfer function's role decrypt identity codes,
// and staff run this tool under their own credentials.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/library"
)

// transferSchedule is the input the weekly schedule gives LibraryTransferFunction (template.yaml).
const transferSchedule = `{"run":"transfer"}`

var transferWeek = regexp.MustCompile(`^\d{4}-W\d{2}$`)

func libraryTransfers(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("library transfers", flag.ContinueOnError)
	fs.SetOutput(stdout)
	c := libraryFlags{}
	c.register(fs)
	run := fs.Bool("run", false, "run the weekly transfer now (locally through the runner; against AWS it prints the invocation to make)")
	week := fs.String("week", "", "only this ISO week's files, e.g. 2026-W50")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("library transfers: unexpected %q", fs.Arg(0))
	}
	if *week != "" && !transferWeek.MatchString(*week) {
		return errors.New("library transfers: -week is an ISO week, e.g. 2026-W50")
	}
	if *run {
		if !c.local {
			return printTransferInvocation(ctx, c, stdout)
		}
		if err := runLocalTransfer(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "the weekly transfer ran")
	}
	env, err := libraryService(ctx, c)
	if err != nil {
		return err
	}
	bucket := env.res["TransfersBucket"]
	if c.local {
		bucket = strings.ToLower(bucket) // the local stack's bucket names, as S3's
	}
	files, err := listTransferFiles(ctx, s3.NewFromConfig(env.awsCfg, func(o *s3.Options) { o.UsePathStyle = c.local }), bucket, *week)
	if err != nil {
		return err
	}
	db := dynamo.NewClient(env.awsCfg)
	for i := range files {
		if files[i].rows, err = transferRows(ctx, db, env.res["TransfersTable"], files[i].week, files[i].library); err != nil {
			return err
		}
	}
	if len(files) == 0 {
		fmt.Fprintln(stdout, "no transfer files")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "week\tlibrary\trows\tbytes\twritten\tkey")
	for _, f := range files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", f.week, f.library, f.rows, f.size, f.written.UTC().Format(time.RFC3339), f.key)
	}
	return tw.Flush()
}

// transferFile is one file in the bucket.
type transferFile struct {
	key, week, library string
	size               int64
	rows               int
	written            time.Time
}

type objectLister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// listTransferFiles lists the files under transfers/ (or one week's),
// newest week first.
func listTransferFiles(ctx context.Context, api objectLister, bucket, week string) ([]transferFile, error) {
	prefix := library.TransferFilePrefix
	if week != "" {
		prefix += week + "/"
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	var out []transferFile
	for {
		page, err := api.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list the transfer files: %w", err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			w, file, ok := strings.Cut(strings.TrimPrefix(key, library.TransferFilePrefix), "/")
			lib, csv := strings.CutSuffix(file, ".csv")
			if !ok || !csv || key != library.TransferFileKey(w, lib) {
				continue
			}
			out = append(out, transferFile{key: key, week: w, library: lib, size: aws.ToInt64(o.Size), written: aws.ToTime(o.LastModified)})
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.ContinuationToken = page.NextContinuationToken
	}
	// Newest week first, the libraries in order.
	sort.Slice(out, func(i, j int) bool {
		if out[i].week != out[j].week {
			return out[i].week > out[j].week
		}
		return out[i].library < out[j].library
	})
	return out, nil
}

type counter interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// transferRows counts the open matters of a file from the transfers
// table (what the file was last written with), reading no personal data.
func transferRows(ctx context.Context, db counter, table, week, lib string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		FilterExpression:          aws.String("#status = :open"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: library.TransferPK(week, lib)}, ":open": &types.AttributeValueMemberS{Value: library.TransferOpen}},
		Select:                    types.SelectCount,
	}
	n := 0
	for {
		out, err := db.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count the %s file of %s: %w", lib, week, err)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// runLocalTransfer asks make run's runner to run LibraryTransferFunction's schedules.
func runLocalTransfer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, runnerURL()+"/_local/schedules?function=LibraryTransferFunction", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("run the transfer: is make run running? %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("run the transfer: the runner answers %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// printTransferInvocation prints how to run the transfer in AWS now: an
// invocation of LibraryTransferFunction with its schedule's input, under a role
// allowed lambda:InvokeFunction. The tool does not run it itself: it links
// no Lambda client, and the run must be the function's, whose role alone
// (besides invoicing's) the key lets open identity codes.
func printTransferInvocation(ctx context.Context, c libraryFlags, stdout io.Writer) error {
	awsCfg, _, err := session(ctx, false)
	if err != nil {
		return err
	}
	out, err := cloudformation.NewFromConfig(awsCfg).DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(c.stack), LogicalResourceId: aws.String("LibraryTransferFunction")})
	if err != nil || out.StackResourceDetail == nil {
		return fmt.Errorf("stack %s: LibraryTransferFunction: %w", c.stack, err)
	}
	fmt.Fprintf(stdout, "Run the weekly transfer now with:\n\n  aws lambda invoke --region %s --function-name %s --cli-binary-format raw-in-base64-out --payload '%s' /dev/stdout\n\nthen list the files with: go run ./infra/staff library transfers -stack %s\n",
		awsCfg.Region, aws.ToString(out.StackResourceDetail.PhysicalResourceId), transferSchedule, c.stack)
	return nil
}
