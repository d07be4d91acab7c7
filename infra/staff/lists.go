package main

//	staff lists undeliverable -actor NAME [-local | -stack NAME]
//
// the addresses that hard-bounced (or soft-bounced too often), per list:
// they get no list mail until they sign up again. Showing them is a use
// of personal data, logged in the audit log under -actor.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

func listsCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "undeliverable" {
		return errors.New("usage: staff lists undeliverable -actor NAME [-local | -stack NAME]")
	}
	fs := flag.NewFlagSet("lists undeliverable", flag.ContinueOnError)
	stack := fs.String("stack", envOr("REKISTERI_STACK", "rekisteri"), "the CloudFormation stack whose outputs name the tables (with -local: the local stack's prefix)")
	local := fs.Bool("local", false, "use the emulators and clock of make run")
	actor := fs.String("actor", "", "who is looking (written to the audit log)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*actor) == "" {
		return errors.New("lists undeliverable needs -actor: showing addresses is logged")
	}
	awsCfg, now, err := session(ctx, *local)
	if err != nil {
		return err
	}
	res, err := findResources(ctx, cloudformation.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), *local, *stack,
		[]resourceOutput{{"SubscribersTableName", "SubscribersTable", false}, {"AuditTableName", "AuditTable", false}})
	if err != nil {
		return err
	}
	reg := register.MustLoad("museum")
	recs, err := record.NewCatalogue(reg, map[string]string{"audit": res["AuditTable"]})
	if err != nil {
		return err
	}
	db := dynamo.NewClient(awsCfg)
	return undeliverable(ctx, db, reg, recs, res["SubscribersTable"], *actor, now(), stdout)
}

func undeliverable(ctx context.Context, db *dynamodb.Client, reg *register.Register, recs *record.Catalogue, table, actor string, now time.Time, stdout io.Writer) error {
	var tx []types.TransactWriteItem
	n := 0
	for _, l := range reg.Lists {
		in := &dynamodb.QueryInput{
			TableName: aws.String(table), IndexName: aws.String(audience.UndeliverableIndex),
			KeyConditionExpression:    aws.String("#u = :l"),
			ExpressionAttributeNames:  map[string]string{"#u": audience.Undeliverable},
			ExpressionAttributeValues: map[string]types.AttributeValue{":l": &types.AttributeValueMemberS{Value: l.ID}},
		}
		for {
			out, err := db.Query(ctx, in)
			if err != nil {
				return fmt.Errorf("undeliverable on %s: %w", l.ID, err)
			}
			for _, it := range out.Items {
				s := func(k string) string {
					if v, ok := it[k].(*types.AttributeValueMemberS); ok {
						return v.Value
					}
					return ""
				}
				bounces := ""
				if v, ok := it[audience.SoftBounces].(*types.AttributeValueMemberN); ok && v.Value != "0" {
					bounces = " (soft bounces: " + v.Value + ")"
				}
				fmt.Fprintf(stdout, "%s  %-10s  %s%s\n", s(audience.UndeliverableAt), l.ID, s("email"), bounces)
				n++
				e, err := audit.Put(recs, now, audit.Entry{Event: "undeliverable-listed", List: l.ID, SubjectKey: s("subjectKey"), Actor: actor})
				if err != nil {
					return err
				}
				tx = append(tx, e)
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	for len(tx) > 0 {
		k := min(len(tx), 100)
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx[:k]}); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		tx = tx[k:]
	}
	if n == 0 {
		fmt.Fprintln(stdout, "no undeliverable addresses")
	}
	return nil
}
