package booking

// What a booking mails: its outbox jobs with their audit entries, and the
// links in them.

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/mail"
	"rekisteri/internal/token"
)

// job is a mail about booking rec, with the booking's details as parameters.
func (s *Service) job(now time.Time, id string, rec record, tmpl, to, lang string, extra map[string]string) (mail.Job, error) {
	res, _ := s.reg.Resource(rec.Resource)
	hetu := "ei annettu"
	if rec.HetuGiven {
		hetu = "annettu (salattu; näkyy vain laskutusaineistossa)"
	}
	params := map[string]string{
		"reference": rec.Reference, "resource": res.Name.In(lang), "date": rec.Date, "start": rec.Start, "end": rec.End,
		"participants": strconv.Itoa(rec.Participants), "name": rec.FirstName + " " + rec.LastName, "email": rec.Email,
		"phone": rec.Phone, "organisation": rec.Organisation, "businessId": rec.BusinessID, "payment": rec.Payment,
		"address": strings.TrimSpace(rec.Street + ", " + rec.Postcode + " " + rec.City), "hetu": hetu, "notes": rec.Notes,
		"reason": rec.DeclineReason, "privacyURL": s.privacyURL(lang),
	}
	if rec.Street == "" {
		params["address"] = ""
	}
	for k, v := range extra {
		params[k] = v
	}
	return mail.NewJob(now, id, rec.SubjectKey, to, tmpl, lang, params)
}

// notify prepares, for one transaction, a mail about rec and an audit entry
// of event: the two things every decision and cancellation writes.
func (s *Service) notify(now time.Time, rec record, tmpl, to, lang, event string, extra map[string]string) ([]types.TransactWriteItem, error) {
	id := strings.TrimPrefix(tmpl, "booking-") + "." + rec.Reference
	job, err := s.job(now, id, rec, tmpl, to, lang, extra)
	if err != nil {
		return nil, err
	}
	jp, err := mail.Put(s.recs, job)
	if err != nil {
		return nil, err
	}
	a, err := audit.Put(s.recs, now, audit.Entry{Event: event, Ref: rec.Reference, SubjectKey: rec.SubjectKey})
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{jp, a}, nil
}

func (s *Service) link(path, tok, lang string) string { return token.Link(s.baseURL, path, tok, lang) }

func (s *Service) privacyURL(lang string) string { return s.reg.NoticeURL(s.baseURL, lang) }

// decisionLink is staff's Accept/Decline link; it works until the booked day ends.
func (s *Service) decisionLink(keys keyring.Keys, rec record) string {
	exp := s.dayStart(rec.Date).Add(24 * time.Hour)
	return s.link("/bookings/decision", token.Sign(keys.Token, token.Claims{Purpose: token.Decide, ID: rec.Reference, Expires: exp.Unix()}), "fi")
}

// cancelLink is the customer's; cancelling is possible until the booked day begins.
func (s *Service) cancelLink(keys keyring.Keys, rec record) string {
	return s.link("/bookings/cancel", token.Sign(keys.Token, token.Claims{Purpose: token.Cancel, ID: rec.Reference, Expires: s.dayStart(rec.Date).Unix()}), rec.Lang)
}

// dayStart is midnight in Finland at the start of date.
func (s *Service) dayStart(date string) time.Time {
	d, _ := time.Parse("2006-01-02", date)
	// Finland is UTC+2 or +3; the offset of noon that day tells which.
	offset := helsinki.Local(d.Add(12 * time.Hour)).Sub(d.Add(12 * time.Hour))
	return d.Add(-offset)
}
