package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/retention"
)

//	staff retention [-stack NAME | -local] [-dry-run | -runs]
//
// runs the retention sweep now, in this process, through internal/retention
// (the code the retention function runs): it resumes a run in progress or
// starts one, and writes its receipts. -dry-run prints per rule what a run
// would remove and changes nothing; -runs lists the last runs' receipts.

// retentionTables are every declared table of the register, deployed: the
// tool's own Resources plus the two only the sweep needs.
var retentionOutputs = map[string]string{ // declared table → output key (and logical id without "Name")
	"subscribers": "SubscribersTableName", "feedback": "FeedbackTableName", "bookings": "BookingsTableName",
	"mail": "MailTableName", "audit": "AuditTableName", "requests": "RequestsTableName", "campaigns": "CampaignsTableName",
	"events": "EventsTableName",
}

func retentionCatalogue(ctx context.Context, cf stackDescriber, local bool, stack string) (*record.Catalogue, error) {
	deployed := map[string]string{}
	if local {
		for declared, key := range retentionOutputs {
			deployed[declared] = stack + "-" + strings.TrimSuffix(key, "Name")
		}
	} else {
		out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", stack, err)
		}
		if len(out.Stacks) != 1 {
			return nil, fmt.Errorf("stack %s: %d stacks found", stack, len(out.Stacks))
		}
		values := map[string]string{}
		for _, o := range out.Stacks[0].Outputs {
			values[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
		var missing []string
		for declared, key := range retentionOutputs {
			if deployed[declared] = values[key]; deployed[declared] == "" {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("stack %s has no output %s: deploy the current template.yaml", stack, strings.Join(missing, ", "))
		}
	}
	return record.NewCatalogue(register.MustLoad("museum"), deployed)
}

type retentionDB interface {
	recordstore.DB
	retention.DB
}

// retentionRun runs the sweep (or a dry run) now, with progress on progress.
func retentionRun(ctx context.Context, db retentionDB, cat *record.Catalogue, now func() time.Time, dry bool, stdout, progress io.Writer) error {
	ledger, err := retention.NewLedger(db, cat, now)
	if err != nil {
		return err
	}
	sw, err := retention.New(cat, recordstore.NewStore(db, cat), ledger, nil, now)
	if err != nil {
		return err
	}
	started := time.Now()
	last := started
	sw.OnPage = func(r retention.Report) {
		if time.Since(last) >= 2*time.Second {
			last = time.Now()
			fmt.Fprintf(progress, "… %d pages, %d due items read, %s\n", r.Pages, r.Read, time.Since(started).Round(time.Second))
		}
	}
	var rep retention.Report
	if dry {
		rep, err = sw.DryRun(ctx)
	} else {
		rep, err = sw.Run(ctx)
	}
	rep.Write(stdout)
	return err
}

// retentionRuns lists the receipts of the last runs, newest first.
func retentionRuns(ctx context.Context, db retentionDB, cat *record.Catalogue, runs int, stdout io.Writer) error {
	table := cat.Table("audit")
	in := &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :pk"), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: retention.ReceiptPK}},
	}
	var order []string
	byRun := map[string][]retention.Receipt{}
	for len(order) <= runs {
		out, err := db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("receipts: %w", err)
		}
		for _, it := range out.Items {
			r := retention.ReceiptOf(it)
			if _, ok := byRun[r.RunID]; !ok {
				order = append(order, r.RunID)
			}
			byRun[r.RunID] = append(byRun[r.RunID], r)
		}
		if in.ExclusiveStartKey = out.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			break
		}
	}
	if len(order) > runs {
		order = order[:runs]
	}
	if len(order) == 0 {
		fmt.Fprintln(stdout, "no retention runs yet")
		return nil
	}
	for _, id := range order {
		rs := byRun[id]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Rule < rs[j].Rule })
		fmt.Fprintf(stdout, "run %s finished %s, up to %s, took %s\n", id, rs[0].At.Format(time.RFC3339), rs[0].Cursor.Format(time.RFC3339), rs[0].Duration)
		fmt.Fprintf(stdout, "  %-26s %8s %10s %10s %6s  %s\n", "rule", "deleted", "anonymised", "restricted", "errors", "due")
		for _, r := range rs {
			due := "-"
			if r.FirstDue > 0 {
				due = time.Unix(r.FirstDue, 0).UTC().Format("2006-01-02") + " … " + time.Unix(r.LastDue, 0).UTC().Format("2006-01-02")
			}
			fmt.Fprintf(stdout, "  %-26s %8d %10d %10d %6d  %s\n", r.Rule, r.Deleted, r.Anonymised, r.SkippedRestricted, r.Errors, due)
		}
	}
	return nil
}
