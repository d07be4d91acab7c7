package main

// A library patron's request (staff requests create -register library):
// the patron found by customer number or identity code, as the library
// function stores them (internal/library keys.go), for the subject key the
// request carries and the e-mail its reply goes to.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/hetu"
	"rekisteri/internal/library"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/requests"
	"rekisteri/internal/subject"
)

// errNoPatron names no number or code: the terminal may be shared.
var errNoPatron = errors.New("no patron with that customer number or identity code: check it, or ask for the card")

// patron is the subject key and reply address of c's patron: by customer
// number the patron record's own key; by identity code the code's key,
// and the patron record it finds, if any (a pre-registered person's
// request reaches their pre-registration by the same key). The e-mail is
// -email, else the patron's; without either, only an access copy handed
// over at the service point (-deliver-to) can be answered.
func (t *requestsTool) patron(ctx context.Context, c requestsCmd, secret []byte) (key, email string, err error) {
	var item map[string]types.AttributeValue
	switch {
	case c.customer != "":
		if item, err = t.patronItem(ctx, library.PatronPK(c.customer)); err != nil {
			return "", "", err
		}
		if item == nil {
			return "", "", errNoPatron
		}
	default:
		line, rerr := bufio.NewReader(t.stdin).ReadString('\n')
		code, perr := hetu.Parse(strings.TrimSpace(line))
		if perr != nil || (rerr != nil && strings.TrimSpace(line) == "") {
			return "", "", errors.New("-hetu-stdin: no valid personal identity code on stdin (nothing was written)")
		}
		key = subject.HetuKey(secret, code.String())
		if item, err = t.patronBySubject(ctx, key); err != nil {
			return "", "", err
		}
	}
	var p struct {
		SubjectKey string `dynamodbav:"subjectKey"`
		Email      string `dynamodbav:"email"`
	}
	if item != nil {
		if err := attributevalue.UnmarshalMap(item, &p); err != nil {
			return "", "", fmt.Errorf("the patron record: %w", err)
		}
		if key == "" {
			key = p.SubjectKey
		}
	}
	if key == "" {
		return "", "", errors.New("the patron record has no subject key: it cannot be reached by a request")
	}
	email = p.Email
	if c.email != "" {
		email = c.email
	}
	email = subject.NormalizeEmail(email)
	if email == "" && (c.typ != requests.Access || c.deliver == "") {
		return "", "", errors.New("the patron has no e-mail address: give -email for the reply (or, for an access copy handed over at the service point, -deliver-to)")
	}
	if email != "" && !mail.ValidAddress(email) {
		return "", "", errors.New("the patron's e-mail address is not valid: give -email")
	}
	return key, email, nil
}

// patronItem reads the patron record of partition pk (nil: none).
func (t *requestsTool) patronItem(ctx context.Context, pk string) (map[string]types.AttributeValue, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.patrons), Key: dynamo.Key(pk, library.SKPatron), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("the patron record: %w", err)
	}
	return out.Item, nil
}

// patronBySubject is the patron record carrying key (nil: none), found on
// the bySubject index (keys only), then read whole.
func (t *requestsTool) patronBySubject(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	out, err := t.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(t.patrons), IndexName: aws.String(record.IndexBySubject),
		KeyConditionExpression:    aws.String("subjectKey = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		return nil, fmt.Errorf("the patron by identity code: %w", err)
	}
	for _, it := range out.Items {
		if sk, _ := it["sk"].(*types.AttributeValueMemberS); sk != nil && sk.Value == library.SKPatron {
			pk, _ := it["pk"].(*types.AttributeValueMemberS)
			return t.patronItem(ctx, pk.Value)
		}
	}
	return nil, nil
}
