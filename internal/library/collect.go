package library

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/subject"
)

// Card collection at a service point (staff tool only: `staff library
// collect`). Staff have checked the person's ID; the pre-registration
// becomes a patron with a new customer number, a child's guardian becomes
// (or is found as) a patron too, and the two are linked — the sealed
// identity codes copied as they are, never opened.

// Errors of collection, with fixed texts.
var (
	ErrNoPreregistration error = errlog.New("no pre-registration with this reference: collected already, deleted after 3 months, or mistyped")
	ErrAlreadyPatron     error = errlog.New("the person is a patron already: look up their card instead")
)

// StateMinor is a guardian link while the child is under 15
// (guardian-link-minor: it lapses on the child's 15th birthday).
const StateMinor = "minor"

// RoleGuardian is a guardian link's role.
const RoleGuardian = "guardian"

// Collected is what a collection made.
type Collected struct {
	CustomerNumber string
	// GuardianNumber is the guardian's customer number (a child only);
	// GuardianExisted says the guardian was a patron already.
	GuardianNumber  string
	GuardianExisted bool
}

// guardianLink is one side of a guardian link (kind guardian-link).
type guardianLink struct {
	PK             string `dynamodbav:"pk"`
	SK             string `dynamodbav:"sk"`
	Kind           string `dynamodbav:"kind"`
	SubjectKey     string `dynamodbav:"subjectKey"`
	PatronKey      string `dynamodbav:"patronKey"`      // the child's subject key
	ResponsibleKey string `dynamodbav:"responsibleKey"` // the guardian's
	Role           string `dynamodbav:"role"`
	BirthDate      string `dynamodbav:"birthDate"` // the child's: the link lapses at 15
	CreatedAt      string `dynamodbav:"createdAt"`
	LastUsedAt     string `dynamodbav:"lastUsedAt"`
}

// Collect turns the pre-registration reference into a patron and returns
// the new customer number (CollectAll tells about a guardian too).
func (s *Service) Collect(ctx context.Context, reference, actor string) (string, error) {
	c, err := s.CollectAll(ctx, reference, actor)
	return c.CustomerNumber, err
}

// CollectAll creates the patron of pre-registration reference (and for a
// child the guardian, unless a patron already, and the links both ways),
// deletes the pre-registration and audits actor's collection, all in one
// transaction: a second collection of the reference finds nothing.
func (s *Service) CollectAll(ctx context.Context, reference, actor string) (Collected, error) {
	ref := NormalizeReference(reference)
	if ref == "" {
		return Collected{}, ErrNoPreregistration
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(PreregPK(ref), SKPrereg), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Collected{}, fmt.Errorf("read pre-registration: %w", err)
	}
	if len(out.Item) == 0 {
		return Collected{}, ErrNoPreregistration
	}
	var pr preregItem
	if err := attributevalue.UnmarshalMap(out.Item, &pr); err != nil {
		return Collected{}, fmt.Errorf("read pre-registration: %w", err)
	}
	if n, err := s.patronBySubject(ctx, pr.SubjectKey); err != nil {
		return Collected{}, err
	} else if n != "" {
		return Collected{}, ErrAlreadyPatron
	}
	var guardianNumber string
	if pr.GuardianSubjectKey != "" {
		if guardianNumber, err = s.patronBySubject(ctx, pr.GuardianSubjectKey); err != nil {
			return Collected{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		c, tx, err := s.collection(pr, guardianNumber, actor)
		if err != nil {
			return Collected{}, err
		}
		err = s.txWrite(ctx, tx)
		codes := dynamo.CancelledBy(err)
		switch {
		case err == nil:
			slog.InfoContext(ctx, "library card collected", "reference", ref, "subject", subject.Prefix(pr.SubjectKey),
				"guardian", pr.GuardianSubjectKey != "", "guardianExisted", c.GuardianExisted)
			return c, nil
		case len(codes) > 0 && codes[len(codes)-1] == "ConditionalCheckFailed":
			return Collected{}, ErrAlreadyTaken // collected (or deleted) meanwhile
		case slices.Contains(codes, "ConditionalCheckFailed") && attempt < 2:
			continue // a customer number taken already: draw again
		}
		return Collected{}, fmt.Errorf("collect %s: %w", ref, err)
	}
}

// collection is the transaction of one collection: the patron, the
// guardian and links (a child), the audit entry, and last the
// pre-registration's deletion.
func (s *Service) collection(pr preregItem, guardianNumber, actor string) (Collected, []types.TransactWriteItem, error) {
	now := s.now()
	at := rfc3339(now)
	c := Collected{CustomerNumber: NewCustomerNumber()}
	p := &Patron{
		PK: PatronPK(c.CustomerNumber), SK: SKPatron, SubjectKey: pr.SubjectKey, CustomerNumber: c.CustomerNumber,
		FirstName: pr.FirstName, LastName: pr.LastName, IdentityCode: pr.IdentityCode, SealID: pr.SealID,
		Street: pr.Street, Postcode: pr.Postcode, City: pr.City, Phone: pr.Phone, Email: pr.Email, BirthDate: pr.BirthDate,
		CustomerGroup: pr.CustomerGroup, Lang: pr.Lang, Delivery: pr.Delivery, HomeLibrary: pr.HomeLibrary,
		Reference: pr.Reference, CreatedAt: at, LastUsedAt: at,
	}
	put, err := s.patronPut(p, "attribute_not_exists(pk)")
	if err != nil {
		return c, nil, err
	}
	tx := []types.TransactWriteItem{put}
	if pr.GuardianSubjectKey != "" {
		c.GuardianNumber, c.GuardianExisted = guardianNumber, guardianNumber != ""
		if !c.GuardianExisted {
			c.GuardianNumber = NewCustomerNumber()
			delivery := ChannelLetter
			if pr.GuardianEmail != "" {
				delivery = ChannelEmail
			}
			g := &Patron{
				PK: PatronPK(c.GuardianNumber), SK: SKPatron, SubjectKey: pr.GuardianSubjectKey, CustomerNumber: c.GuardianNumber,
				FirstName: pr.GuardianFirstName, LastName: pr.GuardianLastName, IdentityCode: pr.GuardianIdentityCode, SealID: pr.GuardianSealID,
				Street: pr.Street, Postcode: pr.Postcode, City: pr.City, Email: pr.GuardianEmail, BirthDate: pr.GuardianBirthDate,
				CustomerGroup: GroupAdult, Lang: pr.Lang, Delivery: delivery, Reference: pr.Reference, CreatedAt: at, LastUsedAt: at,
			}
			gput, err := s.patronPut(g, "attribute_not_exists(pk)")
			if err != nil {
				return c, nil, err
			}
			tx = append(tx, gput)
		}
		for _, l := range []guardianLink{
			{PK: PatronPK(c.CustomerNumber), SK: GuardianSK(c.GuardianNumber), SubjectKey: pr.SubjectKey},
			{PK: PatronPK(c.GuardianNumber), SK: DependantSK(c.CustomerNumber), SubjectKey: pr.GuardianSubjectKey},
		} {
			l.Kind, l.PatronKey, l.ResponsibleKey, l.Role = KindGuardianLink, pr.SubjectKey, pr.GuardianSubjectKey, RoleGuardian
			l.BirthDate, l.CreatedAt, l.LastUsedAt = pr.BirthDate, at, at
			lput, err := s.recs.Put(KindGuardianLink, StateMinor, l)
			if err != nil {
				return c, nil, err
			}
			tx = append(tx, lput)
		}
	}
	a, err := audit.Put(s.plat, now, audit.Entry{Event: "library-card-collected", Ref: pr.Reference, SubjectKey: pr.SubjectKey, Actor: actor})
	if err != nil {
		return c, nil, err
	}
	tx = append(tx, a, types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(pr.PK, SKPrereg),
		ConditionExpression:       aws.String("#status = :pending"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": &types.AttributeValueMemberS{Value: StatePending}},
	}})
	return c, tx, nil
}

// NewCustomerNumber is a fresh card number: 13 random digits (the first not
// 0) and a Luhn check digit, as library card numbers have.
func NewCustomerNumber() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on the platforms we run on
	}
	body := fmt.Sprintf("%013d", n.Int64()+1_000_000_000_000)
	return body + string(rune('0'+luhnDigit(body)))
}

// luhnDigit is the check digit that makes body+digit pass the Luhn check.
func luhnDigit(body string) int {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 { // doubled: every other digit from the right of the body
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// ValidCustomerNumber says whether s is 14 digits passing the Luhn check.
func ValidCustomerNumber(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return int(s[13]-'0') == luhnDigit(s[:13])
}
