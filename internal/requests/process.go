package requests

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/token"
)

// Handle processes one message of the requests queue. Every step is done
// once per request, however often the message comes: the request records
// each step it has done, and a step's own writes are conditional.
func (s *Service) Handle(ctx context.Context, m sqsqueue.Message) error {
	if !ValidID(m.ID) {
		return fmt.Errorf("requests queue: id: %w", sqsqueue.ErrPermanent)
	}
	req, err := s.store.Get(ctx, m.ID)
	if errors.Is(err, ErrNotFound) {
		slog.WarnContext(ctx, "request gone before processing", "request", m.ID, "op", m.Op)
		return nil
	}
	if err != nil {
		return err
	}
	switch m.Op {
	case OpProcess:
		err = s.process(ctx, &req)
	case OpExtended:
		err = s.extensionNotice(ctx, &req)
	case OpLift:
		err = s.lift(ctx, &req)
	case OpRectify:
		err = s.rectify(ctx, &req)
	case OpResolved:
		err = s.resolvedNotice(ctx, &req)
	default:
		return fmt.Errorf("requests queue: op %q: %w", m.Op, sqsqueue.ErrPermanent)
	}
	if err != nil {
		return fmt.Errorf("request %s %s: %w", req.ID(), m.Op, err)
	}
	slog.InfoContext(ctx, "request step", "request", req.ID(), "op", m.Op, "type", req.Type, "status", req.Status)
	return nil
}

// step runs do unless the request has done step, then records it with the
// outcome do returns (no personal data).
func (s *Service) step(ctx context.Context, req *Request, step string, do func() (map[string]string, error)) error {
	if req.Steps[step] != "" {
		return nil
	}
	out, err := do()
	if err != nil {
		return fmt.Errorf("step %s: %w", step, err)
	}
	r, err := s.store.Done(ctx, req.ID(), step, s.now(), out)
	if err != nil {
		return err
	}
	*req = r
	return nil
}

func (s *Service) process(ctx context.Context, req *Request) error {
	if req.Status != Open {
		return nil // unverified (never queued), or answered already
	}
	switch req.Type {
	case Access:
		return s.access(ctx, req)
	case Erasure:
		return s.erase(ctx, req)
	case Restriction:
		return s.restrict(ctx, req)
	case Objection:
		return s.object(ctx, req)
	case Rectification:
		// A case for staff: they check the details and apply the correction
		// (staff requests rectify); the person is told it is being handled.
		return s.step(ctx, req, "acknowledged", func() (map[string]string, error) {
			return nil, s.send(ctx, *req, "request-received."+req.ID(), req.Email, "request-received",
				map[string]string{"id": req.ID(), "type": t(req.Lang, "type."+req.Type), "due": req.Due()}, "request-acknowledged")
		})
	}
	return fmt.Errorf("type %q: %w", req.Type, sqsqueue.ErrPermanent)
}

// self is the request being processed: every sweep over the subject's
// records leaves it alone.
func self(req *Request) func(table string, k recordstore.Key) bool {
	return func(table string, k recordstore.Key) bool { return table == "requests" && k.PK == req.PK }
}

func (s *Service) resolve(ctx context.Context, req *Request) error {
	r, err := s.store.Resolve(ctx, req.ID(), s.now())
	if err != nil && !errors.Is(err, ErrNotOpen) {
		return err
	}
	*req = r
	return s.audit(ctx, audit.Entry{Event: "request-resolved", Ref: req.ID(), SubjectKey: req.SubjectKey})
}

func (s *Service) access(ctx context.Context, req *Request) error {
	if err := s.step(ctx, req, "copy", func() (map[string]string, error) {
		// The copy leaves out what this request itself made: the request
		// (the person sent it), its own mails, its audit entries and its
		// mail-budget count; earlier requests and their traces are in it.
		holdings, err := CollectAll(ctx, s.reach, req.SubjectKey, func(table string, it map[string]types.AttributeValue) bool {
			pk := str(it, "pk")
			switch table {
			case "requests":
				return pk == req.PK
			case "mail":
				return strings.HasPrefix(pk, "MAIL#request-") && strings.HasSuffix(pk, "."+req.ID())
			case "audit":
				return str(it, "ref") == req.ID()
			}
			return str(it, "kind") == "mail-budget" && strings.HasPrefix(pk, "MAILBUDGET#"+budgetID+"#")
		})
		if err != nil {
			return nil, err
		}
		reg, err := s.registerOf(*req)
		if err != nil {
			return nil, err
		}
		cp, err := BuildCopy(reg, *req, holdings, s.now())
		if err != nil {
			return nil, err
		}
		for format, body := range map[string][]byte{"html": cp.HTML, "json": cp.JSON} {
			ctype := "text/html; charset=utf-8"
			if format == "json" {
				ctype = "application/json"
			}
			key := ExportKey(req.ID(), format)
			if err := s.exports.Put(ctx, key, ctype, body); err != nil {
				return nil, err
			}
			if err := s.store.AddExport(ctx, req.ID(), key); err != nil {
				return nil, err
			}
		}
		n := 0
		for _, h := range holdings {
			n += len(h.Items)
		}
		return map[string]string{"records": strconv.Itoa(n), "kinds": strconv.Itoa(len(holdings))}, nil
	}); err != nil {
		return err
	}
	if err := s.step(ctx, req, "delivered", func() (map[string]string, error) {
		keys, err := s.keys.Keys(ctx)
		if err != nil {
			return nil, err
		}
		expires := s.now().Add(linkValidity)
		tok := token.Sign(keys.Token, token.Claims{Purpose: token.Download, ID: req.ID(), Expires: expires.Unix()})
		to := req.Email
		if req.DeliverTo != "" {
			to = req.DeliverTo // staff hand the copy over at the service point
		}
		return nil, s.send(ctx, *req, "request-access."+req.ID(), to, "request-access", map[string]string{
			"id": req.ID(), "downloadURL": token.Link(s.baseURL, "/requests/download", tok, req.Lang),
			"expires": expires.Format(dateFormat),
		}, "request-access-delivered")
	}); err != nil {
		return err
	}
	return s.resolve(ctx, req)
}

// countLine is "name n, name n" in the declaration's order and lang, from
// the outcome entries with the prefix.
func countLine(regs []*register.Register, outcome map[string]string, prefix, lang string) string {
	var parts []string
	for _, reg := range regs {
		for _, k := range reg.Records {
			if v := outcome[prefix+k.Kind]; v != "" && v != "0" {
				parts = append(parts, kindName(k, lang)+" "+v)
			}
		}
	}
	return strings.Join(parts, ", ")
}

func (s *Service) extensionNotice(ctx context.Context, req *Request) error {
	if req.ExtendedTo == "" {
		return fmt.Errorf("not extended: %w", sqsqueue.ErrPermanent)
	}
	return s.step(ctx, req, "extension-notice", func() (map[string]string, error) {
		return nil, s.send(ctx, *req, "request-extended."+req.ID(), req.Email, "request-extended",
			map[string]string{"id": req.ID(), "due": req.ExtendedTo, "reason": req.ExtensionReason}, "request-extended")
	})
}

func (s *Service) resolvedNotice(ctx context.Context, req *Request) error {
	if req.Status != Resolved {
		return fmt.Errorf("not resolved: %w", sqsqueue.ErrPermanent)
	}
	return s.step(ctx, req, "resolved-notice", func() (map[string]string, error) {
		return nil, s.send(ctx, *req, "request-resolved."+req.ID(), req.Email, "request-resolved",
			map[string]string{"id": req.ID(), "type": t(req.Lang, "type."+req.Type)}, "request-resolved-notice")
	})
}
