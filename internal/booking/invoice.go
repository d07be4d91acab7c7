package booking

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/csvsafe"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/fieldcrypt"
	seam "rekisteri/internal/record"
	"rekisteri/internal/register"
)

type opener interface {
	Open(ctx context.Context, s fieldcrypt.Sealed, ec fieldcrypt.Context) ([]byte, error)
}

type invoiceDB interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// InvoiceRow is one line for the finance system.
type InvoiceRow struct {
	Reference, Date, Resource, Start, End string
	Participants                          int
	Name, Organisation, BusinessID, Hetu  string
	Street, Postcode, City, Email         string
}

// Invoicing exports accepted invoice bookings for the finance system. It is
// the only code that decrypts identity codes; it runs in the staff tool
// under a person's own credentials, and logs every decryption to the audit
// table with who did it and which booking, never the code.
type Invoicing struct {
	reg    *register.Register
	db     invoiceDB
	open   opener
	tables Tables
	recs   *seam.Catalogue
	actor  string
	now    func() time.Time
	// withheld are the references of bookings the last Export left out
	// because their person asked for restriction (Art. 18): no transfer.
	withheld []string
}

// Withheld are the references of the bookings the last Export left out
// because their person restricted the processing (Art. 18); staff see them,
// and they are invoiced once the restriction is lifted.
func (v *Invoicing) Withheld() []string { return v.withheld }

// NewInvoicing returns the export for actor (a staff member's name or id).
func NewInvoicing(reg *register.Register, db invoiceDB, open opener, tables Tables, actor string) *Invoicing {
	recs := seam.MustCatalogue(reg, map[string]string{"bookings": tables.Bookings, "mail": tables.Mail, "audit": tables.Audit})
	return &Invoicing{reg: reg, db: db, open: open, tables: tables, recs: recs, actor: actor, now: time.Now}
}

// At makes the export decide by now instead of the real clock: the staff
// tool with -local reads the local stack's movable clock.
func (v *Invoicing) At(now func() time.Time) *Invoicing {
	v.now = now
	return v
}

// Export writes the CSV of bookings of months from through to (YYYY-MM) not
// yet invoiced, then marks them invoiced and starts their identity codes'
// 3-month clock. A booking is marked only after its row is written.
func (v *Invoicing) Export(ctx context.Context, from, to string, w io.Writer) (int, error) {
	if v.actor == "" {
		return 0, fmt.Errorf("invoicing needs the name of the person running it")
	}
	start, err := time.Parse("2006-01", from)
	if err != nil {
		return 0, fmt.Errorf("from month %q: want YYYY-MM", from)
	}
	end, err := time.Parse("2006-01", to)
	if err != nil || end.Before(start) {
		return 0, fmt.Errorf("to month %q: want YYYY-MM, not before %s", to, from)
	}
	var recs []record
	v.withheld = nil
	for m := start; !m.After(end); m = m.AddDate(0, 1, 0) {
		in := &dynamodb.QueryInput{
			TableName: aws.String(v.tables.Bookings), IndexName: aws.String("byInvoice"),
			KeyConditionExpression:    aws.String("toInvoice = :m"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":m": sv(m.Format("2006-01"))},
		}
		for {
			out, err := v.db.Query(ctx, in)
			if err != nil {
				return 0, fmt.Errorf("bookings to invoice in %s: %w", m.Format("2006-01"), err)
			}
			for _, it := range out.Items {
				pk, _ := it["pk"].(*types.AttributeValueMemberS)
				if pk == nil {
					continue
				}
				rec, err := v.get(ctx, pk.Value, bookingSK)
				if err != nil {
					return 0, err
				}
				var r record
				if err := attributevalue.UnmarshalMap(rec, &r); err != nil {
					return 0, err
				}
				if r.Status != Accepted || r.InvoicedAt != "" {
					continue
				}
				// A restriction asked for stops the transfer to finance; a
				// booking an erasure kept for the Accounting Act is invoiced.
				if _, restricted := rec[seam.AttrRestricted]; restricted {
					why, _ := rec[seam.AttrRestrictedFor].(*types.AttributeValueMemberS)
					if why == nil || !v.reg.IsException(why.Value) {
						v.withheld = append(v.withheld, r.Reference)
						continue
					}
				}
				recs = append(recs, r)
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	// Names, organisations and addresses come from the public form: the
	// writer keeps any formula in them from running in a spreadsheet.
	cw := csvsafe.NewWriter(w)
	_ = cw.Write([]string{"reference", "date", "resource", "start", "end", "participants", "name", "organisation", "business_id", "hetu", "street", "postcode", "city", "email"})
	rows := 0
	for _, r := range recs {
		code := ""
		if r.HetuGiven && r.BusinessID == "" {
			if code, err = v.decrypt(ctx, r); err != nil {
				cw.Flush()
				return rows, err
			}
		}
		res, _ := v.reg.Resource(r.Resource)
		_ = cw.Write([]string{r.Reference, r.Date, res.Name.In("fi"), r.Start, r.End, strconv.Itoa(r.Participants),
			r.FirstName + " " + r.LastName, r.Organisation, r.BusinessID, code, r.Street, r.Postcode, r.City, r.Email})
		cw.Flush()
		if err := cw.Error(); err != nil {
			return rows, err
		}
		if err := v.markInvoiced(ctx, r); err != nil {
			return rows, err
		}
		rows++
	}
	return rows, nil
}

func (v *Invoicing) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := v.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(v.tables.Bookings), Key: dynamo.Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", pk, sk, err)
	}
	return out.Item, nil
}

// decrypt opens one identity code, after writing who is about to see it.
func (v *Invoicing) decrypt(ctx context.Context, r record) (string, error) {
	item, err := v.get(ctx, r.PK, hetuSK)
	if err != nil {
		return "", err
	}
	if item == nil {
		return "", fmt.Errorf("booking %s: identity code missing", r.Reference)
	}
	var h hetuRecord
	if err := attributevalue.UnmarshalMap(item, &h); err != nil {
		return "", err
	}
	now := v.now()
	a, err := audit.Put(v.recs, now, audit.Entry{Event: "hetu.decrypted", Ref: r.Reference, Actor: v.actor, SubjectKey: r.SubjectKey})
	if err != nil {
		return "", err
	}
	if _, err := v.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: a.Put.TableName, Item: a.Put.Item}); err != nil {
		return "", fmt.Errorf("audit decryption of %s: %w", r.Reference, err)
	}
	plain, err := v.open.Open(ctx, h.Sealed, HetuContext(r.Reference))
	if err != nil {
		return "", fmt.Errorf("open identity code of %s: %w", r.Reference, err)
	}
	return strings.TrimSpace(string(plain)), nil
}

func (v *Invoicing) markInvoiced(ctx context.Context, r record) error {
	now := v.now()
	tx := []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(v.tables.Bookings), Key: dynamo.Key(r.PK, bookingSK),
		UpdateExpression:          aws.String("SET invoicedAt = :now REMOVE toInvoice"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": sv(stamp(now))},
	}}}
	if r.HetuGiven {
		// The identity code is now invoiced: its rule's clock starts.
		invoiced := v.recs.MustEnter("booking-hetu", "invoiced", r.PK, map[string]time.Time{"invoicedAt": now})
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(v.tables.Bookings), Key: dynamo.Key(r.PK, hetuSK),
			UpdateExpression:          aws.String(invoiced.Expression("invoicedAt = :now", "")),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: invoiced.Values(map[string]types.AttributeValue{":now": sv(stamp(now))}),
		}})
	}
	if _, err := v.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		return fmt.Errorf("mark %s invoiced: %w", r.Reference, err)
	}
	return nil
}
