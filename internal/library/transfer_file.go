package library

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/csvsafe"
)

// The week's files: one per owning library (each city collects its own
// material), written from the transfers table's items of that week, so a
// rerun writes the same complete file. The identity code is opened here and
// nowhere else in this register; every opening is audited first.

// TransferFilePrefix is where the files are in the transfers bucket.
const TransferFilePrefix = "transfers/"

// TransferFileKey is the week's file of one library's collection agency.
func TransferFileKey(week, library string) string {
	return TransferFilePrefix + week + "/" + library + ".csv"
}

// TransferFileColumns are the file's columns: exactly seed 004 §9's fields.
var TransferFileColumns = []string{"name", "address", "phone", "identity_code", "due_date", "title", "price"}

// writeTransferFiles (re)writes each library's file of week from its open
// transfer items; a library with no transfer this week gets no file. It
// answers how many files it wrote.
func (s *Service) writeTransferFiles(ctx context.Context, week string, now time.Time) (int, error) {
	if s.files == nil || s.open == nil {
		return 0, fmt.Errorf("library transfer: no transfers bucket or opener configured")
	}
	written := 0
	for _, lib := range Libraries {
		all, err := s.weekTransfers(ctx, TransferPK(week, lib))
		if err != nil {
			return written, err
		}
		if len(all) == 0 {
			continue
		}
		// Only open matters are collected: a file rewritten after a return
		// no longer names what was returned (and may then hold no row).
		var items []Transfer
		for _, t := range all {
			if t.Status == TransferOpen {
				items = append(items, t)
			}
		}
		codes, err := s.openIdentityCodes(ctx, items, now)
		if err != nil {
			return written, err
		}
		body, err := transferCSV(items, codes)
		if err != nil {
			return written, err
		}
		if err := s.files.Put(ctx, TransferFileKey(week, lib), "text/csv; charset=utf-8", body); err != nil {
			return written, fmt.Errorf("library transfer: write the %s file: %w", lib, err)
		}
		written++
	}
	return written, nil
}

// weekTransfers reads one file's transfer items (strongly consistent).
func (s *Service) weekTransfers(ctx context.Context, pk string) ([]Transfer, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Transfers),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": transferStr(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	var out []Transfer
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("library transfer: read the week's transfers: %w", err)
		}
		for _, it := range page.Items {
			var t Transfer
			if err := attributevalue.UnmarshalMap(it, &t); err != nil {
				return nil, fmt.Errorf("library transfer: read the week's transfers: %w", err)
			}
			if t.Kind == KindTransfer {
				out = append(out, t)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// openIdentityCodes opens each patron's identity code once per file, by
// seal id, after logging every opening under the patron's subject key
// (their access copy shows it) — no personal data in the entry beyond it.
func (s *Service) openIdentityCodes(ctx context.Context, items []Transfer, now time.Time) (map[string]string, error) {
	bySeal := map[string]Transfer{}
	for _, t := range items {
		if _, ok := bySeal[t.SealID]; !ok && t.IdentityCode != nil {
			bySeal[t.SealID] = t
		}
	}
	seals := make([]string, 0, len(bySeal))
	for id := range bySeal {
		seals = append(seals, id)
	}
	sort.Strings(seals)
	codes := make(map[string]string, len(seals))
	for len(seals) > 0 {
		n := min(len(seals), 100)
		chunk := seals[:n]
		seals = seals[n:]
		var entries []types.TransactWriteItem
		for _, id := range chunk {
			t := bySeal[id]
			a, err := audit.Put(s.plat, now, audit.Entry{Event: EventHetuDecrypted, Ref: t.Batch, SubjectKey: t.SubjectKey})
			if err != nil {
				return nil, err
			}
			entries = append(entries, a)
		}
		if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: entries}); err != nil {
			return nil, fmt.Errorf("library transfer: audit the openings: %w", err)
		}
		// A KMS call each, so several at once: at the scale of the
		// metropolitan libraries a week's file names thousands of patrons.
		opened := make([]string, len(chunk))
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		sem := make(chan struct{}, transferOpeners)
		for i, id := range chunk {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				plain, err := s.open.Open(ctx, *bySeal[id].IdentityCode, HetuContext(id))
				opened[i], errs[i] = strings.TrimSpace(string(plain)), err
			}()
		}
		wg.Wait()
		for i, id := range chunk {
			if errs[i] != nil {
				return nil, fmt.Errorf("library transfer: open an identity code: %w", errs[i])
			}
			codes[id] = opened[i]
		}
	}
	return codes, nil
}

// transferOpeners is how many identity codes are opened at once.
const transferOpeners = 16

// transferCSV is one file: a header of TransferFileColumns and a row per
// item, formula-safe, ordered by patron and due date so a rerun writes the
// same bytes. codes are the opened identity codes by seal id.
func transferCSV(items []Transfer, codes map[string]string) ([]byte, error) {
	rows := append([]Transfer(nil), items...)
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.SealID != b.SealID {
			return a.SealID < b.SealID
		}
		if a.DueDate != b.DueDate {
			return a.DueDate < b.DueDate
		}
		return a.SK < b.SK
	})
	var buf bytes.Buffer
	w := csvsafe.NewWriter(&buf)
	if err := w.Write(TransferFileColumns); err != nil {
		return nil, err
	}
	for _, t := range rows {
		code, ok := codes[t.SealID]
		if !ok {
			return nil, fmt.Errorf("library transfer: an item of %s without its identity code", t.Batch)
		}
		if err := w.Write([]string{t.Name, t.Address, t.Phone, code, t.DueDate, t.Title, t.Price}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
