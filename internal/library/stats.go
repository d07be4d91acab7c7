package library

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/smallcell"
)

// Anonymised loan statistics (seed 004 §5, §9). A loan is counted when it
// is made, in the same transaction as the loan: one counter per month
// (Finnish time), library, customer group, age band, language and gender
// (kind usage-statistic, table statistics). The counter names no customer:
// no number, identity code or birth date — the age band is worked out at
// the loan and only the band is kept — so when the loan is returned and
// deleted, nothing links the count back to the patron. Counting at the loan
// covers returned and current loans alike, once each; renewals are no new
// loans and are not counted.

// MinCell is the smallest count the report shows: the survey's rule, of
// package smallcell. Below it a count is shown as "<5", so no customer can
// be singled out by the combination.
const MinCell = smallcell.Min

// The age bands a loan is counted in; AgeUnknown where there is no birth
// date (an institution).
var AgeBands = []string{"0-14", "15-17", "18-29", "30-44", "45-64", "65+"}

// AgeUnknown is the band of a patron without a birth date.
const AgeUnknown = "unknown"

// AgeBand is the band of a patron born on birthDate at day.
func AgeBand(birthDate string, day time.Time) string {
	a := Age(birthDate, day)
	switch {
	case a < 0:
		return AgeUnknown
	case a < 15:
		return AgeBands[0]
	case a < 18:
		return AgeBands[1]
	case a < 30:
		return AgeBands[2]
	case a < 45:
		return AgeBands[3]
	case a < 65:
		return AgeBands[4]
	}
	return AgeBands[5]
}

// statGroup, statLang and statGender are the closed sets a counter's key
// is made of, so nothing typed by anyone reaches it.
func statGroup(g string) string {
	if slices.Contains(Groups, g) {
		return g
	}
	return "other"
}

func statLang(l string) string {
	if slices.Contains([]string{"fi", "sv", "en"}, l) {
		return l
	}
	return "other"
}

// statGender is the declared gender (for statistics, seed 004 §7), or
// "unknown" where none was declared.
func statGender(g string) string {
	switch strings.ToLower(strings.TrimSpace(g)) {
	case "":
		return "unknown"
	case "female", "f", "woman", "nainen", "kvinna":
		return "female"
	case "male", "m", "man", "mies":
		return "male"
	}
	return "other"
}

// statSK is a counter's sort key.
func statSK(group, age, lang, gender string) string {
	return group + "#" + age + "#" + lang + "#" + gender
}

// countLoan is the transaction item adding one loan by p at library at at
// to its month's counter.
func (s *Service) countLoan(p *Patron, library string, at time.Time) (types.TransactWriteItem, error) {
	local := helsinki.Local(at)
	month := local.Format("2006-01")
	group, age, lang, gender := statGroup(p.CustomerGroup), AgeBand(p.BirthDate, helsinki.Today(at)), statLang(p.Lang), statGender(p.Gender)
	pk := StatPK(month, library)
	ch, err := s.recs.Enter(KindUsageStatistic, "any", pk, nil) // kept: no personal data
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	set := "#kind = :kind, #period = :period, #library = :library, customerGroup = :group, ageGroup = :age, #lang = :lang, gender = :gender, createdAt = if_not_exists(createdAt, :created)"
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                aws.String(s.tables.Statistics),
		Key:                      dynamo.Key(pk, statSK(group, age, lang, gender)),
		UpdateExpression:         aws.String(ch.Expression(set, "") + " ADD loans :one"),
		ExpressionAttributeNames: map[string]string{"#kind": "kind", "#period": "period", "#library": "library", "#lang": "lang"},
		ExpressionAttributeValues: ch.Values(map[string]types.AttributeValue{
			":kind": str(KindUsageStatistic), ":period": str(month), ":library": str(library), ":group": str(group),
			":age": str(age), ":lang": str(lang), ":gender": str(gender), ":created": str(s.now().UTC().Format(time.RFC3339)),
			":one": &types.AttributeValueMemberN{Value: "1"},
		}),
	}}, nil
}

// StatDimensions are what the report may break loans down by, besides
// month and library.
var StatDimensions = []string{"group", "age", "lang", "gender"}

// StatCell is one count of the report; a dimension not broken down by
// reads "all".
type StatCell struct {
	Month, Library, Group, Age, Lang, Gender string
	Loans                                    int
}

// Shown is the count as the report prints it: suppressed below MinCell.
func (c StatCell) Shown() string { return smallcell.Shown(c.Loans) }

// StatsReport is loans per month and library, broken down by By.
type StatsReport struct {
	By    []string
	Cells []StatCell
}

type statQuerier interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

type statItem struct {
	CustomerGroup string `dynamodbav:"customerGroup"`
	AgeGroup      string `dynamodbav:"ageGroup"`
	Lang          string `dynamodbav:"lang"`
	Gender        string `dynamodbav:"gender"`
	Loans         int    `dynamodbav:"loans"`
}

// LoanStatistics reads the counters of the months from through to
// (YYYY-MM) — one Query per month and library, never a Scan — and sums
// them by the dimensions in by (StatDimensions; nil: all of them).
func LoanStatistics(ctx context.Context, db statQuerier, table, from, to string, by []string) (StatsReport, error) {
	start, err := time.Parse("2006-01", from)
	if err != nil {
		return StatsReport{}, fmt.Errorf("from month %q: want YYYY-MM", from)
	}
	end, err := time.Parse("2006-01", to)
	if err != nil || end.Before(start) {
		return StatsReport{}, fmt.Errorf("to month %q: want YYYY-MM, not before %s", to, from)
	}
	if by == nil {
		by = StatDimensions
	}
	for _, d := range by {
		if !slices.Contains(StatDimensions, d) {
			return StatsReport{}, fmt.Errorf("break down by %q: want some of %s", d, strings.Join(StatDimensions, ","))
		}
	}
	pick := func(d, v string) string {
		if slices.Contains(by, d) {
			return v
		}
		return "all"
	}
	sums := map[StatCell]int{}
	for m := start; !m.After(end); m = m.AddDate(0, 1, 0) {
		month := m.Format("2006-01")
		for _, lib := range Libraries {
			in := &dynamodb.QueryInput{
				TableName:                 aws.String(table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: StatPK(month, lib)}},
			}
			for {
				out, err := db.Query(ctx, in)
				if err != nil {
					return StatsReport{}, fmt.Errorf("read the counts of %s %s: %w", month, lib, err)
				}
				var page []statItem
				if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
					return StatsReport{}, err
				}
				for _, it := range page {
					sums[StatCell{Month: month, Library: lib, Group: pick("group", it.CustomerGroup), Age: pick("age", it.AgeGroup),
						Lang: pick("lang", it.Lang), Gender: pick("gender", it.Gender)}] += it.Loans
				}
				if out.LastEvaluatedKey == nil {
					break
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		}
	}
	r := StatsReport{By: by}
	for c, n := range sums {
		c.Loans = n
		r.Cells = append(r.Cells, c)
	}
	slices.SortFunc(r.Cells, func(a, b StatCell) int {
		return strings.Compare(strings.Join([]string{a.Month, a.Library, a.Group, a.Age, a.Lang, a.Gender}, "\x00"),
			strings.Join([]string{b.Month, b.Library, b.Group, b.Age, b.Lang, b.Gender}, "\x00"))
	})
	return r, nil
}

// WriteCSV writes month,library,customer_group,age_band,lang,gender,loans
// with suppressed cells as "<5", formula-safe like every CSV staff open.
func (r StatsReport) WriteCSV(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	_ = cw.Write([]string{"month", "library", "customer_group", "age_band", "lang", "gender", "loans"})
	for _, c := range r.Cells {
		_ = cw.Write([]string{c.Month, c.Library, c.Group, c.Age, c.Lang, c.Gender, c.Shown()})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the report for a person to read.
func (r StatsReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tLIBRARY\tGROUP\tAGE\tLANG\tGENDER\tLOANS")
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Month, c.Library, c.Group, c.Age, c.Lang, c.Gender, c.Shown())
	}
	fmt.Fprintf(tw, "\n%d cells; counts under %d are shown as <%d so no customer can be singled out\n", len(r.Cells), MinCell, MinCell)
	return tw.Flush()
}
