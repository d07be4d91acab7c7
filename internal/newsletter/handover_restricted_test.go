package newsletter_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/newsletter"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
)

// TestRestrictedHandoverIsHeld: a signup handed over by the survey whose
// person restricted the processing while it waited is only stored — no
// subscription, no mail — and its request stays for its own rule to delete.
func TestRestrictedHandoverIsHeld(t *testing.T) {
	ctx := context.Background()
	s := localtest.Stack(t, "nlh")
	cat := localtest.Catalogue(t, s, "museum")
	db := s.Clients().DynamoDB
	secret, err := s.Clients().Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.Resolve("SubjectKeySecret"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		restricted bool
	}{{"restricted while it waited", true}, {"not restricted", false}} {
		t.Run(c.name, func(t *testing.T) {
			id := "fb" + map[bool]string{true: "r", false: "u"}[c.restricted] + "0123456789abcdef"
			req := newsletter.NewSignupRequest([]byte(aws.ToString(secret.SecretString)), s.Clock.Now(), id,
				newsletter.Signup{Email: id + "@example.com", Lang: "fi", Lists: []string{"newsletter"}, Channel: "survey", Form: "feedback"})
			put, err := newsletter.PutSignupRequest(cat, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
				t.Fatal(err)
			}
			if c.restricted {
				if err := recordstore.NewStore(db, cat).Restrict(ctx, "subscribers", recordstore.Key{PK: req.PK, SK: req.SK}, s.Clock.Now(), "r0123456789ab"); err != nil {
					t.Fatal(err)
				}
			}
			body, _ := json.Marshal(map[string]string{"op": newsletter.OpSignup, "id": id})
			res, err := s.Functions["NewsletterFunction"].Queue(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body)}}})
			if err != nil || len(res.BatchItemFailures) != 0 {
				t.Fatalf("handover: %v %v", err, res.BatchItemFailures)
			}
			q, err := db.Query(ctx, &dynamodb.QueryInput{
				TableName: aws.String(cat.Table("subscribers")), IndexName: aws.String(record.IndexBySubject),
				KeyConditionExpression:    aws.String("subjectKey = :s"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: req.SubjectKey}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, it := range q.Items {
				if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok {
					kinds = append(kinds, pk.Value)
				}
			}
			got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cat.Table("subscribers")), Key: dynamo.Key(req.PK, req.SK), ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if c.restricted && (got.Item == nil || len(q.Items) != 1) {
				t.Errorf("restricted: want only the stored request, found %v (request kept: %v)", kinds, got.Item != nil)
			}
			if !c.restricted && (got.Item != nil || len(q.Items) < 2) {
				t.Errorf("not restricted: want the subscription and receipt, the request gone; found %v (request kept: %v)", kinds, got.Item != nil)
			}
		})
	}
}
