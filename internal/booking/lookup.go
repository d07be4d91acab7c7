package booking

// Reading a booking: by the token of a link in its mail, and what a page
// may show of it.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/keyring"
	"rekisteri/internal/token"
)

func (s *Service) verify(ctx context.Context, tok, purpose string) (token.Claims, keyring.Keys, error) {
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return token.Claims{}, keys, err
	}
	c, err := token.Verify(keys.Token, tok, purpose, s.now())
	switch {
	case errors.Is(err, token.ErrExpired):
		return c, keys, ErrLinkExpired
	case err != nil:
		return c, keys, ErrLinkInvalid
	}
	return c, keys, nil
}

// fromLink verifies a link's token and reads the booking it names.
func (s *Service) fromLink(ctx context.Context, tok, purpose string) (record, keyring.Keys, error) {
	c, keys, err := s.verify(ctx, tok, purpose)
	if err != nil {
		return record{}, keys, err
	}
	rec, err := s.get(ctx, c.ID)
	return rec, keys, err
}

// Lookup returns the booking a link's token names, for its page.
func (s *Service) Lookup(ctx context.Context, tok, purpose string) (View, error) {
	rec, _, err := s.fromLink(ctx, tok, purpose)
	if err != nil {
		return View{}, err
	}
	return s.view(rec), nil
}

// View is what a page may show of a booking: never the identity code.
type View struct {
	Reference, Resource, Date, Start, End, Status, Name, Email, Phone string
	Organisation, BusinessID, Payment, Address, Notes, DeclineReason  string
	Participants                                                      int
	HetuGiven                                                         bool
}

func (s *Service) view(rec record) View {
	res, _ := s.reg.Resource(rec.Resource)
	addr := ""
	if rec.Street != "" {
		addr = rec.Street + ", " + rec.Postcode + " " + rec.City
	}
	return View{Reference: rec.Reference, Resource: res.Name.In("fi"), Date: rec.Date, Start: rec.Start, End: rec.End,
		Status: rec.Status, Name: rec.FirstName + " " + rec.LastName, Email: rec.Email, Phone: rec.Phone,
		Organisation: rec.Organisation, BusinessID: rec.BusinessID, Payment: rec.Payment, Address: addr, Notes: rec.Notes,
		DeclineReason: rec.DeclineReason, Participants: rec.Participants, HetuGiven: rec.HetuGiven}
}

func (s *Service) get(ctx context.Context, ref string) (record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.tables.Bookings), Key: dynamo.Key(bookingPK(ref), bookingSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return record{}, fmt.Errorf("read booking %s: %w", ref, err)
	}
	if out.Item == nil {
		return record{}, ErrNotFound
	}
	var rec record
	err = attributevalue.UnmarshalMap(out.Item, &rec)
	return rec, err
}
