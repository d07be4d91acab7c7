package library

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/subject"
)

// The PIN lockout (issue 11: "a lockout after a declared number of failures
// per number"), on the patron's failedLogins and lockedUntil (library.yaml):
// the MaxFailedLogins-th wrong PIN in a row locks the number for
// LockoutPeriod. A right PIN resets the count; the lock does not grow while
// it lasts (attempts then are not counted), and once it has passed the
// number has MaxFailedLogins attempts again. The API throttle per client
// (template.yaml HttpApi DefaultRouteSettings) bounds how fast anyone can
// try numbers at all.
//
// The refusal is one answer (login.failed) whatever the cause — a wrong
// PIN, an unknown number, a locked number — and it states the rule to
// everyone, so a prober learns neither that a number exists nor that it is
// locked. Every refusal costs the same: one read, one argon2id check (of the
// patron's hash, or of dummyHash) and one conditional update, which for an
// unknown or locked number changes nothing.
const (
	MaxFailedLogins = 5
	LockoutPeriod   = 15 * time.Minute
)

// lockoutWords fills the numbers into the texts that state them.
var lockoutWords = strings.NewReplacer(
	"{max}", strconv.Itoa(MaxFailedLogins),
	"{minutes}", strconv.Itoa(int(LockoutPeriod/time.Minute)),
	"{session}", strconv.Itoa(int(SessionLifetime/time.Minute)),
)

// lockStamp is how the lockout's times are stored: UTC, whole seconds, fixed
// width, so stored values compare as strings in a condition.
func lockStamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// lockedAt reports whether p's number is locked at now.
func lockedAt(p *Patron, now time.Time) bool {
	if p == nil || p.LockedUntil == "" {
		return false
	}
	until, err := time.Parse(time.RFC3339, p.LockedUntil)
	return err == nil && now.Before(until)
}

// countFailure counts one refused login of number (p as read, nil when no
// patron has the number). The count is a conditional update that applies
// only to an existing, unlocked patron below the limit; when it does not
// apply to a patron who was unlocked, this failure reaches the limit and the
// number is locked. It reports whether this call locked the number.
func (s *Service) countFailure(ctx context.Context, number string, p *Patron, now time.Time) (bool, error) {
	nowS := lockStamp(now)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.tables.Patrons),
		Key:              dynamo.Key(PatronPK(number), SKPatron),
		UpdateExpression: aws.String("SET failedLogins = if_not_exists(failedLogins, :zero) + :one"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)" +
			" AND (attribute_not_exists(failedLogins) OR failedLogins < :last)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": lockN(0), ":one": lockN(1), ":last": lockN(MaxFailedLogins - 1), ":now": lockS(nowS),
		},
	})
	if err == nil || !dynamo.ConditionFailed(err) {
		return false, err
	}
	if p == nil || lockedAt(p, now) {
		return false, nil // no such number, or locked already: nothing counted
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.tables.Patrons),
		Key:                 dynamo.Key(PatronPK(number), SKPatron),
		UpdateExpression:    aws.String("SET lockedUntil = :until, failedLogins = :zero"),
		ConditionExpression: aws.String("attribute_exists(pk) AND failedLogins >= :last AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": lockN(0), ":last": lockN(MaxFailedLogins - 1), ":now": lockS(nowS), ":until": lockS(lockStamp(now.Add(LockoutPeriod))),
		},
	})
	switch {
	case dynamo.ConditionFailed(err):
		return false, nil // another attempt locked it, or the patron is gone
	case err != nil:
		return false, err
	}
	slog.WarnContext(ctx, "library: customer number locked after wrong PINs", "subject", subject.Prefix(p.SubjectKey),
		"failures", MaxFailedLogins, "minutes", int(LockoutPeriod/time.Minute))
	return true, nil
}

// errLockoutWrite is logged when a failure could not be counted; the answer
// is the same refusal.
var errLockoutWrite error = errlog.New("wrong PIN not counted")

// refuse counts a refused login and logs it without the number or the PIN.
func (s *Service) refuse(ctx context.Context, number string, p *Patron, now time.Time) {
	if _, err := s.countFailure(ctx, number, p, now); err != nil {
		slog.ErrorContext(ctx, "library: login refused", errlog.Attr(errors.Join(errLockoutWrite, err)))
		return
	}
	slog.InfoContext(ctx, "library: login refused")
}

func lockN(n int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }
func lockS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
