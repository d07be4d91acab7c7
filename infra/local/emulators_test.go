package local

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEmulators starts both emulators on free ports, talks to them, stops
// them and checks that nothing is left running.
func TestEmulators(t *testing.T) {
	root := repoRootForTest(t)
	logDir := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	e, err := StartEmulators(ctx, EmulatorOptions{RepoRoot: root, LogDir: logDir})
	if err != nil {
		t.Fatalf("StartEmulators: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = e.Stop()
		}
	}()
	t.Logf("both ready after %v", time.Since(start).Round(time.Millisecond))
	for _, p := range e.procs {
		t.Logf("%s (pid %d) ready after %v", p.name, p.cmd.Process.Pid, p.readyAfter.Round(time.Millisecond))
	}
	if len(e.procs) != 2 {
		t.Fatalf("want 2 processes, got %d", len(e.procs))
	}

	// DynamoDB Local: a real ListTables round trip on a fresh in-memory DB.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.DynamoDBURL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x/20240101/eu-north-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	var tables struct{ TableNames []string }
	getJSON(t, req, &tables)
	if len(tables.TableNames) != 0 {
		t.Errorf("fresh DynamoDB Local has tables: %v", tables.TableNames)
	}

	// Both listen on the loopback address only, never on the machine's network.
	for _, u := range []string{e.DynamoDBURL, e.MotoURL} {
		port, _ := strconv.Atoi(u[strings.LastIndex(u, ":")+1:])
		addrs := listenAddrs(t, port)
		if len(addrs) == 0 {
			t.Errorf("%s: no listening socket found in /proc/net/tcp*", u)
		}
		for _, a := range addrs {
			if !a.IsLoopback() {
				t.Errorf("%s listens on %v: it must bind 127.0.0.1 only", u, a)
			}
		}
	}

	// moto: its state dump is JSON.
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, e.MotoURL+"/moto-api/data.json", nil)
	var motoData map[string]any
	getJSON(t, req, &motoData)

	for _, name := range []string{"dynamodb.log", "moto.log"} {
		if _, err := os.Stat(filepath.Join(logDir, name)); err != nil {
			t.Errorf("log file: %v", err)
		}
	}

	pids := []int{e.procs[0].cmd.Process.Pid, e.procs[1].cmd.Process.Pid}
	tmpDir := e.tmpDir
	stopStart := time.Now()
	if err := e.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	t.Logf("Stop took %v", time.Since(stopStart).Round(time.Millisecond))

	for _, pid := range pids {
		// Stop reaps the children, so even a zombie would be a bug here.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("pid %d still exists after Stop (kill 0: %v)", pid, err)
		}
		if left := groupMembers(pid); len(left) > 0 {
			t.Errorf("process group %d still has members after Stop: %v", pid, left)
		}
	}
	if _, err := os.Stat(tmpDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s not removed (stat: %v)", tmpDir, err)
	}
	if err := e.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestEmulatorsDieWithParent kills a process that started the emulators
// without letting it call Stop, and checks Pdeathsig takes them down.
func TestEmulatorsDieWithParent(t *testing.T) {
	root := repoRootForTest(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestEmulatorsHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(), helperEnv+"="+root)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill() // only matters if the test fails early

			pids, helperTmp := readHelperPids(t, out)
			// A killed parent cannot remove its scratch dir; do it for it.
			defer os.RemoveAll(helperTmp)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()

			deadline := time.Now().Add(10 * time.Second)
			for {
				var alive []int
				for _, pid := range pids {
					if processAlive(pid) {
						alive = append(alive, pid)
					}
				}
				if len(alive) == 0 {
					return
				}
				if time.Now().After(deadline) {
					for _, pid := range alive {
						_ = syscall.Kill(-pid, syscall.SIGKILL) // don't leak them from a failed test
					}
					t.Fatalf("emulator pids %v still alive 10s after parent got %v", alive, sig)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

const helperEnv = "REKISTERI_EMULATORS_HELPER_ROOT"

// TestEmulatorsHelperProcess is not a test on its own: TestEmulatorsDieWithParent
// re-runs the test binary with helperEnv set, and then this starts the
// emulators, reports their pids and waits to be killed.
func TestEmulatorsHelperProcess(t *testing.T) {
	root := os.Getenv(helperEnv)
	if root == "" {
		return
	}
	e, err := StartEmulators(context.Background(), EmulatorOptions{RepoRoot: root, LogDir: t.TempDir()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	fmt.Printf("EMULATOR_PIDS %d %d %s\n", e.procs[0].cmd.Process.Pid, e.procs[1].cmd.Process.Pid, e.tmpDir)
	// Safety net: if the parent never kills us, clean up instead of lingering.
	time.Sleep(2 * time.Minute)
	_ = e.Stop()
	os.Exit(4)
}

func readHelperPids(t *testing.T, r io.Reader) (pids []int, tmpDir string) {
	t.Helper()
	type result struct {
		pids   []int
		tmpDir string
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 4 && f[0] == "EMULATOR_PIDS" {
				a, err1 := strconv.Atoi(f[1])
				b, err2 := strconv.Atoi(f[2])
				ch <- result{[]int{a, b}, f[3], errors.Join(err1, err2)}
				// Keep draining so the helper never blocks on a full pipe.
				for sc.Scan() {
				}
				return
			}
		}
		ch <- result{nil, "", fmt.Errorf("helper output ended without pids (%v)", sc.Err())}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.pids, r.tmpDir
	case <-time.After(90 * time.Second):
		t.Fatal("helper did not report emulator pids in time")
		return nil, ""
	}
}

func getJSON(t *testing.T, req *http.Request, v any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s", req.Method, req.URL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: decode: %v", req.Method, req.URL, err)
	}
}

// repoRootForTest walks up from the package dir to the directory with go.mod.
func repoRootForTest(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// procStat returns the state and process group of pid from /proc.
func procStat(pid int) (state byte, pgrp int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// comm (field 2) may contain spaces; the fields after its ')' are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp ...
	if len(f) < 3 {
		return 0, 0, false
	}
	pgrp, err = strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// processAlive treats zombies as dead: orphans are reaped by whatever PID 1
// this runs under, which in containers may never happen.
func processAlive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z' && state != 'X'
}

// groupMembers lists live processes whose process group is pgid.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		if state, pg, ok := procStat(pid); ok && pg == pgid && state != 'Z' && state != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// listenAddrs is every local address a listening TCP socket on port is bound
// to, read from /proc/net/tcp and tcp6 (Linux).
func listenAddrs(t *testing.T, port int) []net.IP {
	t.Helper()
	var out []net.IP
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 4 || f[3] != "0A" { // 0A = LISTEN
				continue
			}
			hexAddr, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); !ok || err != nil || int(p) != port {
				continue
			}
			raw, err := hex.DecodeString(hexAddr)
			if err != nil || len(raw)%4 != 0 {
				t.Fatalf("%s: odd address %q", name, hexAddr)
			}
			// The kernel prints each 32-bit word in host (little-endian) order.
			ip := make(net.IP, len(raw))
			for w := 0; w < len(raw); w += 4 {
				ip[w], ip[w+1], ip[w+2], ip[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
			}
			out = append(out, ip)
		}
	}
	return out
}
