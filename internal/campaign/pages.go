package campaign

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/events"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/token"
)

// SkippedRestricted is the reason a subscriber on the audience gets no
// mail: their processing is restricted (Art. 18).
const SkippedRestricted = "restricted"

// activityValidity is how long a mailing's links stamp activity.
const activityValidity = 400 * 24 * time.Hour

// writers is how many jobs of a page are written at once.
const writers = 8

// cursor is where the page writer is on the audience: a shard, and the
// last subscription written in it ("" at its start).
type cursor struct {
	shard  int
	lastPK string
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	n, pk, _ := strings.Cut(s, "|")
	shard, err := strconv.Atoi(n)
	if err != nil || shard < 0 || shard > audience.Shards {
		return cursor{}, fmt.Errorf("campaign: cursor %q", s)
	}
	return cursor{shard: shard, lastPK: pk}, nil
}

func (c cursor) String() string {
	if c.lastPK == "" {
		return strconv.Itoa(c.shard)
	}
	return strconv.Itoa(c.shard) + "|" + c.lastPK
}

// writePage writes the jobs of one page of the audience at the campaign's
// cursor, then moves the cursor (and the counts) on, conditional on nobody
// else having moved it: a page delivered twice is written twice (each job
// once: its id is the campaign and the subscriber) and counted once.
func (s *Service) writePage(ctx context.Context, keys keyring.Keys, c *Campaign) (done bool, err error) {
	at, err := parseCursor(c.Cursor)
	if err != nil {
		return false, err
	}
	if at.shard == audience.Shards {
		return true, nil
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.tables.Subscribers), IndexName: aws.String(audience.Index),
		KeyConditionExpression:    aws.String(audience.Attr + " = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": sv(audience.ShardKey(c.List, at.shard))},
		Limit:                     aws.Int32(s.pageSize),
	}
	if at.lastPK != "" {
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			audience.Attr: sv(audience.ShardKey(c.List, at.shard)), "pk": sv(at.lastPK), "sk": sv(audience.ListSK(c.List)),
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return false, fmt.Errorf("campaign %s: audience page: %w", c.ID(), err)
	}
	var jobs []mail.Job
	restricted := 0
	for _, it := range out.Items {
		if _, ok := it["restrictedAt"]; ok {
			restricted++
			continue
		}
		j, err := s.job(keys, *c, it)
		if err != nil {
			return false, err
		}
		jobs = append(jobs, j)
	}
	if err := s.putJobs(ctx, jobs); err != nil {
		return false, fmt.Errorf("campaign %s: %w", c.ID(), err)
	}
	next := cursor{shard: at.shard + 1}
	if pk, ok := out.LastEvaluatedKey["pk"].(*types.AttributeValueMemberS); ok {
		next = cursor{shard: at.shard, lastPK: pk.Value}
	}
	return next.shard == audience.Shards, s.advance(ctx, c, next, len(jobs), restricted)
}

// job is the outbox job of the campaign to the subscription it.
func (s *Service) job(keys keyring.Keys, c Campaign, it map[string]types.AttributeValue) (mail.Job, error) {
	str := func(k string) string {
		v, _ := it[k].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	sk, to, lang := str("subjectKey"), str("email"), str("lang")
	if _, ok := c.Content[lang]; !ok {
		lang = "fi"
	}
	now := s.now()
	rsvp := ""
	if c.Event != "" {
		rsvp = events.RSVPLink(s.baseURL, keys.Token, c.Event, sk, lang)
	}
	web := *s.baseURL
	web.Path = strings.TrimRight(web.Path, "/") + "/newsletter/web"
	web.RawQuery = "campaign=" + c.ID() + "&lang=" + lang
	return mail.NewJob(now, mail.CampaignJobID(c.ID(), sk), sk, to, mail.CampaignTemplate, lang, map[string]string{
		mail.ParamCampaign:    c.ID(),
		mail.ParamActivity:    token.Sign(keys.Token, token.Claims{Purpose: token.Activity, Subject: sk, Expires: now.Add(activityValidity).Unix()}),
		mail.ParamList:        c.List,
		mail.ParamUnsubscribe: token.Link(s.baseURL, "/newsletter/unsubscribe", token.Sign(keys.Token, token.Claims{Purpose: token.Unsubscribe, Subject: sk, Lists: []string{c.List}}), lang),
		mail.ParamWebURL:      web.String(),
		mail.ParamPrivacyURL:  s.reg.NoticeURL(s.baseURL, lang),
		mail.ParamRSVP:        rsvp,
	})
}

// putJobs writes each job once (a conditional put), several at a time.
func (s *Service) putJobs(ctx context.Context, jobs []mail.Job) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, writers)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.putJob(ctx, j)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Service) putJob(ctx context.Context, j mail.Job) error {
	put, err := mail.Put(s.recs, j)
	if err != nil {
		return err
	}
	p := put.Put
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues})
	if dynamo.ConditionFailed(err) {
		return nil // written by an earlier delivery of this page
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID(), err)
	}
	return nil
}

// advance moves the cursor to next and counts the page, once.
func (s *Service) advance(ctx context.Context, c *Campaign, next cursor, written, restricted int) error {
	cond, vals := "#cursor = :old", map[string]types.AttributeValue{":old": sv(c.Cursor)}
	if c.Cursor == "" {
		cond, vals = "attribute_not_exists(#cursor)", map[string]types.AttributeValue{}
	}
	vals[":next"] = sv(next.String())
	vals[":n"] = &types.AttributeValueMemberN{Value: strconv.Itoa(written)}
	vals[":r"] = &types.AttributeValueMemberN{Value: strconv.Itoa(restricted)}
	vals[":zero"] = &types.AttributeValueMemberN{Value: "0"}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.tables.Campaigns), Key: dynamo.Key(c.PK, c.SK),
		UpdateExpression:          aws.String("SET #cursor = :next, skipped.#r = if_not_exists(skipped.#r, :zero) + :r ADD recipients :n"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#r": SkippedRestricted, "#cursor": "cursor"},
		ExpressionAttributeValues: vals,
	})
	if dynamo.ConditionFailed(err) {
		// Another delivery moved it: go on from where it is.
		latest, gerr := s.Get(ctx, c.ID())
		if gerr != nil {
			return gerr
		}
		*c = latest
		return nil
	}
	if err != nil {
		return fmt.Errorf("campaign %s: cursor: %w", c.ID(), err)
	}
	c.Cursor = next.String()
	c.Recipients += written
	c.Skipped[SkippedRestricted] += restricted
	return nil
}
