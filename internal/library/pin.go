package library

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/mail"
	seam "rekisteri/internal/record"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// The PIN (seed 004 §7: "tunnusluku salattuna"): set at the service desk
// by the staff tool, or by the patron through a one-time link mailed at
// collection. Only its argon2id hash is stored (pinhash.go); the link's
// nonce is kept on the patron until it is used, so it works once.

// PINLinkDays is how long a PIN link works.
const PINLinkDays = 7

// Errors of the PIN flows, with fixed texts.
var (
	ErrPINInvalid  error = errlog.New("a PIN has 4 to 8 digits")
	ErrNoEmail     error = errlog.New("the patron has no e-mail address for a PIN link: set the PIN at the desk")
	ErrLinkInvalid error = errlog.New("PIN link invalid")
	ErrLinkExpired error = errlog.New("PIN link expired")
	ErrLinkUsed    error = errlog.New("PIN link used already")
)

// patronBySubject is the customer number of the patron with subjectKey
// (bySubject), or "" when there is none.
func (s *Service) patronBySubject(ctx context.Context, subjectKey string) (string, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.tables.Patrons), IndexName: aws.String(seam.IndexBySubject),
		KeyConditionExpression:    aws.String("subjectKey = :k AND sk = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": pinS(subjectKey), ":sk": pinS(SKPatron)},
	})
	if err != nil {
		return "", fmt.Errorf("find patron by subject: %w", err)
	}
	for _, it := range out.Items {
		if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, PatronPK("")) {
			return strings.TrimPrefix(pk.Value, PatronPK("")), nil
		}
	}
	return "", nil
}

// pinUpdate is the transaction item storing pin's hash on the patron with
// customerNumber, dropping any unused link, on condition cond (with vals).
func (s *Service) pinUpdate(customerNumber, pin string, now time.Time, cond string, vals map[string]types.AttributeValue) (types.TransactWriteItem, error) {
	if !ValidPIN(pin) {
		return types.TransactWriteItem{}, ErrPINInvalid
	}
	h, err := HashPIN(pin)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if vals == nil {
		vals = map[string]types.AttributeValue{}
	}
	vals[":pin"], vals[":at"] = pinS(h), pinS(rfc3339(now))
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(PatronPK(customerNumber), SKPatron),
		// A new PIN ends any lockout and any session of the old one.
		UpdateExpression:          aws.String("SET pin = :pin, pinSetAt = :at REMOVE pinLinkId, failedLogins, lockedUntil, sessionHash"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: vals,
	}}, nil
}

// SetPIN sets the PIN of the patron with customerNumber, as staff do at the
// desk (the patron types it; actor is audited, the PIN never).
func (s *Service) SetPIN(ctx context.Context, customerNumber, pin, actor string) error {
	p, err := s.getPatron(ctx, customerNumber)
	if err != nil {
		return err
	}
	now := s.now()
	up, err := s.pinUpdate(customerNumber, pin, now, "attribute_exists(pk)", nil)
	if err != nil {
		return err
	}
	a, err := audit.Put(s.plat, now, audit.Entry{Event: "library-pin-set", SubjectKey: p.SubjectKey, Actor: actor})
	if err != nil {
		return err
	}
	if err := s.txWrite(ctx, []types.TransactWriteItem{up, a}); err != nil {
		if dynamo.CancelledBy(err) != nil {
			return ErrNotFound
		}
		return fmt.Errorf("set PIN: %w", err)
	}
	slog.InfoContext(ctx, "library PIN set at the desk", "subject", subject.Prefix(p.SubjectKey))
	return nil
}

// SendPINLink mails the patron with customerNumber a one-time link to set
// their PIN (valid PINLinkDays), replacing any earlier unused link.
func (s *Service) SendPINLink(ctx context.Context, customerNumber, actor string) error {
	p, err := s.getPatron(ctx, customerNumber)
	if err != nil {
		return err
	}
	if p.Email == "" {
		return ErrNoEmail
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	now := s.now()
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	tok := token.Sign(keys.Token, token.Claims{Purpose: token.LibraryPIN, Subject: p.SubjectKey, ID: nonce,
		Expires: now.Add(PINLinkDays * 24 * time.Hour).Unix()})
	job, err := mail.NewJob(now, "library-pin."+nonce, p.SubjectKey, p.Email, "library-pin", p.Lang, map[string]string{
		"name": p.FirstName, "pinURL": token.Link(s.baseURL, "/library/pin", tok, p.Lang), "days": strconv.Itoa(PINLinkDays),
		"privacyURL": s.reg.NoticeURL(s.baseURL, p.Lang),
	})
	if err != nil {
		return err
	}
	jp, err := mail.Put(s.plat, job)
	if err != nil {
		return err
	}
	a, err := audit.Put(s.plat, now, audit.Entry{Event: "library-pin-link-sent", SubjectKey: p.SubjectKey, Actor: actor})
	if err != nil {
		return err
	}
	link := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(PatronPK(customerNumber), SKPatron),
		UpdateExpression: aws.String("SET pinLinkId = :n"), ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": pinS(nonce)},
	}}
	if err := s.txWrite(ctx, []types.TransactWriteItem{link, jp, a}); err != nil {
		return fmt.Errorf("send PIN link: %w", err)
	}
	slog.InfoContext(ctx, "library PIN link mailed", "subject", subject.Prefix(p.SubjectKey))
	return nil
}

// pinLink is the patron a PIN link names, while the link is unused.
func (s *Service) pinLink(ctx context.Context, tok string) (*Patron, token.Claims, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return nil, token.Claims{}, err
	}
	c, err := token.Verify(keys.Token, tok, token.LibraryPIN, s.now())
	switch {
	case errors.Is(err, token.ErrExpired):
		return nil, c, ErrLinkExpired
	case err != nil || c.ID == "" || c.Subject == "":
		return nil, c, ErrLinkInvalid
	}
	n, err := s.patronBySubject(ctx, c.Subject)
	if err != nil {
		return nil, c, err
	}
	if n == "" {
		return nil, c, ErrLinkInvalid // the patron is gone
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(PatronPK(n), SKPatron), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, c, fmt.Errorf("read patron: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, c, ErrLinkInvalid
	}
	var p struct {
		Patron
		PINLinkID string `dynamodbav:"pinLinkId"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return nil, c, fmt.Errorf("read patron: %w", err)
	}
	if p.PINLinkID != c.ID {
		return nil, c, ErrLinkUsed
	}
	return &p.Patron, c, nil
}

// SetPINByLink sets the PIN a one-time link allows, once: the update holds
// only while the patron still carries the link's nonce.
func (s *Service) SetPINByLink(ctx context.Context, tok, pin string) error {
	p, c, err := s.pinLink(ctx, tok)
	if err != nil {
		return err
	}
	now := s.now()
	up, err := s.pinUpdate(p.CustomerNumber, pin, now, "pinLinkId = :nonce", map[string]types.AttributeValue{":nonce": pinS(c.ID)})
	if err != nil {
		return err
	}
	a, err := audit.Put(s.plat, now, audit.Entry{Event: "library-pin-set-by-link", SubjectKey: p.SubjectKey})
	if err != nil {
		return err
	}
	if err := s.txWrite(ctx, []types.TransactWriteItem{up, a}); err != nil {
		if codes := dynamo.CancelledBy(err); len(codes) > 0 && codes[0] == "ConditionalCheckFailed" {
			return ErrLinkUsed
		}
		return fmt.Errorf("set PIN by link: %w", err)
	}
	slog.InfoContext(ctx, "library PIN set by link", "subject", subject.Prefix(p.SubjectKey))
	return nil
}

func pinS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

var pinFields = []web.Field{{Name: "pin", Secret: true}, {Name: "pin2", Secret: true}}

func (s *Service) renderPIN(w http.ResponseWriter, lang, tok string, f web.Form, errs web.FieldErrors) error {
	fields := make([]web.Field, len(pinFields))
	for i, x := range pinFields {
		x.Label = ptext(lang, x.Name)
		fields[i] = x
	}
	fl := web.NewFlow(lang, f, errs, fields)
	return fl.Render(w, ptext(lang, "pin.title"), pinTmpl, map[string]any{"Lang": lang, "T": ptexts(lang), "F": fl, "Token": tok})
}

func (s *Service) pinForm(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, preregBodyLimit)
	lang := web.Lang(r, f)
	if _, _, err := s.pinLink(r.Context(), f.Get("token")); err != nil {
		return s.pinError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"lang": lang, "fields": []string{"pin", "pin2"}, "min": PINMin, "max": PINMax})
		return nil
	}
	return s.renderPIN(w, lang, f.Get("token"), f, nil)
}

func (s *Service) pinSubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, preregBodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	tok := f.Get("token")
	pin, pin2 := f.Get("pin"), f.Get("pin2")
	errs := web.FieldErrors{}
	switch {
	case !ValidPIN(pin):
		errs["pin"] = ptext(lang, "err.pin")
	case pin2 != pin:
		errs["pin2"] = ptext(lang, "err.pin2")
	}
	if len(errs) > 0 {
		if _, _, err := s.pinLink(r.Context(), tok); err != nil {
			return s.pinError(w, r, lang, err)
		}
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderPIN(w, lang, tok, f, errs)
	}
	if err := s.SetPINByLink(r.Context(), tok, pin); err != nil {
		return s.pinError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "pin-set"})
		return nil
	}
	web.Message(w, http.StatusOK, lang, ptext(lang, "pin.done.title"), ptext(lang, "pin.done"))
	return nil
}

func (s *Service) pinError(w http.ResponseWriter, r *http.Request, lang string, err error) error {
	status, key := http.StatusBadRequest, ""
	switch {
	case errors.Is(err, ErrLinkExpired):
		key = "link.expired"
	case errors.Is(err, ErrLinkUsed):
		status, key = http.StatusGone, "link.used"
	case errors.Is(err, ErrLinkInvalid):
		key = "link.invalid"
	default:
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, map[string]string{"error": ptext(lang, key)})
		return nil
	}
	web.Message(w, status, lang, ptext(lang, "link.title"), ptext(lang, key))
	return nil
}
