package main

// The AWS calls per operation (operations.go): a signup and its confirm,
// survey submissions, booking requests and a staff decision, synchronous and
// asynchronous calls counted apart.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"rekisteri/internal/helsinki"
)

// signupAndConfirm counts the AWS calls of one signup and one confirm,
// synchronous (inside the HTTP request) and asynchronous (the mailer).
func (b *bench) signupAndConfirm(ctx context.Context, rep *opsReport) error {
	progress("measuring a signup and a confirm")
	// Warm-up: the first call of a process reads the secrets.
	if err := b.mustSignup(ctx, b.address()); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}

	addr := b.address()
	b.rec.Reset()
	if err := b.mustSignup(ctx, addr); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "signup (sync, in the HTTP request)", Goal: signupGoal, Counts: b.rec.Snapshot()})
	b.rec.Reset()
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "signup → mailer (async)", Counts: b.rec.Snapshot()})

	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return err
	}
	b.rec.Reset()
	if code, body := b.post(ctx, "/newsletter/confirm", map[string]any{"token": tok, "lang": "en"}); code != http.StatusOK {
		return fmt.Errorf("confirm answered %d: %s", code, body)
	}
	rep.Ops = append(rep.Ops, opResult{Name: "confirm (sync, in the HTTP request)", Counts: b.rec.Snapshot()})
	b.rec.Reset()
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	rep.Ops = append(rep.Ops, opResult{Name: "confirm → mailer (async)", Counts: b.rec.Snapshot()})
	return nil
}

// feedback counts the AWS calls of survey submissions: anonymous, with a
// reply wanted, and with a newsletter consent.
func (b *bench) feedback(ctx context.Context, rep *opsReport) error {
	progress("measuring feedback submissions")
	today := time.Now().UTC().Format("2006-01-02")
	// Warm-up: the first consent of a process reads the subject key.
	if code, body := b.post(ctx, "/feedback", map[string]any{"visit_date": today, "contact_me": true, "email": b.address()}); code != http.StatusAccepted {
		return fmt.Errorf("feedback warm-up answered %d: %s", code, body)
	}
	for _, c := range []struct {
		name string
		body map[string]any
	}{
		{"feedback, anonymous (sync)", map[string]any{"visit_date": today, "visit_reason": "exhibition", "age_group": "30-44", "feedback": "Hyvä näyttely"}},
		{"feedback, reply wanted (sync)", map[string]any{"visit_date": today, "feedback": "Vastatkaa", "contact_me": true, "email": b.address()}},
		{"feedback, newsletter consent (sync)", map[string]any{"visit_date": today, "newsletter_consent": true, "email": b.address()}},
	} {
		b.rec.Reset()
		if code, body := b.post(ctx, "/feedback", c.body); code != http.StatusAccepted {
			return fmt.Errorf("%s answered %d: %s", c.name, code, body)
		}
		rep.Ops = append(rep.Ops, opResult{Name: c.name, Goal: signupGoal, Counts: b.rec.Snapshot()})
	}
	return b.stack.Drain(ctx)
}

// bookings counts the AWS calls of booking requests (paid by card, and by
// invoice with an identity code to seal) and of a staff decision.
func (b *bench) bookings(ctx context.Context, rep *opsReport) error {
	progress("measuring bookings")
	day := helsinki.Today(time.Now()).AddDate(0, 0, 20).Format("2006-01-02")
	form := func(addr string, invoice bool) map[string]any {
		f := map[string]any{"resource": "guide", "date": day, "start": "10:00", "end": "11:00", "participants": 5,
			"first_name": "Bench", "last_name": "Mark", "email": addr, "payment": "card"}
		if invoice {
			f["payment"], f["street"], f["postcode"], f["city"], f["hetu"] = "invoice", "Tie 1", "02100", "Espoo", "010594Y9032"
		}
		return f
	}
	// Warm-up: the first request of a process reads the secrets.
	if code, body := b.post(ctx, "/bookings", form(b.address(), false)); code != http.StatusAccepted {
		return fmt.Errorf("booking warm-up answered %d: %s", code, body)
	}
	var ref string
	for _, c := range []struct {
		name    string
		invoice bool
		goal    int
	}{{"booking request, card (sync)", false, signupGoal}, {"booking request, invoice + identity code (sync)", true, signupGoal + 1}} {
		b.rec.Reset()
		code, body := b.post(ctx, "/bookings", form(b.address(), c.invoice))
		if code != http.StatusAccepted {
			return fmt.Errorf("%s answered %d: %s", c.name, code, body)
		}
		rep.Ops = append(rep.Ops, opResult{Name: c.name, Goal: c.goal, Counts: b.rec.Snapshot()})
		var out struct{ Reference string }
		_ = json.Unmarshal([]byte(body), &out)
		ref = out.Reference
	}
	if err := b.stack.Drain(ctx); err != nil {
		return err
	}
	mails, err := b.stack.SentMail(ctx)
	if err != nil {
		return err
	}
	var tok string
	for _, m := range mails {
		if strings.Contains(m.Parsed.Subject, ref) {
			for _, l := range m.Links() {
				if u, err := url.Parse(l); err == nil && u.Path == "/bookings/decision" {
					tok = u.Query().Get("token")
				}
			}
		}
	}
	if tok == "" {
		return fmt.Errorf("no staff decision link for %s", ref)
	}
	b.rec.Reset()
	if code, body := b.post(ctx, "/bookings/decision", map[string]any{"token": tok, "action": "accept"}); code != http.StatusOK {
		return fmt.Errorf("accept answered %d: %s", code, body)
	}
	rep.Ops = append(rep.Ops, opResult{Name: "booking decision, accept (sync)", Counts: b.rec.Snapshot()})
	return b.stack.Drain(ctx)
}
