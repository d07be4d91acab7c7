// Package mailbudget is the mail budget per address: how many mails a public
// endpoint may send to an address nobody has verified within a window, as the
// register declares (mailBudgets). Anyone can type someone else's address
// into a public form; the budget keeps such a form from flooding that inbox.
//
// The count is a counter item in the capability's own table, one per address
// and window, spent by a conditional update inside the same TransactWriteItems
// that stores the request and its mail — no extra call while within budget.
// When the budget is spent the transaction is cancelled by the counter alone;
// the caller stores the request again without its mail and answers as always.
package mailbudget

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Kind is the declared record kind of a counter.
const Kind = "mail-budget"

// Budget is one endpoint's declared budget, counted in one table.
type Budget struct {
	rule  register.MailBudget
	recs  *record.Catalogue
	table string
}

// New returns the budget the register declares as id, counted in the table
// the register declares for counters.
func New(recs *record.Catalogue, id string) (*Budget, error) {
	reg := recs.Register()
	rule, ok := reg.MailBudget(id)
	if !ok {
		return nil, fmt.Errorf("mail budget %q is not declared in register %s", id, reg.ID)
	}
	table, err := recs.TableOf(Kind)
	if err != nil {
		return nil, err
	}
	return &Budget{rule: rule, recs: recs, table: table}, nil
}

// MustNew is New for budgets the register tests prove declared.
func MustNew(recs *record.Catalogue, id string) *Budget {
	b, err := New(recs, id)
	if err != nil {
		panic(err)
	}
	return b
}

// Count is how many mails the budget allows per address and window.
func (b *Budget) Count() int { return b.rule.Count }

// Window is the budget's window.
func (b *Budget) Window() time.Duration { return b.rule.Window.Duration }

// windowStart is the start of the fixed window now falls in.
func (b *Budget) windowStart(now time.Time) time.Time {
	return now.UTC().Truncate(b.rule.Window.Duration)
}

// Key is the counter of subjectKey's address in now's window: one partition
// per endpoint and address, one item per window.
func (b *Budget) Key(subjectKey string, now time.Time) map[string]types.AttributeValue {
	return dynamo.Key("MAILBUDGET#"+b.rule.ID+"#"+subjectKey, b.windowStart(now).Format(time.RFC3339))
}

func (b *Budget) update(subjectKey string, now time.Time, condition string, n int) *types.Update {
	start := b.windowStart(now)
	key := b.Key(subjectKey, now)
	pk := key["pk"].(*types.AttributeValueMemberS).Value
	// The counter is kept as its rule says, from the start of its window.
	ch := b.recs.MustEnter(Kind, "any", pk, map[string]time.Time{"windowStart": start})
	vals := ch.Values(map[string]types.AttributeValue{
		":kind": &types.AttributeValueMemberS{Value: Kind}, ":sk": &types.AttributeValueMemberS{Value: subjectKey},
		":ws": &types.AttributeValueMemberS{Value: start.Format(time.RFC3339)},
		":n":  num(n),
	})
	u := &types.Update{
		TableName: aws.String(b.table), Key: key,
		UpdateExpression:                    aws.String(ch.Expression("kind = :kind, subjectKey = :sk, windowStart = :ws", "") + " ADD mails :n"),
		ExpressionAttributeValues:           vals,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if condition != "" {
		u.ConditionExpression = aws.String(condition)
		vals[":max"] = num(b.rule.Count)
	}
	return u
}

// Spend is a transaction item taking one mail to subjectKey's address from
// now's window. It refuses (cancelling the transaction) once the window's
// budget is spent; Refused tells that cancellation from any other.
func (b *Budget) Spend(subjectKey string, now time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: b.update(subjectKey, now, "attribute_not_exists(mails) OR mails < :max", 1)}
}

// Overspend is a transaction item counting one request past the budget. With
// first, it succeeds only for the first such request of the window (the
// counter stands exactly at the budget), so that one notice of the flood is
// sent and no more.
func (b *Budget) Overspend(subjectKey string, now time.Time, first bool) types.TransactWriteItem {
	cond := ""
	if first {
		cond = "mails = :max"
	}
	return types.TransactWriteItem{Update: b.update(subjectKey, now, cond, 1)}
}

// Refused reports whether err is a transaction cancelled by the budget item
// at index i (and by nothing else), and how many mails the window had counted.
func Refused(err error, i int) (refused bool, counted int) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return false, 0
	}
	for j, r := range tce.CancellationReasons {
		code := aws.ToString(r.Code)
		if j == i && code != "ConditionalCheckFailed" || j != i && code != "None" && code != "" {
			return false, 0
		}
	}
	if n, ok := tce.CancellationReasons[i].Item["mails"].(*types.AttributeValueMemberN); ok {
		counted, _ = strconv.Atoi(n.Value)
	}
	return true, counted
}

func num[T int | int64](v T) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(v), 10)}
}
