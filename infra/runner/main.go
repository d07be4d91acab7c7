// Command runner is `make run`: the whole system on this machine. It starts
// the emulators, creates everything template.yaml declares in them, serves
// the HTTP API, polls the queues, runs schedules on demand, moves the clock
// every function sees (/_local/clock), and stops it all on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"rekisteri/infra/local"
	"rekisteri/internal/errlog"
)

func main() {
	port := flag.Int("port", envInt("RUN_HTTP_PORT", 8080), "HTTP port of the local API")
	ddbPort := flag.Int("dynamodb-port", envInt("RUN_DYNAMODB_PORT", 8000), "DynamoDB Local port")
	motoPort := flag.Int("moto-port", envInt("RUN_MOTO_PORT", 4566), "moto_server port")
	root := flag.String("root", ".", "repository root (template.yaml, infra/emulators)")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err := run(*root, *port, *ddbPort, *motoPort); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func run(root string, port, ddbPort, motoPort int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base := fmt.Sprintf("http://localhost:%d", port)
	abs, _ := filepath.Abs(root)
	stack, err := local.Start(ctx, local.Options{
		RepoRoot: abs, PublicBaseURL: base, DynamoDBPort: ddbPort, MotoPort: motoPort,
		LogDir: filepath.Join(abs, ".local", "logs"),
	})
	if err != nil {
		return err
	}
	defer stack.Stop()

	mux := http.NewServeMux()
	mux.Handle("/", stack.Handler())
	mux.HandleFunc("GET /{$}", index(stack))
	mux.HandleFunc("GET /_local/mail", stack.MailPage)
	mux.HandleFunc("POST /_local/schedules", func(w http.ResponseWriter, r *http.Request) {
		if err := stack.RunSchedules(r.Context(), r.URL.Query().Get("function")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintln(w, "schedules ran")
	})
	srv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	go stack.PollForever(ctx)
	go runSchedules(ctx, stack)

	fmt.Printf(`
rekisteri is running locally.

  Newsletter signup form   %[1]s/newsletter      (?lang=fi|sv|en)
  Visitor survey           %[1]s/feedback
  Resource booking         %[1]s/bookings
  Mail sent by the system  %[1]s/_local/mail       (staff mail too: decision links are there)
  Local index              %[1]s/
  Run schedules now        curl -X POST %[1]s/_local/schedules
  Data-subject requests    %[1]s/requests
  Event signup             %[1]s/events/signup?event=ID   (after staff events create)
  The clock functions see  curl %[1]s/_local/clock
  Move it forward          curl -d advance=8d %[1]s/_local/clock   (h, d, m = months, y; or --data-urlencode set=<RFC 3339>)
  DynamoDB Local           %[2]s
  moto (SQS, SES, KMS, S3) %[3]s

  Staff tool               go run ./infra/staff feedback-stats -local
                           go run ./infra/staff invoices -local -actor "$USER" -csv invoices.csv
                           go run ./infra/staff retention -local [-dry-run | -runs]   (the sweep now, what it would remove, its receipts)
                           go run ./infra/staff ropa -format md                       (the Art. 30 record of processing)
                           go run ./infra/staff campaign send -local -list newsletter -subject S -body mail.md -actor "$USER"
                           go run ./infra/staff events create -local -name N -date YYYY-MM-DD -capacity 20 -actor "$USER"
  SES bounce or complaint  curl -H 'Content-Type: application/json' -d @event.json %[1]s/_local/ses-events

Ctrl-C stops everything.
`, base, stack.Emulators.DynamoDBURL, stack.Emulators.MotoURL)

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	fmt.Println("\nstopped")
	return nil
}

// runSchedules runs every schedule once a minute; locally there is no
// EventBridge Scheduler, and a minute keeps the relay and sweeps visible.
func runSchedules(ctx context.Context, stack *local.Stack) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := stack.RunSchedules(ctx, ""); err != nil {
				slog.ErrorContext(ctx, "schedules failed", errlog.Attr(err))
			}
		}
	}
}

var indexPage = template.Must(template.New("i").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rekisteri (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}</style></head><body>
<h1>rekisteri — local stack</h1>
<ul>
<li>Newsletter: <a href="/newsletter?lang=fi">suomeksi</a> · <a href="/newsletter?lang=sv">på svenska</a> · <a href="/newsletter?lang=en">in English</a></li>
<li>Visitor survey: <a href="/feedback?lang=fi">suomeksi</a> · <a href="/feedback?lang=sv">på svenska</a> · <a href="/feedback?lang=en">in English</a></li>
<li>Resource booking: <a href="/bookings?lang=fi">suomeksi</a> · <a href="/bookings?lang=sv">på svenska</a> · <a href="/bookings?lang=en">in English</a></li>
<li><a href="/_local/mail">Mail sent by the system</a></li>
</ul>
<h2>Schedules</h2><ul>{{range .Schedules}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/_local/schedules"><button>Run all schedules now</button></form>
<h2>Clock</h2>
<p>Every function sees <a href="/_local/clock">{{.Now}}</a>. It only moves forward.</p>
<form method="post" action="/_local/clock"><label>Advance by <input name="advance" value="8d" size="5"></label>
(h, d, m = months, y) <button>Move the clock</button></form>
</body></html>`))

func index(stack *local.Stack) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage.Execute(w, map[string]any{"Schedules": stack.Schedules(), "Now": local.FormatClock(stack.Clock.Now())})
	}
}
