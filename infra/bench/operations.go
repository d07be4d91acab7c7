package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"rekisteri/infra/awsprobe"
	"rekisteri/infra/local"
)

// signupGoal is DESIGN §5's limit on synchronous AWS calls of a signup.
const signupGoal = 2

// opResult is the AWS calls of one operation.
type opResult struct {
	Name   string
	Goal   int // 0: no goal, shown for information
	Counts awsprobe.Counts
}

// dupResult is one duplicate-delivery run.
type dupResult struct {
	Name                       string
	Subjects, Duplicated, Sent int
	Extra, Missing             int
}

// faultResult is the faults run.
type faultResult struct {
	N, Accepted, Fired                    int
	Sent, OK, Lost, Duplicates, Refused   int
	UnsentLostMsg, UnsentLeased, UnsentRe int // durable, unsent: message lost (attempts 0), lease held, received and failed
	UnsentBeforeHeal, InDLQBeforeHeal     int // accepted, unsent jobs and DLQ depth right after the faulty drain
	Aged, Requeued                        int // jobs made 10 min older; messages the relay sent
	RedrivenFromDLQ, LeftInDLQ            int
}

type opsReport struct {
	CPU      *cpuReport
	Ops      []opResult
	States   []stateResult
	Dups     []dupResult
	Faults   *faultResult
	Campaign *campaignResult
}

type bench struct {
	stack  *local.Stack
	h      http.Handler
	rec    *awsprobe.Recorder
	faults *awsprobe.Faults
	rec2   *recording // the functions' HTTP responses, for the CPU replay
	runID  string
	n      int
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// measureOperations runs the operations against the local stack.
func measureOperations(ctx context.Context, root, tmp, logDir string, nDup, nFaults int, nCampaign [2]int, seed uint64, cpuRounds int, cpuOnly bool, cpuProfile time.Duration) (rep opsReport, err error) {
	logf, err := os.Create(filepath.Join(logDir, "functions.log"))
	if err != nil {
		return rep, err
	}
	defer logf.Close()
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(logf, nil)))
	defer slog.SetDefault(prev)

	b := &bench{rec: awsprobe.NewRecorder(), faults: awsprobe.NewFaults(seed), runID: randomHex(4),
		rec2: &recording{base: awshttp.NewBuildableClient().GetTransport()}}
	progress("starting the local stack (emulators, prefix bench-%s)", b.runID)
	b.stack, err = local.Start(ctx, local.Options{
		RepoRoot: root, Prefix: "bench-" + b.runID, PublicBaseURL: "http://bench.local", LogDir: logDir,
		Configure: func(c *aws.Config) {
			b.rec.Attach(c)
			b.faults.Attach(c)
			c.HTTPClient = &http.Client{Transport: b.rec2}
		},
	})
	if err != nil {
		return rep, fmt.Errorf("start local stack: %w", err)
	}
	defer b.stack.Stop()
	b.h = b.stack.Handler()

	var recorded *cpuRecorded
	if cpuRounds > 0 {
		if recorded, err = b.recordForCPU(ctx); err != nil {
			return rep, err
		}
		// Measured last, after the emulators stop (deferred calls run last first).
		defer func() {
			if err != nil || ctx.Err() != nil {
				return
			}
			b.stack.Stop()
			time.Sleep(time.Second)
			rep.CPU, err = measureCPU(ctx, recorded, tmp, cpuRounds, cpuProfile)
		}()
		if cpuOnly {
			return rep, nil
		}
	}
	if err := b.signupAndConfirm(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.subscribeStates(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.feedback(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.bookings(ctx, &rep); err != nil {
		return rep, err
	}
	if err := b.duplicates(ctx, &rep, nDup); err != nil {
		return rep, err
	}
	if err := b.withFaults(ctx, &rep, nFaults); err != nil {
		return rep, err
	}
	if nCampaign[0] > 0 {
		// Last: the large campaign's jobs stay in the outbox, undrained.
		if err := b.campaignBench(ctx, &rep, nCampaign[0], nCampaign[1]); err != nil {
			return rep, fmt.Errorf("campaign: %w", err)
		}
	}
	return rep, nil
}

func (b *bench) address() string {
	b.n++
	return fmt.Sprintf("bench-%03d-%s@example.com", b.n, b.runID)
}

// post sends a JSON request through the HTTP API as a browser's script
// would; a 429 from the API's throttling is waited out and retried, as a
// client would.
func (b *bench) post(ctx context.Context, path string, body map[string]any) (int, string) {
	raw, _ := json.Marshal(body)
	for attempt := 0; ; attempt++ {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://bench.local"+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		b.h.ServeHTTP(w, req)
		if w.Code == http.StatusTooManyRequests && attempt < 100 && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return w.Code, w.Body.String()
	}
}

func (b *bench) signup(ctx context.Context, addr string) (int, string) {
	return b.post(ctx, "/newsletter/subscribe", map[string]any{"email": addr, "consent": true, "lang": "en"})
}

func (b *bench) mustSignup(ctx context.Context, addr string) error {
	if code, body := b.signup(ctx, addr); code != http.StatusAccepted {
		return fmt.Errorf("signup answered %d: %s", code, body)
	}
	return nil
}

// mailKind tells a confirmation from a welcome mail by its Message-ID,
// which the mailer derives from the outbox job id ("confirm.<signup>").
func mailKind(m local.SentMail) string {
	id := strings.TrimPrefix(m.Parsed.Header.Get("Message-Id"), "<")
	kind, _, _ := strings.Cut(id, ".")
	return kind
}

// mailsTo counts, per recipient, the mails of kind sent so far.
func (b *bench) mailsTo(ctx context.Context, kind string) (map[string]int, []local.SentMail, error) {
	all, err := b.stack.SentMail(ctx)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int{}
	var of []local.SentMail
	for _, m := range all {
		if mailKind(m) == kind {
			counts[strings.ToLower(m.Parsed.To)]++
			of = append(of, m)
		}
	}
	return counts, of, nil
}

// confirmToken finds the confirmation link in the mail to addr and returns its token.
func (b *bench) confirmToken(ctx context.Context, addr string) (string, error) {
	_, mails, err := b.mailsTo(ctx, "confirm")
	if err != nil {
		return "", err
	}
	for _, m := range mails {
		if !strings.EqualFold(m.Parsed.To, addr) {
			continue
		}
		for _, l := range m.Links() {
			u, err := url.Parse(l)
			if err == nil && u.Path == "/newsletter/confirm" && u.Query().Get("token") != "" {
				return u.Query().Get("token"), nil
			}
		}
		return "", fmt.Errorf("confirmation mail to %s has no confirm link in its text", addr)
	}
	return "", fmt.Errorf("no confirmation mail to %s", addr)
}

func (b *bench) confirm(ctx context.Context, addr string) error {
	tok, err := b.confirmToken(ctx, addr)
	if err != nil {
		return err
	}
	if code, body := b.post(ctx, "/newsletter/confirm", map[string]any{"token": tok, "lang": "en"}); code != http.StatusOK {
		return fmt.Errorf("confirm answered %d: %s", code, body)
	}
	return nil
}
