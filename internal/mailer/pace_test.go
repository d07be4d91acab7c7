package mailer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sqsqueue"
)

// fakeClock is a clock whose sleeps move it on at once, recording them.
type fakeClock struct {
	t      time.Time
	slept  []time.Duration
	cancel bool
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	if c.cancel {
		return context.Canceled
	}
	c.t = c.t.Add(d)
	return nil
}

// TestBucketPaces: however fast the sends come, no second has more than
// the rate's starts in it; sends slower than the rate never wait.
func TestBucketPaces(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		rate     float64
		gap      time.Duration // between the senders' calls
		n        int
		maxInSec int
		noWaits  bool
	}{
		{"a burst at the default rate", DefaultSendRate, 0, 100, DefaultSendRate, false},
		{"a burst at 1 a second", 1, 0, 10, 1, false},
		{"sends every 10 ms at 14/s", DefaultSendRate, 10 * time.Millisecond, 100, DefaultSendRate, false},
		{"sends slower than the rate", DefaultSendRate, 100 * time.Millisecond, 50, 10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{t: start}
			b := newBucket(c.rate, clk.now, clk.sleep)
			var starts []time.Time
			for range c.n {
				if err := b.wait(context.Background()); err != nil {
					t.Fatal(err)
				}
				starts = append(starts, clk.t)
				clk.t = clk.t.Add(c.gap)
			}
			for i := range starts {
				in := 0
				for _, s := range starts[i:] {
					if s.Sub(starts[i]) < time.Second {
						in++
					}
				}
				if in > c.maxInSec {
					t.Fatalf("%d sends started in the second from %s", in, starts[i].Format("15:04:05.000"))
				}
			}
			if c.noWaits && len(clk.slept) != 0 {
				t.Errorf("waited %v", clk.slept)
			}
			if !c.noWaits && len(clk.slept) == 0 {
				t.Error("never waited")
			}
		})
	}
}

func TestBucketCancelledWaitGivesTheSlotBack(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	b := newBucket(10, clk.now, clk.sleep)
	if err := b.wait(context.Background()); err != nil || len(clk.slept) != 0 {
		t.Fatalf("the first send waits: %v %v", err, clk.slept)
	}
	clk.cancel = true
	if err := b.wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	clk.cancel = false
	_ = b.wait(context.Background())
	if got := clk.slept[len(clk.slept)-1]; got != 100*time.Millisecond {
		t.Errorf("the next send waits %v, want 100ms (the cancelled one's slot)", got)
	}
}

func TestThrottled(t *testing.T) {
	op := func(err error) error {
		return &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: err}
	}
	cases := []struct {
		err  error
		want bool
	}{
		{op(&sestypes.TooManyRequestsException{Message: new(string)}), true},
		{fmt.Errorf("ses send: %w", op(&smithy.GenericAPIError{Code: "Throttling"})), true},
		{op(&smithy.GenericAPIError{Code: "ThrottlingException"}), true},
		{op(&sestypes.LimitExceededException{}), true},
		{op(&smithy.GenericAPIError{Code: "MessageRejected"}), false},
		{op(&sestypes.AccountSuspendedException{}), false},
		{errors.New("Throttling"), false}, // the text is not the code
		{context.DeadlineExceeded, false},
	}
	for _, c := range cases {
		if got := throttled(c.err); got != c.want {
			t.Errorf("throttled(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestTags(t *testing.T) {
	cases := []struct {
		class  string
		params map[string]string
		want   string
	}{
		{rmail.Transactional, map[string]string{"reference": "KAMU-1"}, "[{class transactional}]"},
		{rmail.Marketing, map[string]string{rmail.ParamList: "openings"}, "[{class marketing} {list openings}]"},
		{rmail.Marketing, map[string]string{"lists": "Uutiskirje"}, "[{class marketing}]"},
	}
	for _, c := range cases {
		job := &claimedJob{Job: rmail.Job{Class: c.class, Params: c.params}}
		if got := fmt.Sprint(tags(job)); got != c.want {
			t.Errorf("tags %s, want %s", got, c.want)
		}
	}
}

// TestThrottling: SES throttling is waited out on the stream path, with the
// job released between tries, and then fails the record (the shard waits);
// it never goes to the mail queue. The queue path fails the message.
func TestThrottling(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	throttle := &sestypes.TooManyRequestsException{Message: new(string)}
	tries := func(t *testing.T, n int) []answer {
		var a []answer
		for range n {
			a = append(a, claimed(t), ok) // claimed, then released or marked
		}
		return a
	}
	cases := []struct {
		name       string
		queuePath  bool
		sesErrs    []error
		tries      int
		wantSent   int
		wantSlept  []time.Duration
		wantFailed bool
	}{
		{name: "stream: throttled twice, then sent", sesErrs: []error{throttle, throttle}, tries: 3, wantSent: 1,
			wantSlept: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}},
		{name: "stream: still throttled, the record fails", sesErrs: []error{throttle, throttle, throttle, throttle}, tries: 4,
			wantSlept: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}, wantFailed: true},
		{name: "queue: throttled, the message fails", queuePath: true, sesErrs: []error{throttle}, tries: 1, wantFailed: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := &scriptedDB{t: t, answers: tries(t, c.tries)}
			ses := &fakeSES{errs: c.sesErrs}
			q := &recordingQueue{}
			m := testMailer(t, db, ses, q)
			var slept []time.Duration
			m.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
			var failed bool
			if c.queuePath {
				resp := m.Queue(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"op":"send","id":"confirm.abc"}`}}})
				failed = len(resp.BatchItemFailures) > 0
			} else {
				failed = len(m.Stream(context.Background(), streamEvent(t)).BatchItemFailures) > 0
			}
			if failed != c.wantFailed || len(ses.sent) != c.wantSent {
				t.Errorf("failed %v, sent %d; want %v, %d", failed, len(ses.sent), c.wantFailed, c.wantSent)
			}
			if len(q.sent) != 0 {
				t.Errorf("handed to the queue: %v", q.sent)
			}
			if !slices.Equal(slept, c.wantSlept) {
				t.Errorf("waited %v, want %v", slept, c.wantSlept)
			}
			for i, call := range db.calls {
				if i%2 == 1 && i < len(db.calls)-1 && *call.UpdateExpression != "SET #status = :queued REMOVE leaseUntil" {
					t.Errorf("update %d %s: want the job released between tries", i, *call.UpdateExpression)
				}
			}
			if len(db.answers) != 0 {
				t.Errorf("%d scripted answers unused", len(db.answers))
			}
		})
	}
}

// TestSendsArePaced: the Mailer takes a token before each send.
func TestSendsArePaced(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	db := &scriptedDB{t: t}
	for range 3 {
		db.answers = append(db.answers, []answer{claimed(t), ok}...)
	}
	ses := &fakeSES{}
	m := testMailer(t, db, ses, nopQueue{})
	clk := &fakeClock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	m.pace = newBucket(2, clk.now, clk.sleep)
	for range 3 {
		if err := m.Handle(context.Background(), sqsqueue.Message{Op: OpSend, ID: "confirm.abc"}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(clk.slept, want) || len(ses.sent) != 3 {
		t.Errorf("waited %v before %d sends, want %v", clk.slept, len(ses.sent), want)
	}
}

func TestSendRate(t *testing.T) {
	cases := []struct {
		env  string
		want float64
		bad  bool
	}{{"", DefaultSendRate, false}, {"5", 5, false}, {"0.5", 0.5, false}, {"0", 0, true}, {"-3", 0, true}, {"many", 0, true}, {"NaN", 0, true}, {"Inf", 0, true}}
	for _, c := range cases {
		got, err := Config{MailSendRate: c.env}.sendRate()
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("MAIL_SEND_RATE=%q: %v, %v; want %v (bad %v)", c.env, got, err, c.want, c.bad)
		}
	}
}
