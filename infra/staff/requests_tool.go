package main

// The requests commands' work (requests.go): each subcommand run against one
// stack's requests table, queue and audit log, and the audit entry it logs.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/audit"
	"rekisteri/internal/helsinki"
	"rekisteri/internal/keyring"
	"rekisteri/internal/record"
	"rekisteri/internal/requests"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
)

// requestsTool is the requests table, its queue and the audit log of one stack.
type requestsTool struct {
	store  *requests.Store
	db     *dynamodb.Client
	recs   *record.Catalogue
	queue  *sqsqueue.Queue
	keys   *keyring.Ring // the subject key, read only by create
	now    func() time.Time
	stdout io.Writer
	// A library patron's request: the patrons table, and where the
	// identity code is read from (-hetu-stdin).
	patrons string
	stdin   io.Reader
}

func (t *requestsTool) run(ctx context.Context, c requestsCmd) error {
	switch c.sub {
	case "create":
		return t.create(ctx, c)
	case "list":
		return t.list(ctx)
	case "show":
		return t.show(ctx, c)
	}
	// The rest act on an existing request, then queue its id.
	var op, event, done string
	switch c.sub {
	case "extend":
		r, err := t.store.Extend(ctx, c.id, c.reason, t.now())
		if errors.Is(err, requests.ErrExtendTwice) { // the same again: queue the notice again (sent once)
			if got, gerr := t.store.Get(ctx, c.id); gerr == nil && got.ExtensionReason == c.reason {
				r, err = got, nil
			}
		}
		if err != nil {
			return fmt.Errorf("requests extend %s: %w", c.id, err)
		}
		op, event, done = requests.OpExtended, "request-extended", "extended to "+r.ExtendedTo+"; the person is mailed the reason"
	case "resolve":
		if _, err := t.store.Resolve(ctx, c.id, t.now()); err != nil {
			return fmt.Errorf("requests resolve %s: %w", c.id, err)
		}
		op, event, done = requests.OpResolved, "request-resolved", "resolved; the person is told"
	case "lift-restriction":
		r, err := t.store.Get(ctx, c.id)
		if err != nil {
			return fmt.Errorf("requests lift-restriction %s: %w", c.id, err)
		}
		if r.Type != requests.Restriction {
			return fmt.Errorf("requests lift-restriction %s: it is a request of type %s, not a restriction", c.id, r.Type)
		}
		op, event, done = requests.OpLift, "request-lift-asked", "the person is told first (GDPR Art. 18(3)), then the restriction is lifted"
	case "rectify":
		if err := t.store.SetCorrection(ctx, c.id, c.set); err != nil {
			return fmt.Errorf("requests rectify %s: %w", c.id, err)
		}
		names := strings.Join(slices.Sorted(maps.Keys(c.set)), ", ")
		op, event, done = requests.OpRectify, "request-correction", "correction of "+names+" stored; it is applied to every record of the person"
	}
	if err := t.audit(ctx, event, c.id, "", c.actor); err != nil {
		return err
	}
	if err := t.queue.Send(ctx, sqsqueue.Message{Op: op, ID: c.id}); err != nil {
		return fmt.Errorf("requests %s %s: done, but not queued (run the same command again): %w", c.sub, c.id, err)
	}
	fmt.Fprintf(t.stdout, "%s: %s\n", c.id, done)
	return nil
}

func (t *requestsTool) create(ctx context.Context, c requestsCmd) error {
	keys, err := t.keys.Keys(ctx)
	if err != nil {
		return fmt.Errorf("requests create: the subject key: %w", err)
	}
	// Stored as the web intake stores it: one spelling per mailbox.
	key, email := subject.EmailKey(keys.Subject, c.email), subject.NormalizeEmail(c.email)
	if c.register == "library" {
		if key, email, err = t.patron(ctx, c, keys.Subject); err != nil {
			return fmt.Errorf("requests create: %w", err)
		}
	}
	r := requests.New(t.now(), c.typ, key, email, c.details, c.lang, requests.Staff)
	r.Actor, r.Case, r.DeliverTo = c.actor, c.caseNo, c.deliver
	if c.register != "museum" {
		r.Register = c.register
	}
	if err := t.store.Create(ctx, r); err != nil {
		return fmt.Errorf("requests create: %w", err)
	}
	if err := t.audit(ctx, "request-received", r.ID(), r.SubjectKey, c.actor); err != nil {
		return err
	}
	if err := t.queue.Send(ctx, sqsqueue.Message{Op: requests.OpProcess, ID: r.ID()}); err != nil {
		return fmt.Errorf("requests create: request %s is stored but not queued: %w", r.ID(), err)
	}
	fmt.Fprintf(t.stdout, "request %s (%s) received; due %s\n", r.ID(), r.Type, r.DueOn)
	return nil
}

// list prints the open requests by due date, overdue first: no personal data.
func (t *requestsTool) list(ctx context.Context) error {
	open, err := t.store.Open(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(open, func(i, j int) bool { return open[i].Due() < open[j].Due() })
	now := t.now()
	overdue := 0
	fmt.Fprintf(t.stdout, "%-13s  %-13s  %-8s  %-10s  %-10s  %s\n", "id", "type", "channel", "received", "due", "days left")
	for _, s := range open {
		left := "?"
		if due, err := time.Parse(time.DateOnly, s.Due()); err == nil {
			n := requests.DaysLeft(due, now)
			left = fmt.Sprint(n)
			if n < 0 {
				left += " OVERDUE"
				overdue++
			}
		}
		if s.ExtendedTo != "" {
			left += " (extended)"
		}
		fmt.Fprintf(t.stdout, "%-13s  %-13s  %-8s  %-10s  %-10s  %s\n", s.ID, s.Type, s.Channel, day(s.ReceivedAt), s.Due(), left)
	}
	fmt.Fprintf(t.stdout, "%d open, %d overdue\n", len(open), overdue)
	return nil
}

// show prints every field of a request, its correction, steps and outcome,
// and logs that staff saw them.
func (t *requestsTool) show(ctx context.Context, c requestsCmd) error {
	r, err := t.store.Get(ctx, c.id)
	if err != nil {
		return fmt.Errorf("requests show %s: %w", c.id, err)
	}
	if err := t.audit(ctx, "request-shown", c.id, r.SubjectKey, c.actor); err != nil {
		return err
	}
	due := r.Due()
	if d, err := time.Parse(time.DateOnly, due); err == nil && r.Status == requests.Open {
		if n := requests.DaysLeft(d, t.now()); n < 0 {
			due += fmt.Sprintf(" (OVERDUE by %d days)", -n)
		} else {
			due += fmt.Sprintf(" (%d days left)", n)
		}
	}
	for _, row := range [][2]string{
		{"id", r.ID()}, {"type", r.Type}, {"status", r.Status}, {"channel", r.Channel}, {"register", r.Register},
		{"email", r.Email}, {"lang", r.Lang}, {"subject key", subject.Prefix(r.SubjectKey) + "…"},
		{"received by", r.Actor}, {"case", r.Case}, {"deliver to", r.DeliverTo},
		{"received", r.ReceivedAt}, {"verified", r.VerifiedAt}, {"due", r.DueOn},
		{"extended to", r.ExtendedTo}, {"extended at", r.ExtendedAt}, {"extension reason", r.ExtensionReason},
		{"due now", due}, {"resolved", r.ResolvedAt}, {"restricted", r.RestrictedAt},
		{"exports", strings.Join(r.Exports, ", ")}, {"recipients told", strings.Join(r.RecipientsTold, ", ")},
		{"details", r.Details},
	} {
		if row[1] != "" {
			fmt.Fprintf(t.stdout, "%-17s %s\n", row[0]+":", printable(row[1]))
		}
	}
	for _, m := range []struct {
		name string
		m    map[string]string
	}{{"correction", r.Correction}, {"steps", r.Steps}, {"outcome", r.Outcome}} {
		if len(m.m) == 0 {
			fmt.Fprintf(t.stdout, "%-17s (none)\n", m.name+":")
			continue
		}
		fmt.Fprintf(t.stdout, "%s:\n", m.name)
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			fmt.Fprintf(t.stdout, "  %-15s %s\n", printable(k), printable(m.m[k]))
		}
	}
	return nil
}

// audit logs a staff action on request id under actor, without personal
// data beyond the subject key's prefix.
func (t *requestsTool) audit(ctx context.Context, event, id, subjectKey, actor string) error {
	e := audit.Entry{Event: event, Ref: id, Actor: actor}
	if subjectKey != "" {
		e.SubjectPrefix = subject.Prefix(subjectKey)
	}
	it, err := audit.Put(t.recs, t.now(), e)
	if err != nil {
		return err
	}
	if _, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: it.Put.TableName, Item: it.Put.Item}); err != nil {
		return fmt.Errorf("requests %s: the audit entry: %w", id, err)
	}
	return nil
}

// day is an RFC 3339 time's date in Finland.
func day(stamp string) string {
	t, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return stamp
	}
	return helsinki.Today(t).Format(time.DateOnly)
}

// printable keeps what a person typed from steering staff's terminal:
// control characters (escape sequences) show as U+FFFD, tabs as spaces, a
// new line continues indented.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r) && r != '\n':
			return utf8.RuneError
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", 18))
}
