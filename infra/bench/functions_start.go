package main

// A function's start (functions.go): exec to its first /next under a fake
// Lambda Runtime API, and its connections to the AWS endpoint by then.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// startOnce starts bin under a fake Lambda Runtime API and returns the time
// from exec to its first GET /next, and how many connections it had opened
// to the AWS endpoint by then.
func startOnce(ctx context.Context, bin string, env func(endpoint string) []string) (time.Duration, int, error) {
	awsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer awsLn.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := awsLn.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_ = c.Close()
		}
	}()

	type readyAt struct {
		t     time.Time
		conns int64
	}
	ready := make(chan readyAt, 1)
	initErr := make(chan string, 1)
	release := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		at := readyAt{t: time.Now(), conns: conns.Load()}
		once.Do(func() { ready <- at })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case initErr <- string(b):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // runs before srv.Close: the blocked /next returns

	endpoint := "http://" + awsLn.Addr().String()
	cmd := exec.Command(bin)
	cmd.Env = append(env(endpoint), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"))
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	select {
	case at := <-ready:
		stop()
		return at.t.Sub(t0), int(at.conns), nil
	case msg := <-initErr:
		stop()
		return 0, 0, fmt.Errorf("init error reported: %s\n%s", msg, out.String())
	case err := <-exited:
		return 0, 0, fmt.Errorf("exited before asking for an event (%v)\n%s", err, out.String())
	case <-time.After(10 * time.Second):
		stop()
		return 0, 0, fmt.Errorf("not ready after 10 s\n%s", out.String())
	case <-ctx.Done():
		stop()
		return 0, 0, ctx.Err()
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
