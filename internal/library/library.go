// Package library keeps the city libraries' customer register (privacy
// notice seed 004, declaration internal/register/library.yaml): online
// pre-registration and card collection at a service point, patrons with
// their identity code sealed by KMS and their PIN kept only as a slow salted
// hash, guardians of children under 15, self-service with customer number
// and PIN, the circulation feed from the library system (Sierra), the weekly
// collection-agency transfer and anonymised loan statistics.
//
// Everything it stores goes through the record seam (internal/record), so
// the retention sweep (REGISTER=library) and data-subject requests reach it
// by the declaration alone.
package library

import (
	"context"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/errlog"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/keyring"
	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
)

// The declared record kinds (library.yaml).
const (
	KindPatron          = "patron"
	KindGuardianLink    = "guardian-link"
	KindPreregistration = "preregistration"
	KindLoan            = "loan"
	KindFee             = "fee"
	KindTransfer        = "transfer"
	KindUsageStatistic  = "usage-statistic"
)

// The declared tables (library.yaml); their deployed names come from
// PATRONS_TABLE, LOANS_TABLE, TRANSFERS_TABLE, STATISTICS_TABLE.
const (
	TablePatrons    = "patrons"
	TableLoans      = "loans"
	TableTransfers  = "transfers"
	TableStatistics = "statistics"
)

// IndexByDue is the loans table's sparse index of open loans by due date
// (dueShard, dueDate): only an open, not yet transferred loan carries
// dueShard, so the weekly transfer reads the overdue set and nothing else.
const IndexByDue = "byDue"

// DueShards is how many partitions the byDue index spreads open loans over.
const DueShards = 8

// Customer groups (seed 004 §7).
const (
	GroupChild       = "child"
	GroupAdult       = "adult"
	GroupHomeService = "home-service"
	GroupInstitution = "institution"
)

// Groups are the customer groups a registration may name.
var Groups = []string{GroupChild, GroupAdult, GroupHomeService, GroupInstitution}

// Delivery channels for customer mail (seed 004 §7).
const (
	ChannelEmail  = "email"
	ChannelLetter = "letter"
	ChannelSMS    = "sms"
)

// Channels are the delivery channels a patron may choose.
var Channels = []string{ChannelEmail, ChannelLetter, ChannelSMS}

// Libraries are the four cities whose libraries own items (seed 004 §1–3).
var Libraries = []string{"espoo", "helsinki", "kauniainen", "vantaa"}

// GuardianAge is the age below which a child is registered with a guardian.
const GuardianAge = 15

// AdultAge is the age from which a patron may be transferred to the
// collection agency (seed 004 §9: "täysi-ikäisistä").
const AdultAge = 18

// Patron states (the retention rule each one stamps, library.yaml).
const (
	StateActive     = "active"     // patron-inactive: 3 years after lastUsedAt, deleted on 1 January
	StateUnresolved = "unresolved" // open loans, unpaid fees or a transfer in progress: kept
)

// Errors with fixed texts, so logs may carry them (errlog).
var (
	ErrNotFound     error = errlog.New("patron not found")
	ErrLoginFailed  error = errlog.New("customer number or PIN wrong")
	ErrLocked       error = errlog.New("too many wrong PINs")
	ErrSealing      error = errlog.New("identity code could not be sealed")
	ErrAlreadyTaken error = errlog.New("pre-registration already collected")
)

type dynamoAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

type keySource interface {
	Keys(ctx context.Context) (keyring.Keys, error)
}

type sealer interface {
	Seal(ctx context.Context, plaintext []byte, ec fieldcrypt.Context) (fieldcrypt.Sealed, error)
}

// Tables are the deployed names of the tables the service uses: the
// library's own and the platform's mail outbox and audit log (declared in
// the museum's register, which every function shares).
type Tables struct {
	Patrons, Loans, Transfers, Statistics string
	Mail, Audit, Bookings                 string // Bookings: the mail-budget counters
}

// Service is the library register.
type Service struct {
	reg      *register.Register // library.yaml
	platform *register.Register // museum.yaml: the mail outbox and the audit log
	db       dynamoAPI
	keys     keySource
	seal     sealer
	open     opener    // the transfer's (transfer.go)
	files    fileStore // the transfers bucket
	tables   Tables
	baseURL  *url.URL
	recs     *seam.Catalogue // the library's tables
	plat     *seam.Catalogue // mail, audit, bookings (mail budgets)
	requests *selfRequests   // self-service data-subject requests (requests.go); nil: not taken
	now      func() time.Time
}

// Deps are what a Service is built from.
type Deps struct {
	Register, Platform *register.Register
	DB                 dynamoAPI
	Keys               keySource
	Seal               sealer
	Open               opener    // only the weekly transfer opens identity codes
	Files              fileStore // the transfers bucket
	Tables             Tables
	BaseURL            *url.URL
	Now                func() time.Time
}

// NewService wires the library register to its stores.
func NewService(d Deps) (*Service, error) {
	recs, err := seam.NewCatalogue(d.Register, map[string]string{
		TablePatrons: d.Tables.Patrons, TableLoans: d.Tables.Loans,
		TableTransfers: d.Tables.Transfers, TableStatistics: d.Tables.Statistics,
	})
	if err != nil {
		return nil, err
	}
	plat, err := seam.NewCatalogue(d.Platform, map[string]string{"mail": d.Tables.Mail, "audit": d.Tables.Audit, "bookings": d.Tables.Bookings})
	if err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{reg: d.Register, platform: d.Platform, db: d.DB, keys: d.Keys, seal: d.Seal, open: d.Open, files: d.Files, tables: d.Tables,
		baseURL: d.BaseURL, recs: recs, plat: plat, now: now}, nil
}

// Register is the library's declaration.
func (s *Service) Register() *register.Register { return s.reg }
