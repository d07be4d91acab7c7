package requests

import (
	"context"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/keyring"
	"rekisteri/internal/mailbudget"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
	"rekisteri/internal/register"
	"rekisteri/internal/requests/request"
	"rekisteri/internal/sqsqueue"
)

// Queue ops of the requests queue: ids only.
const (
	OpProcess  = request.OpProcess // a verified, staff-created or self-service request
	OpExtended = "extended"        // staff extended it: send the reasoned notice
	OpLift     = "lift"            // staff lift a restriction: tell the person, then lift
	OpRectify  = "rectify"         // staff apply the correction stored on the request
	OpResolved = "resolved"        // staff resolved a case: tell the person
)

// Sender puts a message on a queue.
type Sender interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

// Transactor writes the mail and audit items a step causes, together.
type Transactor interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// updater changes one item (objection, rectification).
type updater interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Exports keeps access copies in the exports bucket.
type Exports interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
	// Link is a short-lived URL that fetches key.
	Link(ctx context.Context, key string, ttl time.Duration) (string, error)
	Delete(ctx context.Context, keys []string) error
}

// Keys are the token and subject-key secrets.
type Keys interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

// Service is the requests capability: intake, the clock, processing.
type Service struct {
	reg     *register.Register
	recs    *record.Catalogue
	store   *Store
	records *recordstore.Store
	// reach is every register's store a request searches, records (the
	// function's own register: requests, mail, audit) first.
	reach   []*recordstore.Store
	tx      Transactor
	db      updater
	budget  *mailbudget.Budget // POST /requests' declared mail budget
	queue   Sender
	keys    Keys
	exports Exports
	baseURL *url.URL
	now     func() time.Time
}

// Deps are what a Service is built from.
type Deps struct {
	Catalogue *record.Catalogue
	DB        interface {
		DB
		recordstore.DB
		Transactor
	}
	// Reach are the other registers whose tables a request searches too
	// (the libraries' patrons, loans and transfers), each with every table
	// it declares.
	Reach   []*record.Catalogue
	Queue   Sender
	Keys    Keys
	Exports Exports
	BaseURL *url.URL
	Now     func() time.Time
}

// NewService is the requests capability over d.
func NewService(d Deps) (*Service, error) {
	st, err := NewStore(d.DB, d.Catalogue)
	if err != nil {
		return nil, err
	}
	budget, err := mailbudget.New(d.Catalogue, budgetID)
	if err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	own := recordstore.NewStore(d.DB, d.Catalogue)
	reach, err := reachOf(own, d.DB, d.Reach)
	if err != nil {
		return nil, err
	}
	return &Service{
		reg: d.Catalogue.Register(), recs: d.Catalogue, store: st, records: own, reach: reach,
		tx: d.DB, db: d.DB, budget: budget, queue: d.Queue, keys: d.Keys, exports: d.Exports, baseURL: d.BaseURL, now: now,
	}, nil
}

// Store is the requests table (the staff tool uses it too).
func (s *Service) Store() *Store { return s.store }
