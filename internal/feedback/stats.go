package feedback

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/csvsafe"
	"rekisteri/internal/smallcell"
)

// MinCell is the smallest count a report shows (package smallcell's rule):
// below it, postcode, age band and gender together could single a visitor
// out.
const MinCell = smallcell.Min

// Cell is one count of the report.
type Cell struct {
	Month, Question, Option string
	Count                   int
}

// Shown is the count as the report prints it: suppressed below MinCell.
func (c Cell) Shown() string { return smallcell.Shown(c.Count) }

// Report is the survey's statistics: counts per month, question and option.
type Report struct {
	Cells []Cell
}

// Count tallies answers; multi-choice questions count each option chosen.
func Count(answers []answer) Report {
	counts := map[Cell]int{}
	add := func(month, q, opt string) {
		if opt != "" {
			counts[Cell{Month: month, Question: q, Option: opt}]++
		}
	}
	for _, a := range answers {
		m := a.ReceivedOn[:7]
		add(m, "answers", "all")
		add(m, "visit_month", a.VisitMonth)
		add(m, "visit_reason", a.VisitReason)
		for _, v := range a.InfoSource {
			add(m, "info_source", v)
		}
		for _, v := range a.ServicesUsed {
			add(m, "services_used", v)
		}
		for loc, v := range a.PreviousUse {
			add(m, "previous_use."+loc, v)
		}
		add(m, "museum_card", a.MuseumCard)
		add(m, "transport", a.Transport)
		add(m, "party", a.Party)
		add(m, "age_group", a.AgeGroup)
		add(m, "gender", a.Gender)
		add(m, "home_municipality", strings.ToLower(a.HomeMunicipality))
		add(m, "home_postcode", a.HomePostcode)
		if a.HomeAbroad {
			add(m, "home", "abroad")
		}
		add(m, "lang", a.Lang)
	}
	r := Report{}
	for c, n := range counts {
		c.Count = n
		r.Cells = append(r.Cells, c)
	}
	sort.Slice(r.Cells, func(i, j int) bool {
		a, b := r.Cells[i], r.Cells[j]
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.Question != b.Question {
			return a.Question < b.Question
		}
		return a.Option < b.Option
	})
	return r
}

type querier interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Statistics reads the answers of the months from through to (YYYY-MM), one
// Query per month, free text never read, and counts them.
func Statistics(ctx context.Context, db querier, table, from, to string) (Report, error) {
	start, err := time.Parse("2006-01", from)
	if err != nil {
		return Report{}, fmt.Errorf("from month %q: want YYYY-MM", from)
	}
	end, err := time.Parse("2006-01", to)
	if err != nil || end.Before(start) {
		return Report{}, fmt.Errorf("to month %q: want YYYY-MM, not before %s", to, from)
	}
	var answers []answer
	for m := start; !m.After(end); m = m.AddDate(0, 1, 0) {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String("pk = :pk"),
			FilterExpression:          aws.String("kind = :kind"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: answerPK(m.Format("2006-01"))}, ":kind": &types.AttributeValueMemberS{Value: "feedback-answer"}},
		}
		for {
			out, err := db.Query(ctx, in)
			if err != nil {
				return Report{}, fmt.Errorf("read answers of %s: %w", m.Format("2006-01"), err)
			}
			var page []answer
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
				return Report{}, err
			}
			answers = append(answers, page...)
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return Count(answers), nil
}

// WriteCSV writes month,question,option,count with suppressed cells as
// "<5", formula-safe like every CSV staff open.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	_ = cw.Write([]string{"month", "question", "option", "count"})
	for _, c := range r.Cells {
		_ = cw.Write([]string{c.Month, c.Question, c.Option, c.Shown()})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the report for a person to read.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tQUESTION\tOPTION\tCOUNT")
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Month, c.Question, c.Option, c.Shown())
	}
	fmt.Fprintf(tw, "\ncounts under %d are shown as <%d so no visitor can be singled out\n", MinCell, MinCell)
	return tw.Flush()
}
