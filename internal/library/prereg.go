package library

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/mail"
	"rekisteri/internal/mailbudget"
	"rekisteri/internal/register"
	"rekisteri/internal/subject"
	"rekisteri/internal/web"
)

// Online pre-registration (seed 004 §11): the form, the sealed identity
// codes, the receipt mail telling where to collect the card. Nothing here
// is a patron yet: staff collect the card at a service point (collect.go).

// preregBodyLimit is the most a pre-registration form may send.
const preregBodyLimit = 16 << 10

// StatePending is a pre-registration waiting to be collected
// (preregistration-uncollected: deleted 3 months after registeredAt).
const StatePending = "pending"

// BudgetPrereg is the form's mail budget per unverified address (museum.yaml,
// mailBudgets; counted where every budget is, in the bookings table).
const BudgetPrereg = "library-register"

// Crockford's base32: no I, L, O or U, so a reference read aloud or typed
// from a receipt cannot be misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReferenceLen is a reference's length: 50 random bits, unguessable and
// short enough to read out at a service desk.
const ReferenceLen = 10

// newReference is a fresh random reference (32 divides 256: each character
// is uniform).
func newReference() string {
	var b [ReferenceLen]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return string(b[:])
}

// NormalizeReference reads a reference as staff type it: any case, with
// spaces or hyphens, O for 0 and I or L for 1 (Crockford); "" when it
// cannot be one.
func NormalizeReference(s string) string {
	s = strings.NewReplacer(" ", "", "-", "", "O", "0", "I", "1", "L", "1").Replace(strings.ToUpper(strings.TrimSpace(s)))
	if len(s) != ReferenceLen {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(crockford, rune(s[i])) {
			return ""
		}
	}
	return s
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// preregItem is the stored pre-registration with what records.go does not
// name: the guardian's birth date, so collection needs no identity code opened.
type preregItem struct {
	Preregistration
	GuardianBirthDate string `dynamodbav:"guardianBirthDate,omitempty"`
}

// Preregister stores a pre-registration with its identity codes sealed
// (each person under a seal id of their own), and its receipt mail, in one
// transaction, and returns its reference. The mail goes to the guardian of
// a child where given, else to the person; it carries the reference, never
// an identity code. Past the address's mail budget the pre-registration is
// stored the same, unmailed, and the answer is the same.
func (s *Service) Preregister(ctx context.Context, in registration) (string, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return "", fmt.Errorf("library: %w", err)
	}
	now := s.now()
	ref := newReference()
	p := preregItem{Preregistration: Preregistration{
		PK: PreregPK(ref), SK: SKPrereg, Kind: KindPreregistration, SubjectKey: subject.HetuKey(keys.Subject, in.Hetu), Reference: ref,
		FirstName: in.FirstName, LastName: in.LastName, SealID: newSealID(),
		Street: in.Street, Postcode: in.Postcode, City: in.City, Phone: in.Phone, Email: in.Email,
		BirthDate: in.BirthDate.Format(time.DateOnly), CustomerGroup: in.Group, Lang: in.Lang, Delivery: in.Channel,
		Status: StatePending, RegisteredAt: rfc3339(now),
	}}
	sealed, err := s.seal.Seal(ctx, []byte(in.Hetu), HetuContext(p.SealID))
	if err != nil {
		return "", fmt.Errorf("pre-registration %s: %w: %w", ref, ErrSealing, err)
	}
	p.IdentityCode = &sealed
	to, name := in.Email, in.FirstName
	if g := in.Guardian; g != nil {
		p.GuardianFirstName, p.GuardianLastName, p.GuardianEmail = g.FirstName, g.LastName, g.Email
		p.GuardianSealID, p.GuardianSubjectKey = newSealID(), subject.HetuKey(keys.Subject, g.Hetu)
		p.GuardianBirthDate = g.BirthDate.Format(time.DateOnly)
		gs, err := s.seal.Seal(ctx, []byte(g.Hetu), HetuContext(p.GuardianSealID))
		if err != nil {
			return "", fmt.Errorf("pre-registration %s: %w: %w", ref, ErrSealing, err)
		}
		p.GuardianIdentityCode = &gs
		if g.Email != "" {
			to = g.Email
		}
	}
	put, err := s.recs.Put(KindPreregistration, StatePending, p, "attribute_not_exists(pk)")
	if err != nil {
		return "", err
	}
	if to == "" { // a letter or text message customer without an address: the receipt page is all
		if err := s.txWrite(ctx, []types.TransactWriteItem{put}); err != nil {
			return "", fmt.Errorf("store pre-registration %s: %w", ref, err)
		}
		slog.InfoContext(ctx, "library pre-registration", "reference", ref, "subject", subject.Prefix(p.SubjectKey), "guardian", in.Guardian != nil, "mailed", false)
		return ref, nil
	}
	budget, err := mailbudget.New(s.plat, BudgetPrereg)
	if err != nil {
		return "", err
	}
	job, err := mail.NewJob(now, "library-preregistered."+ref, p.SubjectKey, to, "library-preregistered", in.Lang, map[string]string{
		"reference": ref, "name": name, "privacyURL": s.reg.NoticeURL(s.baseURL, in.Lang),
	})
	if err != nil {
		return "", err
	}
	jp, err := mail.Put(s.plat, job)
	if err != nil {
		return "", err
	}
	ak := subject.EmailKey(keys.Subject, to) // the budget counts per address
	err = s.txWrite(ctx, []types.TransactWriteItem{put, budget.Spend(ak, now), jp})
	mailed := true
	if refused, _ := mailbudget.Refused(err, 1); refused {
		mailed = false // past the budget: stored all the same, counted, nothing mailed
		err = s.txWrite(ctx, []types.TransactWriteItem{put, budget.Overspend(ak, now, false)})
	}
	if err != nil {
		return "", fmt.Errorf("store pre-registration %s: %w", ref, err)
	}
	slog.InfoContext(ctx, "library pre-registration", "reference", ref, "subject", subject.Prefix(p.SubjectKey), "guardian", in.Guardian != nil, "mailed", mailed)
	return ref, nil
}

// newSealID binds a person's sealed identity code to them from the
// pre-registration on (HetuContext).
func newSealID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(b))
	for i := range b {
		out[i] = crockford[b[i]&31]
	}
	return strings.ToLower(string(out))
}

// txWrite writes tx, and again (twice at most) when DynamoDB cancelled it
// only for a conflict with a concurrent transaction (a shared budget counter).
func (s *Service) txWrite(ctx context.Context, tx []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil || attempt == 2 || !slices.Contains(dynamo.CancelledBy(err), "TransactionConflict") {
			return err
		}
		time.Sleep(time.Duration(10+attempt*30) * time.Millisecond)
	}
}

func (s *Service) registerSubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, preregBodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	if f.Get("website") != "" {
		return s.preregReceived(w, r, lang, newReference()) // a bot: the same answer, nothing kept, nothing sealed
	}
	in, errs := parseRegistration(f, lang, helsinki.Today(s.now()))
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderPrereg(w, lang, f, errs)
	}
	ref, err := s.Preregister(r.Context(), in)
	if err != nil {
		return web.Unavailable(err)
	}
	return s.preregReceived(w, r, lang, ref)
}

func (s *Service) preregReceived(w http.ResponseWriter, r *http.Request, lang, ref string) error {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "received", "reference": ref})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, ptext(lang, "received.title"), fmt.Sprintf(ptext(lang, "received.body"), ref), ptext(lang, "received.expiry"))
	return nil
}

func (s *Service) registerForm(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, preregBodyLimit)
	lang := web.Lang(r, f)
	if web.WantsJSON(r) {
		fields := make([]map[string]string, 0, len(preregFields))
		for _, name := range preregFields {
			fields = append(fields, map[string]string{"name": name, "label": ptext(lang, name)})
		}
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "fields": fields, "channels": Channels, "groups": Groups,
			"guardianUnder": GuardianAge, "guardianAge": AdultAge})
		return nil
	}
	return s.renderPrereg(w, lang, f, nil)
}

// renderPrereg shows the form: empty, or again after a failed submit with
// the visitor's answers (never an identity code) and each error at its field.
func (s *Service) renderPrereg(w http.ResponseWriter, lang string, f web.Form, errs web.FieldErrors) error {
	fields := make([]web.Field, 0, len(preregFields))
	for _, name := range preregFields {
		fl := web.Field{Name: name, Label: ptext(lang, name), Secret: name == "hetu" || name == "guardian_hetu"}
		switch name {
		case "channel":
			fl.ID = "channel-" + Channels[0]
		case "group":
			fl.ID = "group-" + Groups[0]
		}
		fields = append(fields, fl)
	}
	fl := web.NewFlow(lang, f, errs, fields)
	d := map[string]any{"Lang": lang, "Langs": register.Languages, "T": ptexts(lang), "F": fl, "Channels": Channels, "Groups": Groups,
		"Privacy": s.reg.NoticeURL(&url.URL{}, lang)}
	return fl.Render(w, ptext(lang, "form.title"), preregTmpl, d)
}
