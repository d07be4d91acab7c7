package mailer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	rmail "rekisteri/internal/mail"
	"rekisteri/internal/sesmail"
	"rekisteri/internal/sqsqueue"
)

// scriptedDB answers UpdateItem calls in order from a script, recording them.
type scriptedDB struct {
	t       *testing.T
	answers []func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	calls   []*dynamodb.UpdateItemInput
	// The campaigns table: items by pk, and the transactions' answers.
	items     map[string]map[string]types.AttributeValue
	getErr    error
	gets      []*dynamodb.GetItemInput
	txAnswers []error
	txs       []*dynamodb.TransactWriteItemsInput
}

func (d *scriptedDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.calls = append(d.calls, in)
	if len(d.answers) == 0 {
		d.t.Fatalf("unexpected UpdateItem #%d: %s", len(d.calls), aws.ToString(in.UpdateExpression))
	}
	a := d.answers[0]
	d.answers = d.answers[1:]
	return a(in)
}

func (d *scriptedDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}

// GetItem answers from items (nil: no such item), recording the calls.
func (d *scriptedDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.gets = append(d.gets, in)
	if d.getErr != nil {
		return nil, d.getErr
	}
	pk := in.Key["pk"].(*types.AttributeValueMemberS).Value
	return &dynamodb.GetItemOutput{Item: d.items[pk]}, nil
}

// TransactWriteItems answers from its own script, recording the calls.
func (d *scriptedDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.txs = append(d.txs, in)
	if len(d.txAnswers) == 0 {
		d.t.Fatalf("unexpected TransactWriteItems #%d", len(d.txs))
	}
	err := d.txAnswers[0]
	d.txAnswers = d.txAnswers[1:]
	if err != nil {
		return nil, err
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

type fakeSES struct {
	sent []string
	raw  [][]byte
	tags [][]sesmail.Tag
	err  error
	errs []error // the first sends' errors, one each, before err
}

func (f *fakeSES) SendRaw(_ context.Context, from, to, set string, raw []byte, tags ...sesmail.Tag) (string, error) {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return "", err
		}
	} else if f.err != nil {
		return "", f.err
	}
	f.sent = append(f.sent, to+"|"+set)
	f.raw = append(f.raw, raw)
	f.tags = append(f.tags, tags)
	return "ses-1", nil
}

type nopQueue struct{}

func (nopQueue) Send(context.Context, sqsqueue.Message) error { return nil }

func job(t *testing.T, status string) map[string]types.AttributeValue {
	t.Helper()
	j, err := rmail.NewJob(time.Now(), "confirm.abc", "sk", "anna@example.com", "newsletter-confirm", "fi", map[string]string{
		"lists": "Uutiskirje", "confirmURL": "https://x/c", "unsubscribeURL": "https://x/u", "privacyURL": "https://x/p",
	})
	if err != nil {
		t.Fatal(err)
	}
	j.Status = status
	av, _ := attributevalue.MarshalMap(j)
	return av
}

// restrictedWelcome is a claimed marketing job carrying the restriction flag.
func restrictedWelcome(t *testing.T) func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		j, err := rmail.NewJob(time.Now(), "confirm.abc", "sk", "anna@example.com", "newsletter-welcome", "fi", map[string]string{
			"lists": "Uutiskirje", "unsubscribeURL": "https://x/u", "privacyURL": "https://x/p",
		})
		if err != nil {
			t.Fatal(err)
		}
		j.Status = rmail.Sending
		av, _ := attributevalue.MarshalMap(j)
		av["restrictedAt"] = &types.AttributeValueMemberS{Value: "2026-12-01T10:00:00Z"}
		return &dynamodb.UpdateItemOutput{Attributes: av}, nil
	}
}

func claimed(t *testing.T) func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		return &dynamodb.UpdateItemOutput{Attributes: job(t, rmail.Sending)}, nil
	}
}

func refused(item map[string]types.AttributeValue) func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		return nil, &types.ConditionalCheckFailedException{Item: item}
	}
}

func ok(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}

func failing(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("dynamodb unavailable")
}

func TestHandle(t *testing.T) {
	type answer = func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	cases := []struct {
		name     string
		script   func(t *testing.T) []answer
		sesErr   error
		wantErr  bool
		wantSent int
		wantLast string // the last update's expression, to see what was written
	}{
		{"sends and marks sent", func(t *testing.T) []answer { return []answer{claimed(t), ok} }, nil, false, 1, "SET #status = :sent"},
		{"already sent: nothing", func(t *testing.T) []answer { return []answer{refused(job(t, rmail.Sent))} }, nil, false, 0, "SET #status = :sending"},
		{"erased meanwhile: nothing", func(t *testing.T) []answer { return []answer{refused(nil)} }, nil, false, 0, "SET #status = :sending"},
		{"leased by another delivery: retry later", func(t *testing.T) []answer { return []answer{refused(job(t, rmail.Sending))} }, nil, true, 0, "SET #status = :sending"},
		{"SES fails: lease released, retried", func(t *testing.T) []answer { return []answer{claimed(t), ok} }, errors.New("throttled"), true, 0, "SET #status = :queued"},
		{"marking fails once: retried, not resent", func(t *testing.T) []answer { return []answer{claimed(t), failing, ok} }, nil, false, 1, "SET #status = :sent"},
		{"restricted marketing: withheld, done", func(t *testing.T) []answer { return []answer{restrictedWelcome(t), ok} }, nil, false, 0, "SET #status = :withheld"},
		{"restricted marketing, marking fails: retried", func(t *testing.T) []answer { return []answer{restrictedWelcome(t), failing} }, nil, true, 0, "SET #status = :withheld"},
		{"already withheld: nothing", func(t *testing.T) []answer {
			item := job(t, Withheld)
			return []answer{refused(item)}
		}, nil, false, 0, "SET #status = :sending"},
		{"marking keeps failing: logged, message done", func(t *testing.T) []answer {
			return []answer{claimed(t), failing, failing, failing, failing}
		}, nil, false, 1, "SET #status = :sent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := &scriptedDB{t: t, answers: c.script(t)}
			ses := &fakeSES{err: c.sesErr}
			m, err := New(db, ses, nopQueue{}, "mail", "KAMU <noreply@museo.example.fi>", ConfigurationSets{rmail.Transactional: "tx", rmail.Marketing: "mk"})
			if err != nil {
				t.Fatal(err)
			}
			err = m.Handle(context.Background(), sqsqueue.Message{Op: OpSend, ID: "confirm.abc"})
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if len(ses.sent) != c.wantSent {
				t.Fatalf("sent %d mails, want %d", len(ses.sent), c.wantSent)
			}
			if c.wantSent == 1 && ses.sent[0] != "anna@example.com|tx" {
				t.Errorf("confirmation mail goes through the transactional set: %s", ses.sent[0])
			}
			last := aws.ToString(db.calls[len(db.calls)-1].UpdateExpression)
			if !strings.HasPrefix(last, c.wantLast) {
				t.Errorf("last update %q, want it to start %q", last, c.wantLast)
			}
			if len(db.answers) != 0 {
				t.Errorf("%d scripted answers unused", len(db.answers))
			}
		})
	}
}

func TestHandleRefusesOtherOps(t *testing.T) {
	m, _ := New(&scriptedDB{t: t}, &fakeSES{}, nopQueue{}, "mail", "noreply@museo.example.fi", nil)
	if err := m.Handle(context.Background(), sqsqueue.Message{Op: "delete", ID: "x"}); !errors.Is(err, sqsqueue.ErrPermanent) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	if _, err := New(nil, nil, nil, "mail", "not an address", nil); err == nil {
		t.Fatal("a bad From must stop the start")
	}
}
