package e2e

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"rekisteri/infra/local"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	"rekisteri/internal/library"
	"rekisteri/internal/register"
)

// startOwnStack starts a local stack of its own on the suite's emulators
// (prefix and a random tail), with its own clock, served at an address of
// its own, its queue messages captured for the privacy scans as the suite's
// are; configure, if set, adjusts its functions' AWS config (faults).
func startOwnStack(prefix string, configure func(*aws.Config)) (*clockSite, func(), error) {
	root, _ := filepath.Abs("../..")
	srv := httptest.NewUnstartedServer(nil)
	ddb, moto := os.Getenv("REKISTERI_TEST_DYNAMODB"), os.Getenv("REKISTERI_TEST_MOTO")
	if stack.Emulators != nil {
		ddb, moto = stack.Emulators.DynamoDBURL, stack.Emulators.MotoURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := local.Start(ctx, local.Options{
		RepoRoot: root, Prefix: suitePrefix(prefix + randomHex(3)), PublicBaseURL: "http://" + srv.Listener.Addr().String(),
		DynamoDBURL: ddb, MotoURL: moto, LogDir: filepath.Join(root, ".local", "test-logs"), VisibilityTimeout: 1,
		Throttle: local.Throttle{Rate: 1e6, Burst: 1e6}, Configure: configure,
		OnMessage: func(queue, body string) {
			if queue == sesEventsQueue {
				return // SES's own format names the recipient: the one queue that does
			}
			captureMu.Lock()
			bodies = append(bodies, body)
			captureMu.Unlock()
		},
	})
	if err != nil {
		return nil, nil, err
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	return &clockSite{stack: s, url: srv.URL}, func() { srv.Close(); s.Stop() }, nil
}

// ownSite is startOwnStack for one test: stopped when it ends.
func ownSite(t *testing.T, prefix string, configure func(*aws.Config)) *clockSite {
	t.Helper()
	site, stop, err := startOwnStack(prefix, configure)
	if err != nil {
		t.Fatalf("local stack %s: %v", prefix, err)
	}
	t.Cleanup(stop)
	return site
}

// librarySite is a stack of the test's own and the library register over
// it as the staff tool opens it (what `staff library collect` calls).
func librarySite(t *testing.T, prefix string) (*clockSite, *library.Service) {
	t.Helper()
	site := ownSite(t, prefix, nil)
	return site, libraryDesk(t, site)
}

// libraryDesk is the service point's side of the library (the staff tool's
// library collect), on site's tables.
func libraryDesk(t *testing.T, site *clockSite) *library.Service {
	t.Helper()
	env := site.stack.Env["LibraryFunction"]
	c := site.stack.Clients()
	base, _ := url.Parse(env["PUBLIC_BASE_URL"])
	svc, err := library.NewService(library.Deps{
		Register: register.MustLoad("library"), Platform: register.MustLoad("museum"), DB: c.DynamoDB,
		Keys: keyring.New(c.Secrets, env["TOKEN_KEY_SECRET"], env["SUBJECT_KEY_SECRET"]),
		Seal: fieldcrypt.New(c.KMS, env["DATA_KEY_ID"]),
		Tables: library.Tables{Patrons: env["PATRONS_TABLE"], Loans: env["LOANS_TABLE"], Transfers: env["TRANSFERS_TABLE"],
			Statistics: env["STATISTICS_TABLE"], Mail: env["MAIL_TABLE"], Audit: env["AUDIT_TABLE"], Bookings: env["BOOKINGS_TABLE"]},
		BaseURL: base, Now: site.stack.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
