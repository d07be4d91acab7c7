package main

// The retention sweep's kept DynamoDB Local (sweep.go): its database file
// copied, the meta table recording how far each build got, and the tables
// created from template.yaml's schema.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local"
)

// sweepDBFile is DynamoDB Local's database with -sharedDb.
const sweepDBFile = "shared-local-instance.db"

// sweepCopy copies a file through a temporary name, so a copy cut short is
// never taken for the whole.
func sweepCopy(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to + ".part")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(to+".part", to)
}

// The meta table records how far each table's build got.
const sweepMeta = "sweep-meta"

func sweepEnsureMeta(ctx context.Context, db *dynamodb.Client) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(sweepMeta),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	return err
}

// sweepBuild is how far a table's build got: items [0, Loaded) are in it,
// loaded in BuildTook so far.
type sweepBuild struct {
	N, Loaded int
	BuildTook time.Duration
}

func sweepMetaGet(ctx context.Context, db *dynamodb.Client, size sweepSize) (sweepBuild, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sweepMeta), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: size.Name}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return sweepBuild{}, err
	}
	num := func(name string) int64 {
		v, _ := out.Item[name].(*types.AttributeValueMemberN)
		if v == nil {
			return 0
		}
		x, _ := strconv.ParseFloat(v.Value, 64)
		return int64(x)
	}
	b := sweepBuild{N: int(num("n")), Loaded: int(num("loaded")), BuildTook: time.Duration(num("buildMs")) * time.Millisecond}
	if b.N != size.N {
		return sweepBuild{}, nil
	}
	return b, nil
}

func sweepMetaPut(ctx context.Context, db *dynamodb.Client, size sweepSize, b sweepBuild) error {
	n := func(v int64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: size.Name}, "n": n(int64(size.N)), "loaded": n(int64(b.Loaded)), "buildMs": n(b.BuildTook.Milliseconds()),
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sweepMeta), Item: item})
	return err
}

// sweepEnsureTable creates table with the schema template.yaml gives the
// declared table; fresh drops it first, else an existing one is kept.
func sweepEnsureTable(ctx context.Context, db *dynamodb.Client, tpl *local.Template, declared, table string, fresh bool) error {
	logical := strings.ToUpper(declared[:1]) + declared[1:] + "Table"
	r, ok := tpl.Resources[logical]
	if !ok || r.Type != "AWS::DynamoDB::Table" {
		return fmt.Errorf("template.yaml has no table %s for %s", logical, declared)
	}
	if fresh {
		_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			return err
		}
	}
	str := func(v any) string { s, _ := v.(string); return s }
	list := func(v any) []any { l, _ := v.([]any); return l }
	m := func(v any) map[string]any { x, _ := v.(map[string]any); return x }
	keys := func(v any) []types.KeySchemaElement {
		var out []types.KeySchemaElement
		for _, k := range list(v) {
			out = append(out, types.KeySchemaElement{AttributeName: aws.String(str(m(k)["AttributeName"])), KeyType: types.KeyType(str(m(k)["KeyType"]))})
		}
		return out
	}
	p := r.Properties
	in := &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest, KeySchema: keys(p["KeySchema"])}
	for _, a := range list(p["AttributeDefinitions"]) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(str(m(a)["AttributeName"])), AttributeType: types.ScalarAttributeType(str(m(a)["AttributeType"]))})
	}
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		pr := &types.Projection{ProjectionType: types.ProjectionType(str(m(m(g)["Projection"])["ProjectionType"]))}
		for _, a := range list(m(m(g)["Projection"])["NonKeyAttributes"]) {
			pr.NonKeyAttributes = append(pr.NonKeyAttributes, str(a))
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(str(m(g)["IndexName"])), KeySchema: keys(m(g)["KeySchema"]), Projection: pr})
	}
	_, err := db.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if !fresh && errors.As(err, &inUse) {
		return nil
	}
	return err
}
