// Package leaving is what leaving one of the lists staff keep records of
// does to those records (internal/contacts), apart from the rest of the
// package, so that the newsletter links only this: an unsubscribe link
// ends the seniors' postal membership, and is a media contact's objection.
package leaving

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
)

// The lists, kinds, sort keys and states both packages name.
const (
	SeniorsList = "seniors"
	MediaList   = "media"
	SeniorKind  = "senior"
	MediaKind   = "media-contact"
	SeniorSK    = "SENIOR"
	MediaSK     = "MEDIA"
	Removed     = "removed"
	Objected    = "objected"
	// ObjectionChannel is recorded on a media contact who objected by a link.
	ObjectionChannel = "objection"
)

func sv(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Items are the transaction items that end what internal/contacts keeps
// on the person with partition key pk for list once they leave it,
// whichever way (staff, an unsubscribe link, a complaint):
//
//   - seniors: the member leaves the postal list at once, their address
//     removed, the rest on the senior-removed clock;
//   - media: the contact's objection (Art. 21(1)) is recorded, with the
//     channel "objection", the address removed, the rest on the
//     media-contact-objected clock.
//
// Other lists own no record here and give none.
func Items(recs *record.Catalogue, list, pk string, now time.Time) ([]types.TransactWriteItem, error) {
	var (
		kind, state, sk, set, remove string
		at                           map[string]time.Time
		vals                         = map[string]types.AttributeValue{":now": sv(stamp(now))}
	)
	switch list {
	case SeniorsList:
		kind, state, sk = SeniorKind, Removed, SeniorSK
		at = map[string]time.Time{"removedAt": now}
		set, remove = "#status = :state, removedAt = :now", "street, postcode, city, email, sendTo"
	case MediaList:
		kind, state, sk = MediaKind, Objected, MediaSK
		at = map[string]time.Time{"objectedAt": now}
		set, remove = "#status = :state, objectedAt = :now, objectionChannel = :channel", "email"
		vals[":channel"] = sv(ObjectionChannel)
	default:
		return nil, nil
	}
	vals[":state"] = sv(state)
	ch, err := recs.Enter(kind, state, pk, at)
	if err != nil {
		return nil, err
	}
	table, err := recs.TableOf(kind)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(table), Key: dynamo.Key(pk, sk),
		UpdateExpression:          aws.String(ch.Expression(set, remove)),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: ch.Values(vals),
	}}}, nil
}
