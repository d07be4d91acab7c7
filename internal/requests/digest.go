package requests

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"rekisteri/internal/helsinki"
)

// soon is how many days ahead the DPO's digest looks.
const soon = 7

// Digest mails the data protection officer the open requests due within
// seven days and those overdue — ids, types and days left, no personal data
// — and logs the overdue count as a CloudWatch metric (embedded metric
// format), which an alarm watches. A day with nothing due mails nothing.
func (s *Service) Digest(ctx context.Context) error {
	open, err := s.store.Open(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	var lines []string
	overdue, dueSoon := 0, 0
	for _, r := range open {
		due, err := parseDate(r.Due())
		if err != nil {
			return fmt.Errorf("request %s: due %w", r.ID, err)
		}
		left := DaysLeft(due, now)
		switch {
		case left < 0:
			overdue++
		case left <= soon:
			dueSoon++
		default:
			continue
		}
		lines = append(lines, DigestLine(r, left))
	}
	metric(ctx, s.reg.ID, now, overdue)
	if len(lines) == 0 {
		return nil
	}
	today := helsinki.Today(now).Format(dateFormat)
	dpo := Request{PK: requestPK("dpo"), Lang: "fi"} // the digest is the register's, no one's request
	return s.send(ctx, dpo, "dpo-digest."+s.reg.ID+"."+today, s.reg.DPO.Email, "request-dpo-digest", map[string]string{
		"date": today, "due": strconv.Itoa(dueSoon), "overdue": strconv.Itoa(overdue), "lines": strings.Join(lines, "\n"),
	}, "request-digest")
}

// DigestLine is one open request as the digest and `staff requests list`
// show it.
func DigestLine(r Summary, left int) string {
	state := fmt.Sprintf("%d days left", left)
	if left < 0 {
		state = fmt.Sprintf("OVERDUE by %d days", -left)
	}
	ext := ""
	if r.ExtendedTo != "" {
		ext = " (extended)"
	}
	return fmt.Sprintf("%s  %-13s due %s%s  %s", r.ID, r.Type, r.Due(), ext, state)
}

// metric logs the number of overdue requests in CloudWatch's embedded
// metric format: Lambda's log line becomes the metric rekisteri/OverdueRequests.
func metric(ctx context.Context, register string, now time.Time, overdue int) {
	slog.InfoContext(ctx, "requests digest",
		"_aws", map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace": "rekisteri", "Dimensions": [][]string{{"Register"}},
				"Metrics": []map[string]string{{"Name": "OverdueRequests", "Unit": "Count"}},
			}},
		},
		"Register", register, "OverdueRequests", overdue)
}
