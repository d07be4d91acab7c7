package main

// The library rows' items (library.go), as the capabilities write them:
// patrons (internal/library Patron, the identity code sealed under
// HetuContext), guardian links both ways (collect.go), open loans with
// dueShard/dueDate on the byDue index and unpaid fees (loans.go), every one
// stamped by record.Catalogue.Stamp from library.yaml's rules.
//
// Patron i: the first Due of every 20th (i = 20·q, q < Due) are due in the
// yearly purge (unused since 2023, so 3 years are up by 1 January 2027); of
// those every 5th has an unpaid fee (unresolved: kept), and every 10th (from
// the 2nd) is the guardian of the child i+1 (links in both partitions).
// Open loans: Overdue of them 60–73 days past their due date on the
// transfer's day, two per patron (20·m+3; every 10th patron a child), the
// rest due between 59 days ago and 60 days ahead, owned by patrons that are
// not due. The due and overdue sets are the same at every size (as the
// sweep's 10 k due are), so what a run reads is seen against the table's size.

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/hetu"
	"rekisteri/internal/library"
	"rekisteri/internal/record"
)

// The transfer's and the purge's clocks: a Monday morning, and the yearly
// purge's 1 January run (03:30 Helsinki).
var (
	libTransferNow = time.Date(2026, 6, 1, 5, 0, 0, 0, time.UTC)
	libPurgeNow    = time.Date(2027, 1, 1, 1, 30, 0, 0, time.UTC)
)

// libShape is what a size builds.
type libShape struct {
	Patrons int // patrons
	Loans   int // open loans in all, Overdue of them overdue
	Due     int // patrons due in the purge (≤ Patrons/20)
	Overdue int // loans 60 days overdue (≤ Patrons/10)
}

func (s libShape) overdue() int   { return s.Overdue }
func (s libShape) fillers() int   { return s.Loans - s.Overdue }
func (s libShape) due() int       { return s.Due }
func (s libShape) kept() int      { return (s.Due + 4) / 5 }
func (s libShape) guardians() int { return s.Due / 10 }

// isDue: patron i is due in the purge.
func (s libShape) isDue(i int) bool { return i%20 == 0 && i/20 < s.Due }

// patronItems is how many items the patrons table holds: the patrons and
// the guardian links both ways.
func (s libShape) patronItems() int { return s.Patrons + 2*s.guardians() }

// loanItems is how many the loans table holds: loans, then the kept
// patrons' unpaid fees.
func (s libShape) loanItems() int { return s.Loans + s.kept() }

// libGen makes the items of a shape, stamped from cat.
type libGen struct {
	shape libShape
	cat   *record.Catalogue
	seal  *fieldcrypt.Sealer
}

func libCustomer(i int) string { return fmt.Sprintf("29%011d", i) }

func libSubject(i int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "library-subject:%d", i)
	return fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
}

// libHetu is a well-formed identity code for a birth date.
func libHetu(birth time.Time, i int) string {
	return hetu.Make(birth, 2+2*(i%449))
}

// overduePatron is the patron of overdue loan k.
func libOverduePatron(k int) int { return 20*(k/2) + 3 }

func (g *libGen) isChild(i int) bool {
	if i%20 == 1 && (i/20)%10 == 1 && g.shape.isDue(i-1) { // the child of guardian i-1
		return true
	}
	return i%20 == 3 && (i/20)%10 == 9
}

// fillerOwner is the patron of filler loan j: never a due one.
func (g *libGen) fillerOwner(j int) int {
	p := j % g.shape.Patrons
	if g.shape.isDue(p) {
		p++
	}
	return p
}

func (g *libGen) openLoans(i int) int {
	if g.shape.isDue(i) {
		return 0
	}
	f, n := g.shape.fillers(), g.shape.Patrons
	cnt := func(r int) int {
		c := f / n
		if r < f%n {
			c++
		}
		return c
	}
	c := cnt(i)
	if g.shape.isDue(i - 1) {
		c += cnt(i - 1)
	}
	if i%20 == 3 && 2*(i/20) < g.shape.overdue() {
		c += min(2, g.shape.overdue()-2*(i/20))
	}
	return c
}

func libStamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// patron is patron i, stamped.
func (g *libGen) patron(ctx context.Context, i int) (map[string]types.AttributeValue, error) {
	due := g.shape.isDue(i)
	birth := time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
	group := library.GroupAdult
	if g.isChild(i) {
		birth, group = time.Date(2016, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), library.GroupChild
	}
	last := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(i%870) * 24 * time.Hour) // up to May 2026
	if due {
		last = time.Date(2023, 1, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(i%360) * 24 * time.Hour)
	}
	sealID := fmt.Sprintf("s%012d", i)
	code, err := g.seal.Seal(ctx, []byte(libHetu(birth, i)), library.HetuContext(sealID))
	if err != nil {
		return nil, err
	}
	p := library.Patron{
		PK: library.PatronPK(libCustomer(i)), SK: library.SKPatron, Kind: library.KindPatron, SubjectKey: libSubject(i),
		CustomerNumber: libCustomer(i), FirstName: "Etunimi" + strconv.Itoa(i%997), LastName: "Sukunimi" + strconv.Itoa(i),
		IdentityCode: &code, SealID: sealID, PIN: "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0$YmVuY2hoYXNoYmVuY2hoYXNoYmVuY2hoYXNo",
		Street: "Kirjastokatu " + strconv.Itoa(1+i%120), Postcode: fmt.Sprintf("%05d", i%100_000), City: "Helsinki",
		Phone: fmt.Sprintf("+35840%07d", i%10_000_000), Email: "asiakas" + strconv.Itoa(i) + "@example.fi",
		BirthDate: birth.Format(time.DateOnly), CustomerGroup: group, Lang: "fi", Delivery: library.ChannelEmail,
		HomeLibrary: library.Libraries[i%4], CreatedAt: libStamp(last.AddDate(-2, 0, 0)), LastUsedAt: libStamp(last),
		OpenLoans: g.openLoans(i),
	}
	if due && (i/20)%5 == 0 {
		p.UnpaidFees = 1
	}
	p.Status = p.State()
	item, err := attributevalue.MarshalMap(p)
	if err != nil {
		return nil, err
	}
	if err := g.cat.Stamp(library.KindPatron, p.Status, item); err != nil {
		return nil, err
	}
	return item, g.check(item, libPurgeNow, due, "patron "+strconv.Itoa(i))
}

// link is guardian link n (both ways: n even in the child's partition).
func (g *libGen) link(n int) (map[string]types.AttributeValue, error) {
	gi := 20 * (10*(n/2) + 1)
	ci := gi + 1
	child := time.Date(2016, time.Month(1+ci%12), 1+ci%28, 0, 0, 0, 0, time.UTC)
	at := libStamp(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
	l := map[string]any{
		"pk": library.PatronPK(libCustomer(ci)), "sk": library.GuardianSK(libCustomer(gi)), "subjectKey": libSubject(ci),
		"kind": library.KindGuardianLink, "patronKey": libSubject(ci), "responsibleKey": libSubject(gi), "role": library.RoleGuardian,
		"birthDate": child.Format(time.DateOnly), "createdAt": at, "lastUsedAt": at,
	}
	if n%2 == 1 {
		l["pk"], l["sk"], l["subjectKey"] = library.PatronPK(libCustomer(gi)), library.DependantSK(libCustomer(ci)), libSubject(gi)
	}
	item, err := attributevalue.MarshalMap(l)
	if err != nil {
		return nil, err
	}
	if err := g.cat.Stamp(library.KindGuardianLink, library.StateMinor, item); err != nil {
		return nil, err
	}
	return item, g.check(item, libPurgeNow, false, "guardian link")
}

// patronsItem is item i of the patrons table.
func (g *libGen) patronsItem(ctx context.Context, i int) (map[string]types.AttributeValue, error) {
	if i < g.shape.Patrons {
		return g.patron(ctx, i)
	}
	return g.link(i - g.shape.Patrons)
}

// loan is open loan j: the fillers first, then the overdue ones.
func (g *libGen) loan(j int) (map[string]types.AttributeValue, error) {
	day := libTransferNow.Truncate(24 * time.Hour)
	var owner int
	var item string
	var due time.Time
	if k := j - g.shape.fillers(); k >= 0 {
		owner, item = libOverduePatron(k), fmt.Sprintf("X%08d", k)
		due = day.AddDate(0, 0, -library.TransferAfterDays-k%14)
	} else {
		owner, item = g.fillerOwner(j), fmt.Sprintf("I%08d", j)
		due = day.AddDate(0, 0, -59+(j*7)%120)
	}
	l := library.Loan{
		PK: library.PatronPK(libCustomer(owner)), SK: library.LoanSK(item), Kind: library.KindLoan, SubjectKey: libSubject(owner),
		ItemID: item, Title: "Nide " + item, Price: fmt.Sprintf("%d.%02d", 10+j%40, (j*7)%100), Owner: library.Libraries[j%4],
		Type: library.TypeLoan, Status: library.LoanOpen, LoanedAt: libStamp(due.AddDate(0, 0, -28).Add(11 * time.Hour)),
		DueDate: due.Format(time.DateOnly), DueShard: library.DueShard(item), Renewals: j % 3,
	}
	m, err := attributevalue.MarshalMap(l)
	if err != nil {
		return nil, err
	}
	if err := g.cat.Stamp(library.KindLoan, library.LoanOpen, m); err != nil {
		return nil, err
	}
	return m, g.check(m, libPurgeNow, false, "loan")
}

// fee is the unpaid fee of kept patron m (patron 100·m).
func (g *libGen) fee(m int) (map[string]types.AttributeValue, error) {
	i := 100 * m
	f := library.Fee{
		PK: library.PatronPK(libCustomer(i)), SK: library.FeeSK(fmt.Sprintf("fee%08d", m)), Kind: library.KindFee, SubjectKey: libSubject(i),
		Owner: library.Libraries[i%4], Reason: "lost", Amount: "24.90", Status: library.FeeUnpaid,
		CreatedAt: libStamp(time.Date(2022, 11, 3, 12, 0, 0, 0, time.UTC)),
	}
	item, err := attributevalue.MarshalMap(f)
	if err != nil {
		return nil, err
	}
	if err := g.cat.Stamp(library.KindFee, library.FeeUnpaid, item); err != nil {
		return nil, err
	}
	return item, g.check(item, libPurgeNow, false, "fee")
}

// loansItem is item j of the loans table.
func (g *libGen) loansItem(j int) (map[string]types.AttributeValue, error) {
	if j < g.shape.Loans {
		return g.loan(j)
	}
	return g.fee(j - g.shape.Loans)
}

// check: the stamp puts the item where the generator meant it (due by the
// purge's clock or not).
func (g *libGen) check(item map[string]types.AttributeValue, now time.Time, due bool, what string) error {
	v, ok := item[record.AttrExpiresAt].(*types.AttributeValueMemberN)
	isDue := false
	if ok {
		exp, _ := strconv.ParseInt(v.Value, 10, 64)
		isDue = exp <= now.Unix()
	}
	if isDue != due {
		return fmt.Errorf("generator: %s: due=%v by %s, meant %v", what, isDue, now.Format(time.DateOnly), due)
	}
	return nil
}
