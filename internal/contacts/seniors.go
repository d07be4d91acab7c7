package contacts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/contacts/leaving"
	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/mail"
	"rekisteri/internal/postal"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
)

// Senior is a member of the seniors' postal list as staff enter them from
// the paper form. Email is optional; Consent is how consent was given (the
// form: "paper").
type Senior struct {
	Name, Street, Postcode, City, Email, Lang, Consent string
}

type seniorItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	SubjectKey string `dynamodbav:"subjectKey"`
	Name       string `dynamodbav:"name"`
	Street     string `dynamodbav:"street"`
	Postcode   string `dynamodbav:"postcode"`
	City       string `dynamodbav:"city"`
	Email      string `dynamodbav:"email,omitempty"`
	Lang       string `dynamodbav:"lang"`
	Status     string `dynamodbav:"status"`
	SignupID   string `dynamodbav:"signupId"`
	AddedAt    string `dynamodbav:"addedAt"`
	AddedBy    string `dynamodbav:"addedBy"`
	SendTo     string `dynamodbav:"sendTo"`
}

// subscriptionItem is a subscription as the newsletter stores one, active
// at once: staff saw the signed paper form (or the public source).
type subscriptionItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	SubjectKey   string `dynamodbav:"subjectKey"`
	List         string `dynamodbav:"list"`
	Email        string `dynamodbav:"email"`
	Name         string `dynamodbav:"name,omitempty"`
	Lang         string `dynamodbav:"lang"`
	Status       string `dynamodbav:"status"`
	SignupID     string `dynamodbav:"signupId"`
	SignupAt     string `dynamodbav:"signupAt"`
	ConfirmedAt  string `dynamodbav:"confirmedAt"`
	LastActiveAt string `dynamodbav:"lastActiveAt"`
	Channel      string `dynamodbav:"channel"`
	SendTo       string `dynamodbav:"sendTo"`
}

// consentItem is the newsletter's consent receipt, for a paper form.
type consentItem struct {
	PK                 string `dynamodbav:"pk"`
	SK                 string `dynamodbav:"sk"`
	Kind               string `dynamodbav:"kind"`
	SubjectKey         string `dynamodbav:"subjectKey"`
	List               string `dynamodbav:"list"`
	Purpose            string `dynamodbav:"purpose"`
	LegalBasis         string `dynamodbav:"legalBasis"`
	SignupID           string `dynamodbav:"signupId"`
	ConsentTextVersion string `dynamodbav:"consentTextVersion"`
	NoticeVersion      string `dynamodbav:"noticeVersion"`
	Form               string `dynamodbav:"form"`
	Lang               string `dynamodbav:"lang"`
	Method             string `dynamodbav:"method"`
	Channel            string `dynamodbav:"channel"`
	Actor              string `dynamodbav:"actor"`
	SignupAt           string `dynamodbav:"signupAt"`
	ConfirmedAt        string `dynamodbav:"confirmedAt"`
}

// ErrKnown is an entry of someone already on the list.
var ErrKnown = errors.New("already on the list")

// Methods of consent staff may record.
var consentMethods = []string{"paper"}

func text(errs FieldErrors, field, v string, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		errs[field] = "required"
	case utf8.RuneCountInString(v) > max:
		errs[field] = fmt.Sprintf("at most %d characters", max)
	case strings.ContainsAny(v, "\r\n\x00"):
		errs[field] = "one line only"
	}
	return v
}

func lang(errs FieldErrors, l string) string {
	if l == "" {
		return "fi"
	}
	if !slices.Contains(register.Languages, l) {
		errs["lang"] = "one of " + strings.Join(register.Languages, ", ")
	}
	return l
}

func (in Senior) validate() (Senior, error) {
	errs := FieldErrors{}
	in.Name = text(errs, "name", in.Name, 200)
	in.Street = text(errs, "street", in.Street, 200)
	in.City = text(errs, "city", in.City, 100)
	if in.Postcode = strings.TrimSpace(in.Postcode); !postal.ValidPostcode(in.Postcode) {
		errs["postcode"] = "a Finnish postcode is 5 digits"
	}
	if in.Email = strings.TrimSpace(in.Email); in.Email != "" && !mail.ValidAddress(in.Email) {
		errs["email"] = "not an e-mail address"
	}
	in.Lang = lang(errs, in.Lang)
	if !slices.Contains(consentMethods, in.Consent) {
		errs["consent"] = "how consent was given: " + strings.Join(consentMethods, ", ")
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

// AddSenior records a member of the postal list, their consent receipt
// (method paper, entered by actor) and, with an e-mail address, an active
// subscription to the list seniors, in one transaction with an audit
// entry; it answers the member's id. A bad field writes nothing.
func (s *Store) AddSenior(ctx context.Context, in Senior, actor string) (string, error) {
	in, err := in.validate()
	if err != nil {
		return "", err
	}
	list, ok := s.reg.List(SeniorsList)
	if !ok {
		return "", fmt.Errorf("contacts: the register declares no list %s", SeniorsList)
	}
	purpose, _ := s.reg.Purpose(list.Purpose)
	sk := opaqueKey()
	email := ""
	if in.Email != "" {
		keys, err := s.keys.Keys(ctx)
		if err != nil {
			return "", err
		}
		sk, email = subject.EmailKey(keys.Subject, in.Email), subject.NormalizeEmail(in.Email)
	}
	now, id := s.now(), newID()
	pk := audience.SubjectPK(sk)
	put, err := s.recs.Put(SeniorKind, Active, seniorItem{
		PK: pk, SK: seniorSK, Kind: SeniorKind, SubjectKey: sk, Name: in.Name, Street: in.Street, Postcode: in.Postcode, City: in.City,
		Email: email, Lang: in.Lang, Status: Active, SignupID: id, AddedAt: stamp(now), AddedBy: actor,
		SendTo: audience.Key(PostList, pk),
	}, "attribute_not_exists(pk) OR #status = :removed")
	if err != nil {
		return "", err
	}
	put.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
	put.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":removed": sv(Removed)}
	receipt, err := s.recs.Put("consent", "confirmed", consentItem{
		PK: pk, SK: audience.ConsentSK(SeniorsList, id), Kind: "consent", SubjectKey: sk, List: SeniorsList, Purpose: purpose.ID, LegalBasis: purpose.LegalBasis,
		SignupID: id, ConsentTextVersion: list.ConsentVersion(in.Lang), NoticeVersion: s.reg.Version(),
		Form: "seniors-paper-form/" + list.ConsentVersion(in.Lang), Lang: in.Lang, Method: in.Consent, Channel: Staff, Actor: actor,
		SignupAt: stamp(now), ConfirmedAt: stamp(now),
	})
	if err != nil {
		return "", err
	}
	tx := []types.TransactWriteItem{put, receipt}
	if email != "" {
		sub, err := s.subscription(pk, sk, SeniorsList, email, in.Name, in.Lang, id, now)
		if err != nil {
			return "", err
		}
		tx = append(tx, sub)
	}
	a, err := audit.Put(s.recs, now, audit.Entry{Event: "senior.added", Ref: id, List: SeniorsList, SubjectKey: sk, Actor: actor})
	if err != nil {
		return "", err
	}
	if err := s.write(ctx, append(tx, a)); err != nil {
		return "", err
	}
	slog.InfoContext(ctx, "senior added", "subject", subject.Prefix(sk), "signup", id)
	return ID(sk), nil
}

// subscription is the put of an active subscription to list, on its audience.
func (s *Store) subscription(pk, sk, list, email, name, lang, id string, now time.Time) (types.TransactWriteItem, error) {
	put, err := s.recs.Put("subscription", Active, subscriptionItem{
		PK: pk, SK: audience.ListSK(list), Kind: "subscription", SubjectKey: sk, List: list, Email: email, Name: name, Lang: lang, Status: Active,
		SignupID: id, SignupAt: stamp(now), ConfirmedAt: stamp(now), LastActiveAt: stamp(now), Channel: Staff,
		SendTo: audience.Key(list, pk),
	}, "attribute_not_exists(pk) OR #status <> :active")
	if err != nil {
		return put, err
	}
	put.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
	put.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":active": sv(Active)}
	return put, nil
}

func (s *Store) write(ctx context.Context, tx []types.TransactWriteItem) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if codes := dynamo.CancelledBy(err); codes != nil && slices.Contains(codes, "ConditionalCheckFailed") {
		return ErrKnown
	}
	if err != nil {
		return fmt.Errorf("contacts: write: %w", err)
	}
	return nil
}

// Member is one member of the postal list as staff see it.
type Member struct {
	ID, Name, Street, Postcode, City string
	Restricted                       bool
	subjectKey                       string
}

// Seniors are the postal list's members, by name: the audience paged on
// the byList index and their records read by key (BatchGetItem).
func (s *Store) Seniors(ctx context.Context) ([]Member, error) {
	var keys []map[string]types.AttributeValue
	err := s.members(ctx, PostList, func(it map[string]types.AttributeValue) error {
		keys = append(keys, map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, it := range items {
		if str(it, "status") != Active {
			continue // removed between the index page and the read
		}
		_, restricted := it["restrictedAt"]
		sk := str(it, "subjectKey")
		out = append(out, Member{ID: ID(sk), Name: str(it, "name"), Street: str(it, "street"), Postcode: str(it, "postcode"),
			City: str(it, "city"), Restricted: restricted, subjectKey: sk})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].ID < out[j].Name+out[j].ID })
	return out, nil
}

// RemoveSenior takes the member id off the postal list at once: their
// address goes, their consent receipt records the withdrawal by staff, a
// subscription by e-mail ends too, and the rest is left to the declared
// rule (senior-removed).
func (s *Store) RemoveSenior(ctx context.Context, id, actor string) error {
	var pk string
	err := s.members(ctx, PostList, func(it map[string]types.AttributeValue) error {
		if ID(str(it, "subjectKey")) == id {
			pk = str(it, "pk")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if pk == "" || len(id) < 16 {
		return fmt.Errorf("no member %q on the seniors' list (see seniors list)", id)
	}
	senior, err := s.get(ctx, pk, seniorSK)
	if err != nil || senior == nil {
		return fmt.Errorf("member %s: %w", id, cmpErr(err))
	}
	sk, signup, now := str(senior, "subjectKey"), str(senior, "signupId"), s.now()
	tx, err := leaving.Items(s.recs, SeniorsList, pk, now)
	if err != nil {
		return err
	}
	receipt, err := s.get(ctx, pk, audience.ConsentSK(SeniorsList, signup))
	if err != nil {
		return err
	}
	if receipt != nil && receipt["withdrawnAt"] == nil {
		ch := s.recs.MustEnter("consent", "withdrawn", pk, map[string]time.Time{"withdrawnAt": now})
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.recs.Table("subscribers")), Key: dynamo.Key(pk, audience.ConsentSK(SeniorsList, signup)),
			UpdateExpression:          aws.String(ch.Expression("withdrawnAt = :now, withdrawalChannel = :channel", "")),
			ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(withdrawnAt)"),
			ExpressionAttributeValues: ch.Values(map[string]types.AttributeValue{":now": sv(stamp(now)), ":channel": sv(Staff)}),
		}})
	}
	sub, err := s.get(ctx, pk, audience.ListSK(SeniorsList))
	if err != nil {
		return err
	}
	if sub != nil && str(sub, "status") != "unsubscribed" {
		ch := s.recs.MustEnter("subscription", "unsubscribed", pk, map[string]time.Time{"unsubscribedAt": now})
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.recs.Table("subscribers")), Key: dynamo.Key(pk, audience.ListSK(SeniorsList)),
			UpdateExpression:          aws.String(ch.Expression("#status = :unsub, unsubscribedAt = :now, lastActiveAt = :now", "email, #name, "+audience.Attr)),
			ConditionExpression:       aws.String("#status <> :unsub"),
			ExpressionAttributeNames:  map[string]string{"#status": "status", "#name": "name"},
			ExpressionAttributeValues: ch.Values(map[string]types.AttributeValue{":unsub": sv("unsubscribed"), ":now": sv(stamp(now))}),
		}})
	}
	a, err := audit.Put(s.recs, now, audit.Entry{Event: "consent.withdrawn", Ref: signup, List: SeniorsList, SubjectKey: sk, Actor: actor})
	if err != nil {
		return err
	}
	if err := s.write(ctx, append(tx, a)); errors.Is(err, ErrKnown) {
		return fmt.Errorf("member %s changed meanwhile: run seniors list and try again", id)
	} else if err != nil {
		return err
	}
	slog.InfoContext(ctx, "senior removed", "subject", subject.Prefix(sk), "signup", signup)
	return nil
}

func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("not found")
}

// PrintExport writes the address list for the city's contract printing
// house (a declared processor) to w: every member not under restriction,
// formula-safe, with an audit entry per person (disclosed-printing-house,
// under their subject key, so their access copy shows it). It answers how
// many were written and how many were left out as restricted.
func (s *Store) PrintExport(ctx context.Context, w *csvsafe.Writer, actor string) (written, restricted int, err error) {
	ms, err := s.Seniors(ctx)
	if err != nil {
		return 0, 0, err
	}
	now := s.now()
	var entries []types.TransactWriteItem
	var rows [][]string
	for _, m := range ms {
		if m.Restricted {
			restricted++
			continue
		}
		a, err := audit.Put(s.recs, now, audit.Entry{Event: "disclosed-printing-house", List: PostList, SubjectKey: m.subjectKey, Actor: actor})
		if err != nil {
			return 0, 0, err
		}
		entries = append(entries, a)
		rows = append(rows, []string{m.Name, m.Street, m.Postcode, m.City})
	}
	// The disclosures are logged before the file holds anyone.
	for len(entries) > 0 {
		n := min(len(entries), 100)
		if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: entries[:n]}); err != nil {
			return 0, restricted, fmt.Errorf("contacts: audit of the export: %w", err)
		}
		entries = entries[n:]
	}
	if err := w.Write([]string{"name", "street", "postcode", "city"}); err != nil {
		return 0, restricted, err
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			return written, restricted, err
		}
		written++
	}
	w.Flush()
	return written, restricted, w.Error()
}
