package requests

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// object carries out an objection to direct marketing (Art. 21(2)–(3)):
// every record kind the declaration gives an `objection` is changed as it
// says — every list unsubscribed at once, each consent withdrawn with the
// channel recorded — through the seam, which restamps their retention.
func (s *Service) object(ctx context.Context, req *Request) error {
	if err := s.step(ctx, req, "unsubscribed", func() (map[string]string, error) {
		lists, n, err := s.applyObjection(ctx, req.SubjectKey, s.now())
		if err != nil {
			return nil, err
		}
		return map[string]string{"lists": strings.Join(lists, ","), "objected.records": strconv.Itoa(n)}, nil
	}); err != nil {
		return err
	}
	if err := s.receipt(ctx, req); err != nil {
		return err
	}
	if err := s.step(ctx, req, "replied", func() (map[string]string, error) {
		var names []string
		for _, id := range strings.Split(req.Outcome["lists"], ",") {
			if l, ok := s.reg.List(id); ok {
				names = append(names, l.Name.In(req.Lang))
			}
		}
		return nil, s.send(ctx, *req, "request-objection."+req.ID(), req.Email, "request-objection",
			map[string]string{"id": req.ID(), "lists": strings.Join(names, ", ")}, "request-objection-replied")
	}); err != nil {
		return err
	}
	return s.resolve(ctx, req)
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// applyObjection changes the subject's records as the declaration's
// objections say and returns the lists ended and the records changed. A
// record already withdrawn (carrying the objection's Unless) is left alone.
func (s *Service) applyObjection(ctx context.Context, sk string, now time.Time) ([]string, int, error) {
	var lists []string
	n := 0
	for _, st := range s.reach {
		reg := st.Catalogue().Register()
		for _, table := range record.Tables(reg) {
			items, err := st.Items(ctx, table, sk)
			if err != nil {
				return nil, 0, err
			}
			for _, it := range items {
				kind, ok := reg.Record(str(it, record.AttrKind))
				if !ok || kind.Objection == nil {
					continue
				}
				o := kind.Objection
				if _, done := it[o.Unless]; done {
					continue
				}
				changed, err := s.objectOne(ctx, st.Catalogue(), table, kind.Kind, o, it, now)
				if err != nil {
					return nil, 0, err
				}
				if changed {
					n++
					if l := str(it, "list"); l != "" && kind.Kind == "subscription" && !slices.Contains(lists, l) {
						lists = append(lists, l)
					}
				}
			}
		}
	}
	slices.Sort(lists)
	return lists, n, nil
}

func (s *Service) objectOne(ctx context.Context, cat *record.Catalogue, table, kind string, o *register.Objection, it map[string]types.AttributeValue, now time.Time) (bool, error) {
	pk, sk := str(it, record.AttrPK), str(it, record.AttrSK)
	ch, err := cat.Enter(kind, o.Enter, pk, map[string]time.Time{o.At: now})
	if err != nil {
		return false, err
	}
	names := map[string]string{"#at": o.At, "#unless": o.Unless}
	vals := map[string]types.AttributeValue{":at": sv(now.UTC().Format(time.RFC3339))}
	set := "#at = :at"
	i := 0
	for a, v := range o.Set {
		n, p := "#s"+strconv.Itoa(i), ":s"+strconv.Itoa(i)
		names[n], vals[p] = a, sv(v)
		set += ", " + n + " = " + p
		i++
	}
	var remove []string
	for j, a := range o.Remove {
		n := "#r" + strconv.Itoa(j)
		names[n] = a
		remove = append(remove, n)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(cat.Table(table)), Key: dynamo.Key(pk, sk),
		UpdateExpression:          aws.String(ch.Expression(set, strings.Join(remove, ", "))),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(#unless)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: ch.Values(vals),
	})
	if dynamo.ConditionFailed(err) {
		return false, nil // withdrawn meanwhile, or gone
	}
	if err != nil {
		return false, fmt.Errorf("objection %s: %w", kind, err)
	}
	return true, nil
}
