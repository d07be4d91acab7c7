package requests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
)

// Restrict flags every record of the subject in every declared table as
// restricted (GDPR Art. 18) at now, for reason (the request's id): the
// mailer, the sweep and the booking reminders leave them alone until Lift.
// A record already restricted keeps its restriction, time and reason: on a
// retry this request's own, or an Art. 17(3) exception's, which lifting
// this request must not lift. It returns, per kind, the subject's records
// restricted after the call (for reason or an earlier one), so a retry
// answers the same. One conditional write per record, no reads.
func (e *Eraser) Restrict(ctx context.Context, subjectKey, reason string, now time.Time, skip Skip) (map[string]int, error) {
	if subjectKey == "" || reason == "" {
		return nil, errors.New("requests: restriction without a subject key or a reason")
	}
	out := map[string]int{}
	err := e.tables(func(st *recordstore.Store, _ *register.Register, table string) error {
		keys, err := st.BySubject(ctx, table, subjectKey)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if skip != nil && skip(table, k) {
				continue
			}
			f, err := st.RestrictOnce(ctx, table, k, now, reason)
			if errors.Is(err, recordstore.ErrGone) {
				continue // deleted meanwhile (by its rule): nothing to restrict
			}
			if err != nil {
				return fmt.Errorf("requests: restriction %s: %w", reason, err)
			}
			out[f.Kind]++
		}
		return nil
	})
	return out, err
}

// Lift ends the restrictions of the subject's records that are restricted
// for reason (the request's id), in every declared table, and only those: a
// record kept restricted under an Art. 17(3) exception, or restricted for
// another request, stays restricted. A lifted record with an expiry goes
// back where the sweep will see it (recordstore.LiftFor). It returns, per
// kind, the records this call lifted; lifting again lifts nothing. Telling
// the person first (Art. 18(3)) is the caller's step.
func (e *Eraser) Lift(ctx context.Context, subjectKey, reason string, now time.Time) (map[string]int, error) {
	if subjectKey == "" || reason == "" {
		return nil, errors.New("requests: lifting without a subject key or a reason")
	}
	out := map[string]int{}
	err := e.tables(func(st *recordstore.Store, _ *register.Register, table string) error {
		keys, err := st.BySubject(ctx, table, subjectKey)
		if err != nil || len(keys) == 0 {
			return err
		}
		// bySubject projects keys only: read what each is restricted for
		// and its expiry, then write only those restricted for reason.
		held, err := st.Held(ctx, table, keys)
		if err != nil {
			return err
		}
		for _, h := range held {
			if !h.Restricted || h.RestrictedFor != reason {
				continue
			}
			lifted, err := st.LiftFor(ctx, table, h.Key, now, reason)
			if err != nil {
				return fmt.Errorf("requests: lifting %s: %w", reason, err)
			}
			if lifted {
				out[h.Kind]++
			}
		}
		return nil
	})
	return out, err
}
