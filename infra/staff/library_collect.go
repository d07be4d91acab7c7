package main

import (
	"context"
	"errors"
	"io"
)

// Not built yet (issue 11): owned by the helper building library collect.
func libraryCollect(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("library collect: not built yet")
}
