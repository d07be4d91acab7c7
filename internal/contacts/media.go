package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/audit"
	"rekisteri/internal/mail"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// Media is a media contact as staff enter it: Source is the public source
// the address came from (the Art. 14 notice names it).
type Media struct {
	Email, Name, Outlet, Source, Lang string
}

type mediaItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	SubjectKey   string `dynamodbav:"subjectKey"`
	Email        string `dynamodbav:"email"`
	Name         string `dynamodbav:"name"`
	Outlet       string `dynamodbav:"outlet"`
	Source       string `dynamodbav:"source"`
	Lang         string `dynamodbav:"lang"`
	Status       string `dynamodbav:"status"`
	SignupID     string `dynamodbav:"signupId"`
	AddedAt      string `dynamodbav:"addedAt"`
	AddedBy      string `dynamodbav:"addedBy"`
	NoticeSentAt string `dynamodbav:"noticeSentAt"`
}

// noticeItem is the receipt that the person was told (Art. 14): no address.
type noticeItem struct {
	PK            string `dynamodbav:"pk"`
	SK            string `dynamodbav:"sk"`
	Kind          string `dynamodbav:"kind"`
	SubjectKey    string `dynamodbav:"subjectKey"`
	List          string `dynamodbav:"list"`
	Template      string `dynamodbav:"template"`
	NoticeVersion string `dynamodbav:"noticeVersion"`
	Source        string `dynamodbav:"source"`
	Lang          string `dynamodbav:"lang"`
	JobID         string `dynamodbav:"jobId"`
	SentAt        string `dynamodbav:"sentAt"`
}

// NoticeTemplate is the Art. 14 notice's mail template.
const NoticeTemplate = "media-notice"

func (in Media) validate() (Media, error) {
	errs := FieldErrors{}
	if in.Email = strings.TrimSpace(in.Email); !mail.ValidAddress(in.Email) {
		errs["email"] = "not an e-mail address"
	}
	in.Name = text(errs, "name", in.Name, 200)
	in.Outlet = text(errs, "outlet", in.Outlet, 200)
	in.Source = text(errs, "source", in.Source, 300)
	in.Lang = lang(errs, in.Lang)
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

// AddMedia records a media contact, their active subscription to the list
// media and the Art. 14 notice — a mail job and its receipt — in one
// transaction with an audit entry: the notice goes out at once. Someone
// already a media contact (or one who objected) is refused with ErrKnown.
func (s *Store) AddMedia(ctx context.Context, in Media, actor string) error {
	in, err := in.validate()
	if err != nil {
		return err
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return err
	}
	sk, email := subject.EmailKey(keys.Subject, in.Email), subject.NormalizeEmail(in.Email)
	pk, now, id := audience.SubjectPK(sk), s.now(), newID()
	contact, err := s.recs.Put(MediaKind, Active, mediaItem{
		PK: pk, SK: mediaSK, Kind: MediaKind, SubjectKey: sk, Email: email, Name: in.Name, Outlet: in.Outlet, Source: in.Source,
		Lang: in.Lang, Status: Active, SignupID: id, AddedAt: stamp(now), AddedBy: actor, NoticeSentAt: stamp(now),
	}, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	sub, err := s.subscription(pk, sk, MediaList, email, in.Name, in.Lang, id, now)
	if err != nil {
		return err
	}
	object := token.Sign(keys.Token, token.Claims{Purpose: token.Unsubscribe, Subject: sk, Lists: []string{MediaList}})
	jobID := "notice." + id
	job, err := mail.NewJob(now, jobID, sk, email, NoticeTemplate, in.Lang, map[string]string{
		"name": in.Name, "outlet": in.Outlet, "source": in.Source,
		"objectURL":  token.Link(s.baseURL, "/newsletter/unsubscribe", object, in.Lang),
		"privacyURL": s.reg.NoticeURL(s.baseURL, in.Lang),
		"dpo":        s.reg.DPO.Email,
	})
	if err != nil {
		return err
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return err
	}
	receipt, err := s.recs.Put(NoticeKind, "any", noticeItem{
		PK: pk, SK: "NOTICE#" + MediaList + "#" + id, Kind: NoticeKind, SubjectKey: sk, List: MediaList, Template: NoticeTemplate,
		NoticeVersion: s.reg.Version(), Source: in.Source, Lang: in.Lang, JobID: jobID, SentAt: stamp(now),
	})
	if err != nil {
		return err
	}
	a, err := audit.Put(s.recs, now, audit.Entry{Event: "media.added", Ref: id, List: MediaList, SubjectKey: sk, Actor: actor})
	if err != nil {
		return err
	}
	if err := s.write(ctx, []types.TransactWriteItem{contact, sub, jput, receipt, a}); err != nil {
		return err
	}
	slog.InfoContext(ctx, "media contact added, notice queued", "subject", subject.Prefix(sk), "job", jobID)
	return nil
}

// RowError is a refused row of an import: its number (the header is row
// 1) and why.
type RowError struct {
	Row int
	Err error
}

func (e RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

// ImportColumns are the columns an import file has, in its header.
var ImportColumns = []string{"email", "name", "outlet", "source"}

// ImportMedia adds each row of a CSV file (a header naming ImportColumns,
// in any order) as AddMedia does, in lang. A bad or known row is refused
// with its number and field and the others are stored; cells are stored as
// they are (text: a formula is never evaluated here, and every export
// neutralises it).
func (s *Store) ImportMedia(ctx context.Context, r io.Reader, lang, actor string) (added int, refused []RowError, err error) {
	rows, err := readCSV(r)
	if err != nil {
		return 0, nil, err
	}
	if len(rows) == 0 {
		return 0, nil, errors.New("import: the file is empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range ImportColumns {
		if _, ok := col[c]; !ok {
			return 0, nil, fmt.Errorf("import: the header has no column %q (want %s)", c, strings.Join(ImportColumns, ","))
		}
	}
	for n, row := range rows[1:] {
		cell := func(c string) string {
			if i := col[c]; i < len(row) {
				return row[i]
			}
			return ""
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // a blank line
		}
		in := Media{Email: cell("email"), Name: cell("name"), Outlet: cell("outlet"), Source: cell("source"), Lang: lang}
		switch err := s.AddMedia(ctx, in, actor); {
		case err == nil:
			added++
		case errors.Is(err, ErrKnown) || errors.As(err, new(FieldErrors)):
			refused = append(refused, RowError{Row: n + 2, Err: err})
		default:
			return added, refused, fmt.Errorf("row %d: %w", n+2, err)
		}
	}
	return added, refused, nil
}

// Contact is a media contact as staff see it.
type Contact struct {
	ID, Email, Name, Outlet, Source string
}

// Media are the active media contacts (the list media's audience), by name.
func (s *Store) Media(ctx context.Context) ([]Contact, error) {
	var keys []map[string]types.AttributeValue
	err := s.members(ctx, MediaList, func(it map[string]types.AttributeValue) error {
		keys = append(keys, map[string]types.AttributeValue{"pk": it["pk"], "sk": sv(mediaSK)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []Contact
	for _, it := range items {
		if str(it, "status") != Active {
			continue
		}
		out = append(out, Contact{ID: ID(str(it, "subjectKey")), Email: str(it, "email"), Name: str(it, "name"), Outlet: str(it, "outlet"), Source: str(it, "source")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].ID < out[j].Name+out[j].ID })
	return out, nil
}
