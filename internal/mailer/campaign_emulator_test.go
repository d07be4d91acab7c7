package mailer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/local/localtest"
	"rekisteri/internal/dynamo"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/mailer"
	"rekisteri/internal/recordstore"
)

// TestCampaignJobsCounted writes a campaign item and its jobs into the
// emulated tables and delivers each job twice, as SQS may: each job is sent
// or withheld once, and the campaign's counters say exactly that; a job of
// a deleted campaign ends withheld and makes no campaign item.
func TestCampaignJobsCounted(t *testing.T) {
	ctx := context.Background()
	stack := localtest.Stack(t, "mlc")
	cat := localtest.Catalogue(t, stack, "museum")
	db := stack.Clients().DynamoDB
	store := recordstore.NewStore(db, cat)
	campaigns := stack.Resolve("CampaignsTable")
	run := time.Now().UnixNano()
	campaign := fmt.Sprintf("c%d", run)

	content, err := attributevalue.Marshal(map[string]rmail.CampaignContent{"fi": {
		Subject: "Joulun aukiolo",
		HTML:    `<p><a href="https://museo.example.fi/newsletter/go?u=x&amp;a=` + rmail.ActivityPlaceholder + `">Aukiolo</a></p>`,
		Text:    "Aukiolo: https://museo.example.fi/newsletter/go?u=x&a=" + rmail.ActivityPlaceholder + "\n",
	}})
	if err != nil {
		t.Fatal(err)
	}
	pk, sk := rmail.CampaignKey(campaign)
	item := dynamo.Key(pk, sk)
	item["content"] = content
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(campaigns), Item: item}); err != nil {
		t.Fatal(err)
	}

	jobs := []struct {
		campaign, lang string
		restricted     bool
		wantStatus     string
	}{
		{campaign, "fi", false, rmail.Sent},
		{campaign, "sv", false, rmail.Sent}, // no Swedish content: in Finnish
		{campaign, "fi", true, mailer.Withheld},
		{campaign + "-gone", "fi", false, mailer.Withheld},
	}
	for i, j := range jobs {
		subject := fmt.Sprintf("sk%d-%d", run, i)
		to := fmt.Sprintf("camp-%d-%d@example.com", run, i)
		job, err := rmail.NewJob(time.Now(), rmail.CampaignJobID(j.campaign, subject), subject, to, rmail.CampaignTemplate, j.lang, map[string]string{
			rmail.ParamCampaign: j.campaign, rmail.ParamActivity: "eyJzIjoiYSJ9.c2ln", rmail.ParamList: "newsletter",
			rmail.ParamUnsubscribe: "https://x.example/u", rmail.ParamWebURL: "https://x.example/w", rmail.ParamPrivacyURL: "https://x.example/p",
		})
		if err != nil {
			t.Fatal(err)
		}
		put, err := rmail.Put(cat, job)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}}); err != nil {
			t.Fatal(err)
		}
		if j.restricted {
			if err := store.Restrict(ctx, "mail", recordstore.Key{PK: job.PK, SK: job.SK}, time.Now(), "r-test"); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			deliver(t, stack, job.ID())
		}
		if got := getJob(t, db, cat, job)["status"].(*types.AttributeValueMemberS).Value; got != j.wantStatus {
			t.Errorf("job %d: status %q, want %q", i, got, j.wantStatus)
		}
		if n := sentTo(t, stack, to); (n == 1) != (j.wantStatus == rmail.Sent) || n > 1 {
			t.Errorf("job %d: %d mails sent", i, n)
		}
	}
	mails, err := stack.SentMail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if strings.Contains(m.Parsed.To, fmt.Sprint(run)) && !strings.Contains(m.Parsed.HTML, `<html lang="fi">`) {
			t.Errorf("campaign mail not in the Finnish layout:\n%s", m.Parsed.HTML)
		}
	}

	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(campaigns), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for counter, want := range map[string]string{"sent": "2", "withheld": "1"} {
		n, _ := out.Item[counter].(*types.AttributeValueMemberN)
		if n == nil || n.Value != want {
			t.Errorf("campaign %s = %v, want %s", counter, out.Item[counter], want)
		}
	}
	gonePK, goneSK := rmail.CampaignKey(campaign + "-gone")
	gone, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(campaigns), Key: dynamo.Key(gonePK, goneSK), ConsistentRead: aws.Bool(true)})
	if err != nil || gone.Item != nil {
		t.Errorf("a deleted campaign's item made again: %v %v", gone.Item, err)
	}
}
