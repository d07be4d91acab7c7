package requests

import (
	"context"
	"fmt"

	"rekisteri/internal/sqsqueue"
)

// Handle processes one message of the requests queue.
func (s *Service) Handle(ctx context.Context, m sqsqueue.Message) error {
	return fmt.Errorf("requests: op %q: %w", m.Op, sqsqueue.ErrPermanent)
}

// Digest mails the DPO the requests due within 7 days and those overdue.
func (s *Service) Digest(ctx context.Context) error {
	return fmt.Errorf("requests: digest not built yet")
}
