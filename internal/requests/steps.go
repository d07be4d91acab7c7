package requests

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"rekisteri/internal/audit"
	"rekisteri/internal/register"
)

// The workflows of erasure, restriction and its lifting, objection and
// rectification: each a few recorded steps over the Eraser, which does the
// work on the records through the seam.

func (s *Service) eraser() *Eraser { return NewEraser(s.records, s.exports, s.reach[1:]...) }

func (s *Service) erase(ctx context.Context, req *Request) error {
	// The inventory first: the receipt counts from it, so a retry after a
	// crash half-way counts each record once.
	if err := s.step(ctx, req, "inventory", func() (map[string]string, error) {
		inv, err := s.eraser().Inventory(ctx, req.SubjectKey, self(req))
		if err != nil {
			return nil, err
		}
		out := map[string]string{"exceptions": strings.Join(inv.Exceptions, ",")}
		for kind, n := range inv.Delete {
			out["deleted."+kind] = strconv.Itoa(n)
		}
		for kind, n := range inv.Keep {
			out["kept."+kind] = strconv.Itoa(n)
		}
		return out, nil
	}); err != nil {
		return err
	}
	if err := s.step(ctx, req, "erased", func() (map[string]string, error) {
		exports, err := s.exportsOf(ctx, req)
		if err != nil {
			return nil, err
		}
		_, err = s.eraser().Erase(ctx, req.SubjectKey, req.ID(), s.now(), self(req), exports)
		return nil, err
	}); err != nil {
		return err
	}
	if err := s.receipt(ctx, req); err != nil {
		return err
	}
	if err := s.tellRecipients(ctx, req, "erased", outcomeKinds(req.Outcome, "deleted.", "kept.")); err != nil {
		return err
	}
	if err := s.step(ctx, req, "replied", func() (map[string]string, error) {
		kept := s.keptText(req)
		if s.mailTemplate(*req, "request-erasure") != "request-erasure" && kept != "" {
			kept = keptParagraph(req.Lang, kept) // the register's own template has no {{if}}
		}
		return nil, s.send(ctx, *req, "request-erasure."+req.ID(), req.Email, "request-erasure", map[string]string{
			"id": req.ID(), "deleted": countLine(s.registers(), req.Outcome, "deleted.", req.Lang), "kept": kept,
		}, "request-erasure-replied")
	}); err != nil {
		return err
	}
	return s.resolve(ctx, req)
}

// exportsOf is every access copy made for the subject: their keys are on
// the subject's requests (found by subject, never listed from the bucket).
func (s *Service) exportsOf(ctx context.Context, req *Request) ([]string, error) {
	keys, err := s.records.BySubject(ctx, "requests", req.SubjectKey)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(req.Exports)
	for _, k := range keys {
		if k.PK == req.PK {
			continue
		}
		r, err := s.store.Get(ctx, strings.TrimPrefix(k.PK, "REQUEST#"))
		if err != nil {
			return nil, err
		}
		out = append(out, r.Exports...)
	}
	return out, nil
}

// keptText says, in the request's language, which records are kept and on
// which Art. 17(3) ground; empty when nothing is kept.
func (s *Service) keptText(req *Request) string {
	var lines []string
	for _, reg := range s.registers() { // each register's exceptions, in its own words
		for _, id := range strings.Split(req.Outcome["exceptions"], ",") {
			e, ok := reg.Exception(id)
			if !ok {
				continue
			}
			var kinds []string
			for _, k := range reg.Records {
				if k.Erasure.Exception == id && req.Outcome["kept."+k.Kind] != "" && req.Outcome["kept."+k.Kind] != "0" {
					kinds = append(kinds, kindName(k, req.Lang)+" "+req.Outcome["kept."+k.Kind])
				}
			}
			if len(kinds) > 0 {
				lines = append(lines, fmt.Sprintf("%s (GDPR %s): %s", strings.Join(kinds, ", "), e.Article, e.Text.In(req.Lang)))
			}
		}
	}
	return strings.Join(lines, "\n")
}

// outcomeKinds are the record kinds the outcome counts under any prefix.
func outcomeKinds(outcome map[string]string, prefixes ...string) []string {
	seen := map[string]bool{}
	for k, v := range outcome {
		for _, p := range prefixes {
			if kind, ok := strings.CutPrefix(k, p); ok && v != "0" {
				seen[kind] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// receipt writes the request's receipt to the audit table: its id, type,
// counts per record kind and exceptions — no personal data.
func (s *Service) receipt(ctx context.Context, req *Request) error {
	return s.step(ctx, req, "receipt", func() (map[string]string, error) {
		counts := map[string]string{}
		for k, v := range req.Outcome {
			if k != "exceptions" {
				counts[k] = v
			}
		}
		return nil, s.putReceipt(ctx, req, counts, req.Outcome["exceptions"])
	})
}

// tellRecipients lists, on the request, the recipients declared for the
// purposes of the kinds changed, and mails those with an address (Art. 19).
func (s *Service) tellRecipients(ctx context.Context, req *Request, change string, kinds []string) error {
	return s.step(ctx, req, "recipients", func() (map[string]string, error) {
		told := recipientsOf(s.registers(), kinds)
		for _, r := range told {
			if r.recipient.Email == "" {
				continue
			}
			if err := s.send(ctx, *req, "request-recipient."+req.ID()+"."+r.recipient.ID, r.recipient.Email, "request-recipient",
				map[string]string{"id": req.ID(), "change": change, "purpose": r.purpose}, "request-recipient-told"); err != nil {
				return nil, err
			}
		}
		ids := make([]string, 0, len(told))
		for _, r := range told {
			ids = append(ids, r.recipient.ID)
		}
		if err := s.store.Told(ctx, req.ID(), ids); err != nil {
			return nil, err
		}
		return map[string]string{"recipients": strings.Join(ids, ",")}, nil
	})
}

type told struct {
	recipient register.Recipient
	purpose   string // the purposes' names, in Finnish (the recipient's language)
}

// recipientsOf are the recipients of their own (not processors, who act for
// the controller) declared for the purposes of kinds, register by register.
func recipientsOf(regs []*register.Register, kinds []string) []told {
	var out []told
	for _, reg := range regs {
		out = append(out, recipientsIn(reg, kinds)...)
	}
	return out
}

func recipientsIn(reg *register.Register, kinds []string) []told {
	purposes := map[string][]string{}
	for _, kind := range kinds {
		k, ok := reg.Record(kind)
		if !ok {
			continue
		}
		for _, pid := range k.Purposes {
			p, _ := reg.Purpose(pid)
			for _, rid := range p.Recipients {
				if !slices.Contains(purposes[rid], p.Name.In("fi")) {
					purposes[rid] = append(purposes[rid], p.Name.In("fi"))
				}
			}
		}
	}
	var out []told
	for _, r := range reg.Recipients {
		if ps, ok := purposes[r.ID]; ok && r.Role == "recipient" {
			out = append(out, told{recipient: r, purpose: strings.Join(ps, ", ")})
		}
	}
	return out
}

func (s *Service) restrict(ctx context.Context, req *Request) error {
	if err := s.step(ctx, req, "restricted", func() (map[string]string, error) {
		counts, err := s.eraser().Restrict(ctx, req.SubjectKey, req.ID(), s.now(), self(req))
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for kind, n := range counts {
			out["restricted."+kind] = strconv.Itoa(n)
		}
		return out, nil
	}); err != nil {
		return err
	}
	if err := s.receipt(ctx, req); err != nil {
		return err
	}
	if err := s.tellRecipients(ctx, req, "restricted", outcomeKinds(req.Outcome, "restricted.")); err != nil {
		return err
	}
	if err := s.step(ctx, req, "replied", func() (map[string]string, error) {
		return nil, s.send(ctx, *req, "request-restriction."+req.ID(), req.Email, "request-restriction",
			map[string]string{"id": req.ID()}, "request-restriction-replied")
	}); err != nil {
		return err
	}
	// Answered; the restriction itself lasts until staff lift it.
	return s.resolve(ctx, req)
}

// lift ends a restriction: the person is told first (Art. 18(3)), then the
// records this request restricted are lifted; restrictions under an
// Art. 17(3) exception stay.
func (s *Service) lift(ctx context.Context, req *Request) error {
	if req.Type != Restriction || req.Steps["restricted"] == "" {
		return fmt.Errorf("not a restriction in force")
	}
	if err := s.step(ctx, req, "lift-notice", func() (map[string]string, error) {
		return nil, s.send(ctx, *req, "request-lift."+req.ID(), req.Email, "request-lift", map[string]string{"id": req.ID()}, "request-lift-notice")
	}); err != nil {
		return err
	}
	return s.step(ctx, req, "lifted", func() (map[string]string, error) {
		counts, err := s.eraser().Lift(ctx, req.SubjectKey, req.ID(), s.now())
		if err != nil {
			return nil, err
		}
		n := 0
		for _, c := range counts {
			n += c
		}
		return map[string]string{"lifted": strconv.Itoa(n)}, s.audit(ctx, audit.Entry{Event: "restriction-lifted", Ref: req.ID(), SubjectKey: req.SubjectKey})
	})
}
