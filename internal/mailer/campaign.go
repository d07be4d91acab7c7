package mailer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	rmail "rekisteri/internal/mail"
)

// A campaign job (template rmail.CampaignTemplate) holds the campaign's id
// and the recipient's own links; the body is on the campaign item, rendered
// once per language when the campaign was made. The mailer reads it once
// per campaign and process (campaignCache), puts the two together
// (rmail.RenderCampaign), and counts each job's end on the campaign item in
// the same transaction as the job's own status (settle).

// The campaign item's counters.
const (
	counterSent     = "sent"
	counterWithheld = "withheld"
)

var (
	// errCampaignGone: the campaign was deleted; its jobs end unsent.
	errCampaignGone = errlog.New("campaign deleted")
	// errNoContent: the campaign has content, but neither in the job's
	// language nor in Finnish; the job ends unsent, counted withheld.
	errNoContent = errlog.New("campaign has no content in the job's language")
	// errContentNotYet: the campaign item has no content (yet); retried.
	errContentNotYet = errlog.New("campaign item without content")
	errNoTable       = errlog.New("no campaigns table configured")
)

// render renders a claimed job: a campaign's from its stored content, any
// other from its template.
func (m *Mailer) render(ctx context.Context, job *claimedJob) (rmail.Rendered, error) {
	if job.Template != rmail.CampaignTemplate {
		return rmail.Render(job.Template, job.Lang, job.Params)
	}
	content, err := m.campaignContent(ctx, job.Params[rmail.ParamCampaign])
	if err != nil {
		return rmail.Rendered{}, err
	}
	lang := job.Lang
	c, ok := content[lang]
	if !ok {
		// The whole mail in Finnish, layout and <html lang> with the body.
		lang = "fi"
		if c, ok = content[lang]; !ok {
			return rmail.Rendered{}, errNoContent
		}
	}
	return rmail.RenderCampaign(lang, c, job.Params)
}

// campaignCacheSize is how many campaigns' content a process keeps: a
// campaign's jobs come together, and a few campaigns may overlap.
const campaignCacheSize = 8

// campaignCache keeps the content of the last campaigns read, and that a
// campaign is gone (a deleted campaign does not come back).
type campaignCache struct {
	mu      sync.Mutex
	entries []campaignEntry // least recently used first
}

type campaignEntry struct {
	id      string
	content map[string]rmail.CampaignContent // nil: gone
}

func (c *campaignCache) get(id string) (map[string]rmail.CampaignContent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.id == id {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			return e.content, true
		}
	}
	return nil, false
}

func (c *campaignCache) put(id string, content map[string]rmail.CampaignContent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.id == id {
			c.entries = append(c.entries[:i:i], c.entries[i+1:]...)
			break
		}
	}
	if len(c.entries) >= campaignCacheSize {
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, campaignEntry{id: id, content: content})
}

// campaignContent is campaign id's content by language, read once (a
// consistent read: a campaign just made is not taken for gone).
func (m *Mailer) campaignContent(ctx context.Context, id string) (map[string]rmail.CampaignContent, error) {
	if id == "" {
		return nil, fmt.Errorf("campaign job without %s: %w", rmail.ParamCampaign, errCampaignGone)
	}
	if content, ok := m.cache.get(id); ok {
		if content == nil {
			return nil, errCampaignGone
		}
		return content, nil
	}
	if m.campaigns == "" {
		return nil, errNoTable
	}
	pk, sk := rmail.CampaignKey(id)
	out, err := m.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(m.campaigns),
		Key:                      dynamo.Key(pk, sk),
		ProjectionExpression:     aws.String("#content"),
		ExpressionAttributeNames: map[string]string{"#content": "content"},
		ConsistentRead:           aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read campaign %s: %w", id, err)
	}
	if out.Item == nil {
		m.cache.put(id, nil)
		return nil, errCampaignGone
	}
	av, ok := out.Item["content"]
	if !ok {
		return nil, fmt.Errorf("campaign %s: %w", id, errContentNotYet)
	}
	content := map[string]rmail.CampaignContent{}
	if err := attributevalue.Unmarshal(av, &content); err != nil {
		return nil, fmt.Errorf("campaign %s content: %w", id, err)
	}
	m.cache.put(id, content)
	return content, nil
}

// counts reports whether a job's end is counted on a campaign item.
func counts(job *claimedJob) bool {
	return job.Template == rmail.CampaignTemplate && job.Params[rmail.ParamCampaign] != ""
}

// settle writes a claimed job's final status (upd, leaving it final). A
// campaign job's adds 1 to its campaign's counter in the same transaction,
// which holds only if the job is still under this delivery's lease, so a
// count is exact: a repeat after a lost answer finds the job final and
// writes nothing. A campaign deleted meanwhile is not made again: the job
// alone is written.
func (m *Mailer) settle(ctx context.Context, job *claimedJob, upd types.Update, final, counter string) error {
	if counter == "" || !counts(job) || m.campaigns == "" {
		return m.update(ctx, upd, final)
	}
	pk, sk := rmail.CampaignKey(job.Params[rmail.ParamCampaign])
	upd.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := m.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &upd},
		{Update: &types.Update{
			TableName:                 aws.String(m.campaigns),
			Key:                       dynamo.Key(pk, sk),
			UpdateExpression:          aws.String("ADD #counter :one"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames:  map[string]string{"#counter": counter},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		}},
	}})
	var tce *types.TransactionCanceledException
	if err == nil || !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 {
		return err
	}
	jobReason, campaignReason := tce.CancellationReasons[0], tce.CancellationReasons[1]
	switch {
	case aws.ToString(jobReason.Code) == "ConditionalCheckFailed":
		if statusOf(jobReason.Item) == final {
			return nil // this delivery's earlier try did it, and counted
		}
	case aws.ToString(campaignReason.Code) == "ConditionalCheckFailed":
		return m.update(ctx, upd, final)
	}
	return err
}

// update writes a job's final status alone; a conditional one that finds
// the job final already is done.
func (m *Mailer) update(ctx context.Context, upd types.Update, final string) error {
	in := &dynamodb.UpdateItemInput{
		TableName:                 upd.TableName,
		Key:                       upd.Key,
		UpdateExpression:          upd.UpdateExpression,
		ConditionExpression:       upd.ConditionExpression,
		ExpressionAttributeNames:  upd.ExpressionAttributeNames,
		ExpressionAttributeValues: upd.ExpressionAttributeValues,
	}
	if upd.ConditionExpression != nil {
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err := m.db.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && statusOf(ccf.Item) == final {
		return nil
	}
	return err
}

func statusOf(item map[string]types.AttributeValue) string {
	if s, ok := item["status"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
