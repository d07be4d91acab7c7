// Package audit writes the register's event log: what happened, to which
// record, when, and never whose data it was beyond a subject-key prefix.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/subject"
)

// Entry is one event. Ref is an opaque id (a signup, mail or booking id).
type Entry struct {
	Event         string `dynamodbav:"event"`
	Ref           string `dynamodbav:"ref,omitempty"`
	List          string `dynamodbav:"list,omitempty"`
	SubjectPrefix string `dynamodbav:"subjectPrefix,omitempty"`
	// SubjectKey is the person the event concerns (pseudonymous, as in every
	// table), so their access copy shows what was done with their data —
	// the decryptions of their identity code for invoicing among it. Put
	// derives SubjectPrefix from it for the log-style reader.
	SubjectKey string `dynamodbav:"subjectKey,omitempty"`
	// Actor is who did it, when a person did (staff tool), never a customer.
	Actor string `dynamodbav:"actor,omitempty"`
	At    string `dynamodbav:"at"`
}

type item struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Kind string `dynamodbav:"kind"`
	Entry
}

// Kind is the declared record kind of an entry.
const Kind = "audit"

// Put is a transaction item that logs e at now in the audit table, kept as
// long as the register's audit rule says (the record seam stamps it).
func Put(recs *record.Catalogue, now time.Time, e Entry) (types.TransactWriteItem, error) {
	e.At = now.UTC().Format(time.RFC3339Nano)
	if e.SubjectKey != "" && e.SubjectPrefix == "" {
		e.SubjectPrefix = subject.Prefix(e.SubjectKey)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	pk := "AUDIT#" + now.UTC().Format("2006-01-02")
	it := item{
		PK:    pk,
		SK:    e.At + "#" + hex.EncodeToString(b[:]),
		Kind:  Kind,
		Entry: e,
	}
	return recs.Put(Kind, "any", it)
}
