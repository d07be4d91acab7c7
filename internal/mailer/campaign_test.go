package mailer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sesmail"
	"rekisteri/internal/sqsqueue"
)

const (
	testCampaign = "2026-12-joulu"
	testToken    = "eyJzIjoiYWJjIn0.c2lnbmF0dXJlXy0"
	testUnsub    = "https://museo.example.fi/newsletter/unsubscribe?token=u.v"
)

func campaignJobID(campaign string) string { return rmail.CampaignJobID(campaign, "sk1") }

// campaignClaim is a claimed campaign job in lang, of campaign.
func campaignClaim(t *testing.T, campaign, lang string, restricted bool) func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		j, err := rmail.NewJob(time.Now(), campaignJobID(campaign), "sk1", "anna@example.com", rmail.CampaignTemplate, lang, map[string]string{
			rmail.ParamCampaign: campaign, rmail.ParamActivity: testToken, rmail.ParamList: "newsletter",
			rmail.ParamUnsubscribe: testUnsub, rmail.ParamWebURL: "https://museo.example.fi/newsletter/web?c=" + campaign,
			rmail.ParamPrivacyURL: "https://museo.example.fi/privacy",
		})
		if err != nil {
			t.Fatal(err)
		}
		j.Status = rmail.Sending
		av, _ := attributevalue.MarshalMap(j)
		if restricted {
			av["restrictedAt"] = &types.AttributeValueMemberS{Value: "2026-12-01T10:00:00Z"}
		}
		return &dynamodb.UpdateItemOutput{Attributes: av}, nil
	}
}

// campaignItem is a campaign item as GetItem with the content projection
// answers, with content in langs.
func campaignItem(t *testing.T, langs ...string) map[string]types.AttributeValue {
	t.Helper()
	content := map[string]rmail.CampaignContent{}
	for _, l := range langs {
		content[l] = rmail.CampaignContent{
			Subject: "Joulu " + l,
			HTML:    `<p lang-body="` + l + `"><a href="https://museo.example.fi/newsletter/go?u=x&amp;a=` + rmail.ActivityPlaceholder + `">Aukiolo</a></p>`,
			Text:    "Joulu " + l + ": https://museo.example.fi/newsletter/go?u=x&a=" + rmail.ActivityPlaceholder + "\n",
		}
	}
	av, err := attributevalue.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]types.AttributeValue{"content": av}
}

func canceled(reasons ...types.CancellationReason) error {
	return &types.TransactionCanceledException{Message: aws.String("cancelled"), CancellationReasons: reasons}
}

func reason(code string, item map[string]types.AttributeValue) types.CancellationReason {
	return types.CancellationReason{Code: aws.String(code), Item: item}
}

func TestCampaignJob(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	sentItem := map[string]types.AttributeValue{"status": &types.AttributeValueMemberS{Value: rmail.Sent}}
	cases := []struct {
		name       string
		lang       string
		restricted bool
		item       map[string]types.AttributeValue // nil: the campaign is gone
		getErr     error
		script     func(t *testing.T) []answer // after the claim
		txAnswers  []error
		wantErr    bool
		wantSent   bool
		wantBody   string // the content's language the mail is in
		wantCount  []string
		wantLast   string // the last UpdateItem's expression
	}{
		{name: "sent in the job's language, counted sent", lang: "sv", item: campaignItem(t, "fi", "sv"),
			txAnswers: []error{nil}, wantSent: true, wantBody: "sv", wantCount: []string{"sent"}, wantLast: "SET #status = :sending"},
		{name: "no content in the job's language: Finnish", lang: "en", item: campaignItem(t, "fi", "sv"),
			txAnswers: []error{nil}, wantSent: true, wantBody: "fi", wantCount: []string{"sent"}, wantLast: "SET #status = :sending"},
		{name: "campaign deleted: withheld, not retried, not counted", lang: "fi",
			script: func(*testing.T) []answer { return []answer{ok} }, wantLast: "SET #status = :withheld"},
		{name: "neither the language nor Finnish: withheld, counted", lang: "en", item: campaignItem(t, "sv"),
			txAnswers: []error{nil}, wantCount: []string{"withheld"}, wantLast: "SET #status = :sending"},
		{name: "restricted subject: withheld, counted, not read", lang: "fi", restricted: true,
			txAnswers: []error{nil}, wantCount: []string{"withheld"}, wantLast: "SET #status = :sending"},
		{name: "campaign deleted after the send: the job marked alone", lang: "fi", item: campaignItem(t, "fi"),
			script:    func(*testing.T) []answer { return []answer{ok} },
			txAnswers: []error{canceled(reason("None", nil), reason("ConditionalCheckFailed", nil))},
			wantSent:  true, wantBody: "fi", wantCount: []string{"sent"}, wantLast: "SET #status = :sent"},
		{name: "the mark's answer lost: the repeat finds it sent, counted once", lang: "fi", item: campaignItem(t, "fi"),
			txAnswers: []error{errors.New("timeout"), canceled(reason("ConditionalCheckFailed", sentItem), reason("None", nil))},
			wantSent:  true, wantBody: "fi", wantCount: []string{"sent", "sent"}, wantLast: "SET #status = :sending"},
		{name: "item without content yet: released, retried", lang: "fi", item: map[string]types.AttributeValue{},
			script: func(*testing.T) []answer { return []answer{ok} }, wantErr: true, wantLast: "SET #status = :queued"},
		{name: "campaign unreadable: released, retried", lang: "fi", getErr: errors.New("dynamodb unavailable"),
			script: func(*testing.T) []answer { return []answer{ok} }, wantErr: true, wantLast: "SET #status = :queued"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answers := []answer{campaignClaim(t, testCampaign, c.lang, c.restricted)}
			if c.script != nil {
				answers = append(answers, c.script(t)...)
			}
			pk, _ := rmail.CampaignKey(testCampaign)
			db := &scriptedDB{t: t, answers: answers, txAnswers: c.txAnswers, getErr: c.getErr, items: map[string]map[string]types.AttributeValue{}}
			if c.item != nil {
				db.items[pk] = c.item
			}
			ses := &fakeSES{}
			m := testMailer(t, db, ses, nopQueue{})
			err := m.Handle(context.Background(), sqsqueue.Message{Op: OpSend, ID: campaignJobID(testCampaign)})
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if (len(ses.sent) == 1) != c.wantSent || len(ses.sent) > 1 {
				t.Fatalf("sent %v, want sent %v", ses.sent, c.wantSent)
			}
			if c.wantSent {
				checkCampaignMail(t, ses, c.wantBody)
			}
			if c.restricted && len(db.gets) != 0 {
				t.Error("a withheld job needs no content")
			}
			for _, g := range db.gets {
				if aws.ToString(g.TableName) != "campaigns" || aws.ToString(g.ProjectionExpression) != "#content" ||
					g.ExpressionAttributeNames["#content"] != "content" || !aws.ToBool(g.ConsistentRead) {
					t.Errorf("GetItem %+v", g)
				}
			}
			if len(db.txs) != len(c.wantCount) {
				t.Fatalf("%d transactions, want %d", len(db.txs), len(c.wantCount))
			}
			for i, tx := range db.txs {
				checkCount(t, tx, c.wantCount[i])
			}
			if last := aws.ToString(db.calls[len(db.calls)-1].UpdateExpression); !strings.HasPrefix(last, c.wantLast) {
				t.Errorf("last update %q, want %q", last, c.wantLast)
			}
			if len(db.answers) != 0 || len(db.txAnswers) != 0 {
				t.Errorf("%d updates and %d transactions scripted but not made", len(db.answers), len(db.txAnswers))
			}
		})
	}
}

// checkCampaignMail: the one mail sent is the campaign in lang, the token
// in its links, one-click unsubscribe, tagged with its class and list.
func checkCampaignMail(t *testing.T, ses *fakeSES, lang string) {
	t.Helper()
	if ses.sent[0] != "anna@example.com|mk" {
		t.Errorf("campaign mail goes through the marketing set: %s", ses.sent[0])
	}
	p, err := sesmail.Parse(ses.raw[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="` + lang + `">`, `lang-body="` + lang + `"`, "a=" + testToken + `"`} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("html lacks %s:\n%s", want, p.HTML)
		}
	}
	if p.Subject != "Joulu "+lang || !strings.Contains(p.Text, "a="+testToken) {
		t.Errorf("subject %q, text %q", p.Subject, p.Text)
	}
	if p.Header.Get("List-Unsubscribe") != "<"+testUnsub+">" || p.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q", p.Header.Get("List-Unsubscribe"))
	}
	if got := fmt.Sprint(ses.tags[0]); got != "[{class marketing} {list newsletter}]" {
		t.Errorf("tags %s", got)
	}
}

// checkCount: a transaction of the job's final status under this lease and
// 1 more in counter on the campaign item, if it still exists.
func checkCount(t *testing.T, tx *dynamodb.TransactWriteItemsInput, counter string) {
	t.Helper()
	if len(tx.TransactItems) != 2 {
		t.Fatalf("transaction of %d items", len(tx.TransactItems))
	}
	job, camp := tx.TransactItems[0].Update, tx.TransactItems[1].Update
	if aws.ToString(job.TableName) != "mail" || aws.ToString(job.ConditionExpression) != "#status = :sending AND leaseUntil = :until" {
		t.Errorf("job update %s if %s", aws.ToString(job.UpdateExpression), aws.ToString(job.ConditionExpression))
	}
	pk, sk := rmail.CampaignKey(testCampaign)
	if aws.ToString(camp.TableName) != "campaigns" || camp.Key["pk"].(*types.AttributeValueMemberS).Value != pk ||
		camp.Key["sk"].(*types.AttributeValueMemberS).Value != sk ||
		aws.ToString(camp.UpdateExpression) != "ADD #counter :one" || camp.ExpressionAttributeNames["#counter"] != counter ||
		aws.ToString(camp.ConditionExpression) != "attribute_exists(pk)" {
		t.Errorf("campaign update %+v", camp)
	}
}

// TestCampaignContentReadOnce: a campaign's jobs cost one read between
// them; the cache keeps the last campaigns only.
func TestCampaignContentReadOnce(t *testing.T) {
	db := &scriptedDB{t: t, items: map[string]map[string]types.AttributeValue{}}
	var order []string
	for i := range 20 {
		order = append(order, testCampaign) // a campaign's jobs, one after another
		if i == 10 {
			for k := range campaignCacheSize {
				order = append(order, fmt.Sprintf("other-%d", k)) // then more campaigns than the cache holds
			}
		}
	}
	for _, c := range order {
		pk, _ := rmail.CampaignKey(c)
		db.items[pk] = campaignItem(t, "fi")
		db.answers = append(db.answers, campaignClaim(t, c, "fi", false))
		db.txAnswers = append(db.txAnswers, nil)
	}
	ses := &fakeSES{}
	m := testMailer(t, db, ses, nopQueue{})
	for _, c := range order {
		if err := m.Handle(context.Background(), sqsqueue.Message{Op: OpSend, ID: campaignJobID(c)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ses.sent) != len(order) {
		t.Fatalf("sent %d of %d", len(ses.sent), len(order))
	}
	// testCampaign once, each other once, and testCampaign again: it had
	// fallen out of the cache.
	if want := 1 + campaignCacheSize + 1; len(db.gets) != want {
		t.Errorf("%d reads, want %d", len(db.gets), want)
	}
	if n := len(m.cache.entries); n != campaignCacheSize {
		t.Errorf("cache holds %d campaigns, want %d", n, campaignCacheSize)
	}
}

// TestDeletedCampaignReadOnce: a deleted campaign's jobs end unsent
// without a read each.
func TestDeletedCampaignReadOnce(t *testing.T) {
	db := &scriptedDB{t: t}
	for range 5 {
		db.answers = append(db.answers, campaignClaim(t, testCampaign, "fi", false), ok)
	}
	ses := &fakeSES{}
	m := testMailer(t, db, ses, nopQueue{})
	for range 5 {
		if err := m.Handle(context.Background(), sqsqueue.Message{Op: OpSend, ID: campaignJobID(testCampaign)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(db.gets) != 1 || len(ses.sent) != 0 {
		t.Errorf("%d reads, %d sent; want 1 and 0", len(db.gets), len(ses.sent))
	}
}

// testMailer is a Mailer on fakes with the campaigns table, unpaced, whose
// waits take no time.
func testMailer(t *testing.T, db dynamoAPI, ses rawSender, q queue) *Mailer {
	t.Helper()
	m, err := New(db, ses, q, "mail", "KAMU <noreply@museo.example.fi>", ConfigurationSets{rmail.Transactional: "tx", rmail.Marketing: "mk"})
	if err != nil {
		t.Fatal(err)
	}
	m.campaigns = "campaigns"
	m.pace = nil
	m.sleep = func(context.Context, time.Duration) error { return nil }
	return m
}
