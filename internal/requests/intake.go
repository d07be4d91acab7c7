package requests

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/mail"
	"rekisteri/internal/mailbudget"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
)

// budgetID is the declared mail budget of POST /requests.
const budgetID = "requests"

// Receive stores a request from the public form, unverified, with the mail
// that carries its verification link, and queues the mail. Whatever the
// address, the caller answers the same; past the address's mail budget the
// request is stored without its mail (nobody can verify it, and the sweep
// deletes it with the other unverified ones).
func (s *Service) Receive(ctx context.Context, in Intake) (Request, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return Request{}, fmt.Errorf("request receive: %w", err)
	}
	now := s.now()
	sk := subject.EmailKey(keys.Subject, in.Email)
	req := New(now, in.Type, sk, subject.NormalizeEmail(in.Email), in.Details, in.Lang, WebForm)
	put, err := s.recs.Put(Kind, req.Status, req, "attribute_not_exists(pk)")
	if err != nil {
		return Request{}, err
	}
	verify := token.Sign(keys.Token, token.Claims{Purpose: token.VerifyRequest, ID: req.ID(), Expires: now.Add(linkValidity).Unix()})
	job, err := mail.NewJob(now, "request-verify."+req.ID(), sk, req.Email, "request-verify", in.Lang, map[string]string{
		"verifyURL":  token.Link(s.baseURL, "/requests/verify", verify, in.Lang),
		"type":       t(in.Lang, "type."+in.Type),
		"privacyURL": s.privacyURL(in.Lang),
	})
	if err != nil {
		return Request{}, err
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return Request{}, err
	}
	entry, err := audit.Put(s.recs, now, audit.Entry{Event: "request-received", Ref: req.ID(), SubjectKey: sk})
	if err != nil {
		return Request{}, err
	}
	spend := s.budget.Spend(sk, now)
	_, err = s.tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, jput, spend, entry}})
	if refused, _ := mailbudget.Refused(err, 2); refused {
		// Past the budget: the request is kept (the same answer), its mail not.
		_, err = s.tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, entry}})
		if err != nil {
			return Request{}, fmt.Errorf("request %s: %w", req.ID(), err)
		}
		slog.WarnContext(ctx, "request stored without its mail: the address's mail budget is spent", "request", req.ID(), "subject", subject.Prefix(sk))
		return req, nil
	}
	if err != nil {
		return Request{}, fmt.Errorf("request %s: %w", req.ID(), err)
	}
	slog.InfoContext(ctx, "request received", "request", req.ID(), "type", req.Type, "subject", subject.Prefix(sk))
	return req, nil
}

// Verify opens a request whose link was followed and queues it. Verifying
// again answers the same due date; it queues the request again while it is
// unanswered (the first message may have been lost), and processing is
// idempotent.
func (s *Service) Verify(ctx context.Context, id string) (Request, error) {
	req, opened, err := s.store.Verify(ctx, id, s.now())
	if err != nil {
		return Request{}, err
	}
	if req.Status == Unverified {
		return Request{}, ErrNotFound
	}
	if opened {
		if err := s.audit(ctx, audit.Entry{Event: "request-verified", Ref: req.ID(), SubjectKey: req.SubjectKey}); err != nil {
			return Request{}, err
		}
	}
	if req.Status == Open {
		if err := s.queue.Send(ctx, sqsqueue.Message{Op: OpProcess, ID: req.ID()}); err != nil {
			return Request{}, fmt.Errorf("request %s: queue: %w", req.ID(), err)
		}
	}
	return req, nil
}

// audit writes one audit entry (no personal data).
func (s *Service) audit(ctx context.Context, e audit.Entry) error {
	put, err := audit.Put(s.recs, s.now(), e)
	if err != nil {
		return err
	}
	_, err = s.tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put}})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Event, err)
	}
	return nil
}

// send writes the mail job id (once: a retried step writes nothing twice)
// with an audit entry; the outbox's stream brings it to the mailer. The job is the person's (it carries
// their subject key) when it goes to them, and no one's when it goes to a
// recipient, staff or the DPO.
func (s *Service) send(ctx context.Context, req Request, jobID, to, tmpl string, params map[string]string, event string) error {
	owner := req.SubjectKey
	if to != req.Email {
		owner = ""
	}
	tmpl = s.mailTemplate(req, tmpl)
	job, err := mail.NewJob(s.now(), jobID, owner, to, tmpl, req.Lang, params)
	if err != nil {
		return err
	}
	jput, err := mail.Put(s.recs, job)
	if err != nil {
		return err
	}
	entry, err := audit.Put(s.recs, s.now(), audit.Entry{Event: event, Ref: req.ID(), SubjectKey: req.SubjectKey})
	if err != nil {
		return err
	}
	_, err = s.tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{jput, entry}})
	if codes := dynamo.CancelledBy(err); codes != nil && codes[0] == "ConditionalCheckFailed" {
		err = nil // written by an earlier delivery of this step
	}
	if err != nil {
		return fmt.Errorf("request %s mail %s: %w", req.ID(), tmpl, err)
	}
	return nil
}
