package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	"rekisteri/internal/helsinki"
	seam "rekisteri/internal/record"
)

// The weekly collection-agency transfer (seed 004 §9): every Monday, the
// adults whose loans are unreturned 60 days after the due date go to the
// agency of the library that owns the item, one file per library.
//
// A run first writes the records — per loan one transaction that puts the
// transfer item (the identity code copied sealed, as the patron holds it),
// takes the loan off the byDue index and counts the patron's open transfer
// — and only then (re)writes each library's file of the week from the
// transfer items (transfer_file.go). A run that fails half-way is finished
// by the next: a loan already transferred is no longer on the index, so it
// is never transferred twice, and the week's file is rewritten whole.

// TransferAfterDays is how long after its due date an unreturned loan goes
// to the collection agency (seed 004 §9: "60 vuorokauden kuluttua").
const TransferAfterDays = 60

// Transfer states (library.yaml, kind transfer).
const (
	TransferOpen     = "open"
	TransferResolved = "resolved"
)

// The audit events of the transfer. A disclosure is logged under the
// patron's subject key, so their access copy shows it; a restricted
// patron's disclosure names the ground it was made on (Art. 18(2)).
const (
	EventTransferDisclosed           = "disclosed-collection-agency"
	EventTransferDisclosedLegalClaim = "disclosed-collection-agency-legal-claim"
	EventHetuDecrypted               = "hetu.decrypted"
)

// transferWorkers is how many patrons are transferred at once.
const transferWorkers = 16

// opener opens sealed identity codes: only the transfer does (the key
// policy lets this function's role open those of the patrons table only).
type opener interface {
	Open(ctx context.Context, v fieldcrypt.Sealed, ec fieldcrypt.Context) ([]byte, error)
}

// fileStore is the transfers bucket (s3exports.Bucket).
type fileStore interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// Transfer is one unreturned item in a week's file (kind transfer, table
// transfers, pk TransferPK(week, owner), sk transferSK(item id)): exactly
// the fields of §9, the identity code sealed as the patron's record holds
// it (HetuContext(SealID)), never in the clear.
type Transfer struct {
	PK            string             `dynamodbav:"pk"`
	SK            string             `dynamodbav:"sk"`
	Kind          string             `dynamodbav:"kind"`
	SubjectKey    string             `dynamodbav:"subjectKey"`
	Batch         string             `dynamodbav:"batch"` // <week>#<library>
	Owner         string             `dynamodbav:"owner"`
	Name          string             `dynamodbav:"name"`
	Address       string             `dynamodbav:"address"`
	Phone         string             `dynamodbav:"phone,omitempty"`
	IdentityCode  *fieldcrypt.Sealed `dynamodbav:"identityCode,omitempty"`
	SealID        string             `dynamodbav:"sealId"`
	DueDate       string             `dynamodbav:"dueDate"`
	Title         string             `dynamodbav:"title"`
	Price         string             `dynamodbav:"price"`
	Status        string             `dynamodbav:"status"`
	TransferredAt string             `dynamodbav:"transferredAt"`
	ResolvedAt    string             `dynamodbav:"resolvedAt,omitempty"`
}

func transferSK(itemID string) string { return "item#" + itemID }

// transferRun is one run's day and what it counted.
type transferRun struct {
	now, today time.Time
	week       string
	mu         sync.Mutex
	overdue    int
	moved      int
	skipped    map[string]int
}

func (r *transferRun) count(moved int, skipped map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.moved += moved
	for k, n := range skipped {
		r.skipped[k] += n
	}
}

// runTransfer is the weekly schedule {"run":"transfer"}.
func (s *Service) runTransfer(ctx context.Context) error {
	now := s.now()
	run := &transferRun{now: now, today: helsinki.Today(now), skipped: map[string]int{}}
	run.week = TransferWeek(run.today)
	recErr := s.transferRecords(ctx, run)
	files, fileErr := s.writeTransferFiles(ctx, run.week, now)
	slog.InfoContext(ctx, "library transfer", "week", run.week, "overdue", run.overdue, "transferred", run.moved,
		"skipped", run.skipped, "files", files, "recordsFailed", recErr != nil, "filesFailed", fileErr != nil)
	return errors.Join(recErr, fileErr)
}

// transferRecords finds the overdue loans and transfers each patron's.
func (s *Service) transferRecords(ctx context.Context, run *transferRun) error {
	keys, err := s.overdueLoanKeys(ctx, transferCutoff(run.today))
	if err != nil {
		return err
	}
	run.overdue = len(keys)
	loans, err := s.readLoans(ctx, keys)
	if err != nil {
		return err
	}
	byPatron := map[string][]overdueLoan{}
	for _, l := range loans {
		byPatron[l.PK] = append(byPatron[l.PK], l)
	}
	pks := make([]string, 0, len(byPatron))
	for pk := range byPatron {
		pks = append(pks, pk)
	}
	sort.Strings(pks)
	work := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range min(transferWorkers, len(pks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pk := range work {
				if err := s.transferPatron(ctx, run, pk, byPatron[pk]); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, pk := range pks {
		work <- pk
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("library transfer: %d of %d patrons not transferred: %w", len(errs), len(pks), errs[0])
	}
	return nil
}

// transferPatron transfers one patron's overdue loans, one transaction per
// loan, the disclosure logged in the same transaction.
func (s *Service) transferPatron(ctx context.Context, run *transferRun, pk string, loans []overdueLoan) error {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(pk, SKPatron), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("read patron: %w", err)
	}
	if len(out.Item) == 0 {
		run.count(0, map[string]int{skipNoPatron: len(loans)})
		return nil
	}
	var p Patron
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return fmt.Errorf("read patron: %w", err)
	}
	take, skipped := selectTransfers(&p, loans, run.today)
	// Art. 18(2): a restricted patron's data may still be processed for
	// the establishment, exercise or defence of legal claims, which
	// collecting the library's unreturned property is. The transfer is
	// made, kept under the same restriction, and logged as made on that ground.
	restriction := map[string]types.AttributeValue{}
	for _, a := range []string{seam.AttrRestricted, seam.AttrRestrictedFor} {
		if v, ok := out.Item[a]; ok {
			restriction[a] = v
		}
	}
	moved := 0
	for _, l := range take {
		ok, err := s.transferLoan(ctx, run, &p, l, restriction)
		if err != nil {
			run.count(moved, skipped)
			return err
		}
		if ok {
			moved++
		} else {
			skipped[skipReturned]++
		}
	}
	run.count(moved, skipped)
	return nil
}

// transferLoan is one loan's transaction: the transfer item, the loan off
// the byDue index, the patron's open transfers counted (its state re-stamped
// by the seam: unresolved keeps it), the disclosure logged. It answers false
// when the loan was returned or transferred meanwhile.
func (s *Service) transferLoan(ctx context.Context, run *transferRun, p *Patron, l overdueLoan, restriction map[string]types.AttributeValue) (bool, error) {
	at := run.now.UTC().Format(time.RFC3339)
	tr := Transfer{
		PK: TransferPK(run.week, l.Owner), SK: transferSK(l.ItemID), Kind: KindTransfer, SubjectKey: p.SubjectKey,
		Batch: run.week + "#" + l.Owner, Owner: l.Owner,
		Name: p.FirstName + " " + p.LastName, Address: transferAddress(p), Phone: p.Phone,
		IdentityCode: p.IdentityCode, SealID: p.SealID,
		DueDate: l.DueDate, Title: l.Title, Price: l.Price, Status: TransferOpen, TransferredAt: at,
	}
	put, err := s.recs.Put(KindTransfer, TransferOpen, tr, "attribute_not_exists(pk)")
	if err != nil {
		return false, err
	}
	for a, v := range restriction {
		put.Put.Item[a] = v
	}
	event := EventTransferDisclosed
	if len(restriction) > 0 {
		event = EventTransferDisclosedLegalClaim
	}
	disclosed, err := audit.Put(s.plat, run.now, audit.Entry{Event: event, Ref: tr.Batch, SubjectKey: p.SubjectKey})
	if err != nil {
		return false, err
	}
	// The patron's state re-stamped (unresolved counts from the last use,
	// which the transfer does not change).
	lastUsed, err := seam.TimeOf(transferStr(p.LastUsedAt))
	if err != nil {
		return false, fmt.Errorf("library transfer: the patron's lastUsedAt: %w", err)
	}
	unresolved, err := s.recs.Enter(KindPatron, StateUnresolved, p.PK, map[string]time.Time{"lastUsedAt": lastUsed})
	if err != nil {
		return false, err
	}
	tx := []types.TransactWriteItem{put, {Update: &types.Update{
		TableName: aws.String(s.tables.Loans), Key: dynamo.Key(l.PK, l.SK),
		UpdateExpression:          aws.String("SET transferredAt = :at REMOVE dueShard"),
		ConditionExpression:       aws.String("attribute_exists(dueShard) AND dueDate = :due"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": transferStr(at), ":due": transferStr(l.DueDate)},
	}}, {Update: &types.Update{
		TableName: aws.String(s.tables.Patrons), Key: dynamo.Key(p.PK, SKPatron),
		UpdateExpression:          aws.String(unresolved.Expression("openTransfers = if_not_exists(openTransfers, :zero) + :one, #status = :unresolved", "")),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: unresolved.Values(map[string]types.AttributeValue{":zero": transferNum(0), ":one": transferNum(1), ":unresolved": transferStr(StateUnresolved)}),
	}}, disclosed}
	for attempt := 0; ; attempt++ {
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		codes := dynamo.CancelledBy(err)
		switch {
		case err == nil:
			return true, nil
		case slices.Contains(codes, "ConditionalCheckFailed"):
			return false, nil // returned, or already transferred by a run beside this one
		case slices.Contains(codes, "TransactionConflict") && attempt < 3:
			time.Sleep(time.Duration(20<<attempt) * time.Millisecond)
			continue
		}
		return false, fmt.Errorf("library transfer: write: %w", err)
	}
}

// transferAddress is the patron's address on one line.
func transferAddress(p *Patron) string {
	return p.Street + ", " + p.Postcode + " " + p.City
}

func transferStr(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func transferNum(n int) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
}
