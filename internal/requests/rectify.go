package requests

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/recordstore"
)

// rectify applies the correction staff stored on a rectification request to
// every record of the subject that holds one of its attributes, tells the
// declared recipients (Art. 19) and the person, and answers the request.
func (s *Service) rectify(ctx context.Context, req *Request) error {
	if req.Type != Rectification || req.Status != Open {
		return fmt.Errorf("not an open rectification")
	}
	if len(req.Correction) == 0 {
		return fmt.Errorf("no correction stored")
	}
	if err := s.step(ctx, req, "rectified", func() (map[string]string, error) {
		counts, err := s.applyCorrection(ctx, req)
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for kind, n := range counts {
			out["rectified."+kind] = strconv.Itoa(n)
		}
		return out, nil
	}); err != nil {
		return err
	}
	if err := s.receipt(ctx, req); err != nil {
		return err
	}
	if err := s.tellRecipients(ctx, req, "rectified", outcomeKinds(req.Outcome, "rectified.")); err != nil {
		return err
	}
	if err := s.resolve(ctx, req); err != nil {
		return err
	}
	return s.resolvedNotice(ctx, req)
}

// applyCorrection sets each corrected attribute on every record of the
// subject that already holds it (a kind that declares it); records under
// restriction are corrected too: correcting is what a restriction waits for.
func (s *Service) applyCorrection(ctx context.Context, req *Request) (map[string]int, error) {
	attrs := make([]string, 0, len(req.Correction))
	for a := range req.Correction {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	counts := map[string]int{}
	for _, st := range s.reach {
		if err := s.correctIn(ctx, st, req, attrs, counts); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// correctIn applies the correction to the subject's records in st's tables.
func (s *Service) correctIn(ctx context.Context, st *recordstore.Store, req *Request, attrs []string, counts map[string]int) error {
	reg := st.Catalogue().Register()
	for _, table := range record.Tables(reg) {
		items, err := st.Items(ctx, table, req.SubjectKey)
		if err != nil {
			return err
		}
		for _, it := range items {
			kind, ok := reg.Record(str(it, record.AttrKind))
			if !ok {
				continue
			}
			names := map[string]string{}
			vals := map[string]types.AttributeValue{}
			var set []string
			for i, a := range attrs {
				if _, held := it[a]; !held || !slices.Contains(kind.Attributes, a) || slices.Contains(record.Envelope, a) {
					continue
				}
				n, p := "#c"+strconv.Itoa(i), ":c"+strconv.Itoa(i)
				names[n], vals[p] = a, sv(req.Correction[a])
				set = append(set, n+" = "+p)
			}
			if len(set) == 0 {
				continue
			}
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(st.Catalogue().Table(table)), Key: dynamo.Key(str(it, record.AttrPK), str(it, record.AttrSK)),
				UpdateExpression: aws.String("SET " + strings.Join(set, ", ")), ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
			})
			if dynamo.ConditionFailed(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("rectify %s: %w", kind.Kind, err)
			}
			counts[kind.Kind]++
		}
	}
	return nil
}
