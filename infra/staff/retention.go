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

//	staff retention [-register museum|library] [-stack NAME | -local] [-dry-run | -runs]
//
// runs the register's retention sweep now, in this process, through
// internal/retention (the code its retention function runs): it resumes a
// run in progress or starts one, and writes its receipts. -dry-run prints
// per rule what a run would remove and changes nothing; -runs lists the
// last runs' receipts. The libraries' sweep keeps its ledger in the
// platform's (the museum's) audit table, as LibraryRetentionFunction does.

// retentionOutputs are, per register, every declared table, deployed: the
// tool's own Resources plus those only the sweep needs.
var retentionOutputs = map[string]map[string]string{ // register → declared table → output key (and logical id without "Name")
	"museum": {
		"subscribers": "SubscribersTableName", "feedback": "FeedbackTableName", "bookings": "BookingsTableName",
		"mail": "MailTableName", "audit": "AuditTableName", "requests": "RequestsTableName", "campaigns": "CampaignsTableName",
		"events": "EventsTableName",
	},
	"library": {
		"patrons": "PatronsTableName", "loans": "LoansTableName", "transfers": "TransfersTableName", "statistics": "StatisticsTableName",
	},
}

// retentionSweep is what the tool sweeps: the register's catalogue, and
// the catalogue whose audit table holds its ledger.
type retentionSweep struct {
	cat, ledger *record.Catalogue
}

func (r retentionSweep) ledgerOf(db retention.DB, now func() time.Time) (*retention.TableLedger, error) {
	return retention.LedgerFor(db, r.ledger, r.cat.Register().ID, now)
}

// retentionCatalogues is the sweep of register (museum or library) on stack.
func retentionCatalogues(ctx context.Context, cf stackDescriber, local bool, stack, register string) (retentionSweep, error) {
	outputs, ok := retentionOutputs[register]
	if !ok {
		return retentionSweep{}, fmt.Errorf("retention: -register museum or library, not %q", register)
	}
	cat, err := retentionCatalogue(ctx, cf, local, stack, register, outputs)
	if err != nil {
		return retentionSweep{}, err
	}
	if register == retention.PlatformRegister {
		return retentionSweep{cat: cat, ledger: cat}, nil
	}
	plat, err := retentionCatalogue(ctx, cf, local, stack, retention.PlatformRegister, map[string]string{"audit": "AuditTableName"})
	return retentionSweep{cat: cat, ledger: plat}, err
}

func retentionCatalogue(ctx context.Context, cf stackDescriber, local bool, stack, reg string, outputs map[string]string) (*record.Catalogue, error) {
	deployed := map[string]string{}
	if local {
		for declared, key := range outputs {
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
		for declared, key := range outputs {
			if deployed[declared] = values[key]; deployed[declared] == "" {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("stack %s has no output %s: deploy the current template.yaml", stack, strings.Join(missing, ", "))
		}
	}
	return record.NewCatalogue(register.MustLoad(reg), deployed)
}

type retentionDB interface {
	recordstore.DB
	retention.DB
}

// retentionRun runs the sweep (or a dry run) now, with progress on progress.
func retentionRun(ctx context.Context, db retentionDB, sweep retentionSweep, now func() time.Time, dry bool, stdout, progress io.Writer) error {
	cat := sweep.cat
	ledger, err := sweep.ledgerOf(db, now)
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
func retentionRuns(ctx context.Context, db retentionDB, sweep retentionSweep, runs int, stdout io.Writer) error {
	table := sweep.ledger.Table("audit")
	_, receiptPK := retention.LedgerKeys(sweep.cat.Register().ID)
	in := &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :pk"), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: receiptPK}},
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
		fmt.Fprintln(stdout, "  "+retention.CountHeader())
		for _, r := range rs {
			fmt.Fprintln(stdout, "  "+retention.CountLine(r.Rule, r.Count))
		}
	}
	return nil
}
