package library

import (
	"context"
	"errors"
)

// Not built yet (issue 11): owned by the helper building the weekly transfer.
func (s *Service) runTransfer(ctx context.Context) error {
	return errors.New("library transfer: not built yet")
}
