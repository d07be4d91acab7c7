package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/infra/awsprobe"
)

// stateResult is the AWS calls of one subscribe, for an address in one state.
type stateResult struct {
	State  string
	Code   int
	Counts awsprobe.Counts
}

// subscribeStates counts the calls of a subscribe for an address in each
// state it can be in (issue 7, item 6): the same calls in every state, so
// the response time does not tell whether the address is known.
func (b *bench) subscribeStates(ctx context.Context, rep *opsReport) error {
	progress("subscribe: calls per address state")
	measure := func(state, addr string) {
		b.rec.Reset()
		code, _ := b.signup(ctx, addr)
		rep.States = append(rep.States, stateResult{State: state, Code: code, Counts: b.rec.Snapshot()})
	}
	// new
	fresh := b.address()
	measure("new", fresh)
	// pending, mailed moments ago: the 10-minute rule leaves it alone
	measure("pending, recently mailed", fresh)
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	// pending, mailed over 10 minutes ago
	old := b.address()
	if err := b.mustSignup(ctx, old); err != nil {
		return err
	}
	if err := b.backdateSignup(ctx, old, time.Hour); err != nil {
		return err
	}
	measure("pending, mailed > 10 min ago", old)
	// active
	active := b.address()
	if err := b.mustSignup(ctx, active); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	if err := b.confirm(ctx, active); err != nil {
		return err
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	measure("active", active)
	// unsubscribed
	tok, err := b.unsubscribeToken(ctx, active)
	if err != nil {
		return err
	}
	if code, body := b.post(ctx, "/newsletter/unsubscribe", map[string]any{"token": tok, "lang": "en"}); code != http.StatusOK {
		return fmt.Errorf("unsubscribe answered %d: %s", code, body)
	}
	measure("unsubscribed", active)
	return b.stack.Drain(ctx)
}

// backdateSignup moves the pending subscription of addr back by d, as if
// its confirmation mail had been sent that long ago. A Scan: this is the
// bench setting a scene, not the system working.
func (b *bench) backdateSignup(ctx context.Context, addr string, d time.Duration) error {
	db, table := b.stack.Clients().DynamoDB, b.stack.Resolve("SubscribersTable")
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName: aws.String(table), FilterExpression: aws.String("email = :e AND kind = :k"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":e": &ddbtypes.AttributeValueMemberS{Value: strings.ToLower(addr)}, ":k": &ddbtypes.AttributeValueMemberS{Value: "subscription"}},
	})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": it["pk"], "sk": it["sk"]},
				UpdateExpression:          aws.String("SET signupAt = :t"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":t": &ddbtypes.AttributeValueMemberS{Value: time.Now().Add(-d).UTC().Format("2006-01-02T15:04:05Z")}},
			}); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no pending subscription of %s to backdate", addr)
	}
	return nil
}

// unsubscribeToken finds the unsubscribe link in the welcome mail to addr.
func (b *bench) unsubscribeToken(ctx context.Context, addr string) (string, error) {
	_, mails, err := b.mailsTo(ctx, "welcome")
	if err != nil {
		return "", err
	}
	for _, m := range mails {
		if !strings.EqualFold(m.Parsed.To, addr) {
			continue
		}
		for _, l := range m.Links() {
			if u, err := url.Parse(l); err == nil && u.Path == "/newsletter/unsubscribe" && u.Query().Get("token") != "" {
				return u.Query().Get("token"), nil
			}
		}
	}
	return "", fmt.Errorf("no welcome mail with an unsubscribe link to %s", addr)
}

func printStates(w io.Writer, states []stateResult) {
	fmt.Fprintln(w, "\nsubscribe by address state: AWS calls counted by SDK middleware; the same calls in every state, so the time taken does not tell a known address")
	tw := table(w)
	row(tw, "state", "answer", "calls", "by operation", "goal", "result")
	for _, s := range states {
		same := reflect.DeepEqual(s.Counts.Calls, states[0].Counts.Calls) && s.Code == states[0].Code
		row(tw, s.State, s.Code, s.Counts.Total(), s.Counts.String(), "= new: "+states[0].Counts.String(), verdict(same))
	}
	tw.Flush()
}
