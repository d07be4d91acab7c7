package library

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/feedback"
)

func TestLibraryAgeBand(t *testing.T) {
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct{ birth, want string }{
		{"2026-01-01", "0-14"},
		{"2011-12-03", "0-14"}, // 15 tomorrow
		{"2011-12-02", "15-17"},
		{"2008-12-03", "15-17"},
		{"2008-12-02", "18-29"},
		{"1997-01-01", "18-29"},
		{"1996-12-02", "30-44"},
		{"1981-12-02", "45-64"},
		{"1962-12-02", "45-64"},
		{"1961-12-02", "65+"},
		{"1920-05-05", "65+"},
		{"", AgeUnknown},
		{"not a date", AgeUnknown},
	}
	for _, tc := range tests {
		if got := AgeBand(tc.birth, day); got != tc.want {
			t.Errorf("AgeBand(%q) = %s, want %s", tc.birth, got, tc.want)
		}
	}
}

// TestLibraryStatsSuppressAsTheSurvey: the same small-cell rule as the
// survey's statistics.
func TestLibraryStatsSuppressAsTheSurvey(t *testing.T) {
	if MinCell != feedback.MinCell {
		t.Fatalf("library MinCell %d, the survey's %d", MinCell, feedback.MinCell)
	}
	for n, want := range map[int]string{0: "<5", 1: "<5", 4: "<5", 5: "5", 17: "17"} {
		if got := (StatCell{Loans: n}).Shown(); got != want {
			t.Errorf("%d shown as %s, want %s", n, got, want)
		}
		if got, survey := (StatCell{Loans: n}).Shown(), (feedback.Cell{Count: n}).Shown(); got != survey {
			t.Errorf("%d: library shows %s, the survey %s", n, got, survey)
		}
	}
}

func TestLibraryStatKeysAreClosedSets(t *testing.T) {
	tests := []struct{ in, group, lang, gender string }{
		{"adult", "adult", "other", "other"},
		{"child", "child", "other", "other"},
		{"=HYPERLINK(\"x\")", "other", "other", "other"},
	}
	for _, tc := range tests {
		if g, l, ge := statGroup(tc.in), statLang(tc.in), statGender(tc.in); g != tc.group || l != tc.lang || ge != tc.gender {
			t.Errorf("%q → %s %s %s", tc.in, g, l, ge)
		}
	}
	for in, want := range map[string]string{"": "unknown", "F": "female", "nainen": "female", "male": "male", "muu": "other"} {
		if got := statGender(in); got != want {
			t.Errorf("statGender(%q) = %s, want %s", in, got, want)
		}
	}
	for _, l := range []string{"fi", "sv", "en"} {
		if statLang(l) != l {
			t.Errorf("statLang(%s)", l)
		}
	}
}

// fakeStats answers Query from counters by partition, two items a page.
type fakeStats struct {
	items   map[string][]statItem
	queries []string
}

func (f *fakeStats) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	pk := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS).Value
	f.queries = append(f.queries, pk)
	start := 0
	if in.ExclusiveStartKey != nil {
		start = len(in.ExclusiveStartKey["n"].(*types.AttributeValueMemberS).Value)
	}
	all := f.items[pk]
	end := min(start+2, len(all))
	out := &dynamodb.QueryOutput{}
	for _, it := range all[start:end] {
		m, _ := attributevalue.MarshalMap(it)
		out.Items = append(out.Items, m)
	}
	if end < len(all) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{"n": &types.AttributeValueMemberS{Value: strings.Repeat("x", end)}}
	}
	return out, nil
}

func TestLibraryLoanStatistics(t *testing.T) {
	db := &fakeStats{items: map[string][]statItem{
		StatPK("2026-11", "espoo"): {
			{CustomerGroup: "adult", AgeGroup: "30-44", Lang: "fi", Gender: "female", Loans: 7},
			{CustomerGroup: "adult", AgeGroup: "30-44", Lang: "fi", Gender: "male", Loans: 2},
			{CustomerGroup: "adult", AgeGroup: "65+", Lang: "sv", Gender: "unknown", Loans: 1},
			{CustomerGroup: "child", AgeGroup: "0-14", Lang: "fi", Gender: "female", Loans: 12},
		},
		StatPK("2026-12", "vantaa"): {{CustomerGroup: "adult", AgeGroup: "18-29", Lang: "en", Gender: "male", Loans: 5}},
		StatPK("2027-01", "espoo"):  {{CustomerGroup: "adult", AgeGroup: "18-29", Lang: "en", Gender: "male", Loans: 99}},
	}}
	tests := []struct {
		name string
		by   []string
		want []string
	}{
		{"every dimension", nil, []string{
			"2026-11 espoo adult 30-44 fi female 7", "2026-11 espoo adult 30-44 fi male <5", "2026-11 espoo adult 65+ sv unknown <5",
			"2026-11 espoo child 0-14 fi female 12", "2026-12 vantaa adult 18-29 en male 5"}},
		{"by group", []string{"group"}, []string{"2026-11 espoo adult all all all 10", "2026-11 espoo child all all all 12", "2026-12 vantaa adult all all all 5"}},
		{"by language and age", []string{"lang", "age"}, []string{
			"2026-11 espoo all 0-14 fi all 12", "2026-11 espoo all 30-44 fi all 9", "2026-11 espoo all 65+ sv all <5", "2026-12 vantaa all 18-29 en all 5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db.queries = nil
			r, err := LoanStatistics(context.Background(), db, "stats", "2026-11", "2026-12", tc.by)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Cells {
				got = append(got, strings.Join([]string{c.Month, c.Library, c.Group, c.Age, c.Lang, c.Gender, c.Shown()}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			// One Query per month and library, and a second page where there is one.
			if len(db.queries) != 2*len(Libraries)+1 {
				t.Errorf("%d queries: %v", len(db.queries), db.queries)
			}
		})
	}
	for _, bad := range [][]string{{"2026-13", "2026-12"}, {"2026-12", "2026-11"}, {"2026-11", "x"}} {
		if _, err := LoanStatistics(context.Background(), db, "stats", bad[0], bad[1], nil); err == nil {
			t.Errorf("months %v accepted", bad)
		}
	}
	if _, err := LoanStatistics(context.Background(), db, "stats", "2026-11", "2026-11", []string{"postcode"}); err == nil {
		t.Error("an undeclared dimension accepted")
	}
}

func TestLibraryStatsCSV(t *testing.T) {
	r := StatsReport{Cells: []StatCell{
		{Month: "2026-11", Library: "espoo", Group: "adult", Age: "65+", Lang: "fi", Gender: "female", Loans: 3},
		{Month: "2026-11", Library: "espoo", Group: "=cmd", Age: "18-29", Lang: "fi", Gender: "male", Loans: 8},
	}}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "month,library,customer_group,age_band,lang,gender,loans\n2026-11,espoo,adult,65+,fi,female,<5\n2026-11,espoo,'=cmd,18-29,fi,male,8\n"
	if b.String() != want {
		t.Errorf("CSV\n%s\nwant\n%s", b.String(), want)
	}
	var tb bytes.Buffer
	if err := r.WriteTable(&tb); err != nil || !strings.Contains(tb.String(), "<5") || strings.Contains(tb.String(), " 3\n") {
		t.Errorf("table %v:\n%s", err, tb.String())
	}
}
