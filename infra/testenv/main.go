// Command testenv runs a command with the emulators up: `make test` starts
// one DynamoDB Local and one moto for the whole test run (on test ports, so
// `make run` can go on beside it), hands their URLs to the tests through
// REKISTERI_TEST_DYNAMODB and REKISTERI_TEST_MOTO, and stops them afterwards
// whatever the command's outcome.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"rekisteri/infra/local"
)

func main() {
	ddbPort := flag.Int("dynamodb-port", 0, "DynamoDB Local port (0: any free port)")
	motoPort := flag.Int("moto-port", 0, "moto_server port (0: any free port)")
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: testenv [flags] -- command args...")
		os.Exit(2)
	}
	os.Exit(run(*root, *ddbPort, *motoPort, flag.Args()))
}

func run(root string, ddbPort, motoPort int, command []string) int {
	abs, _ := filepath.Abs(root)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: abs, DynamoDBPort: ddbPort, MotoPort: motoPort, LogDir: filepath.Join(abs, ".local", "test-logs")})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer em.Stop()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "REKISTERI_TEST_DYNAMODB="+em.DynamoDBURL, "REKISTERI_TEST_MOTO="+em.MotoURL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	return 0
}
