package mailer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"rekisteri/internal/errlog"
	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sesmail"
)

// DefaultSendRate is the SES sends a process starts per second when
// MAIL_SEND_RATE is not set: the account's maximum send rate.
const DefaultSendRate = 14

// bucket is a token bucket: it lets a send start at rate per second, a
// burst of one, so a process never starts more than rate sends in a
// second. A caller takes a token at once, or reserves the next and sleeps
// until it is due; now and sleep are the clock (a test's own).
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

func newBucket(rate float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *bucket {
	return &bucket{rate: rate, burst: 1, tokens: 1, last: now(), now: now, sleep: sleep}
}

// wait takes a token, sleeping until one is due. A nil bucket does not pace.
func (b *bucket) wait(ctx context.Context) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	now := b.now()
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	b.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if err := b.sleep(ctx, d); err != nil {
		b.mu.Lock()
		b.tokens++ // not sent: the slot is someone else's
		b.mu.Unlock()
		return err
	}
	return nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errThrottled marks a send SES refused for the rate: the stream path
// waits and tries again instead of handing the job to the queue.
var errThrottled = errlog.New("SES throttled the send")

// throttleBackoff is how long the stream path waits before each new try of
// a throttled job (released meanwhile); after the last, the record fails.
var throttleBackoff = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

// throttled reports whether SES refused a send for the rate, by its API
// error code (the codes errlog logs).
func throttled(err error) bool {
	var tmr *types.TooManyRequestsException
	if errors.As(err, &tmr) {
		return true
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException":
		return true
	}
	return false
}

// tags are a job's SES message tags: its class, and the list it was sent
// to, which the bounce and complaint handler reads (mail.tags.list) to end
// the consent to that list.
func tags(job *claimedJob) []sesmail.Tag {
	t := []sesmail.Tag{{Name: "class", Value: job.Class}}
	if l := job.Params[rmail.ParamList]; l != "" {
		t = append(t, sesmail.Tag{Name: "list", Value: l})
	}
	return t
}
