package main

import (
	"context"
	"errors"
	"io"
)

// Not built yet (issue 11): owned by the helper building library stats.
func libraryStats(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("library stats: not built yet")
}
