package main

// The data-subject request rows' items (requests.go): other subjects'
// records as the capabilities write them, and the measured subject's 20.

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
)

// reqSubjectOf is a subject key as package subject makes them (32 hex).
func reqSubjectOf(name string) string {
	h := fnv.New64a()
	h.Write([]byte("subject:" + name))
	return fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
}

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func avN(v int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

// reqItem is item i of a declared table other than bookings: another
// subject's record as the capability writes it, stamped from its rule.
// subscribers: four per subject (two lists, a subscription and its consent
// each); mail: two jobs per subject; requests: one answered request each.
func reqItem(cat *record.Catalogue, declared string, i int) (map[string]types.AttributeValue, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 0x7e9))
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	ago := func(maxDays int) time.Time {
		return reqNow.Add(-time.Duration(1+rng.Int64N(int64(maxDays)*86400)) * time.Second)
	}
	langs := []string{"fi", "sv", "en"}
	lang := langs[rng.IntN(3)]
	var kind, state string
	var item map[string]types.AttributeValue
	switch declared {
	case "subscribers":
		who := fmt.Sprintf("S%07d", i/4)
		subj := reqSubjectOf(who)
		list := []string{"news", "openings"}[i%4/2]
		signup := ago(900)
		common := map[string]types.AttributeValue{"pk": avS("SUB#" + subj), "subjectKey": avS(subj), "list": avS(list),
			"signupId": avS(fmt.Sprintf("s%07d%d", i/4, i%4/2)), "signupAt": avS(stamp(signup)), "lang": avS(lang), "channel": avS("web-form")}
		item = common
		if i%2 == 0 {
			kind, state = "subscription", "active"
			item["sk"] = avS("LIST#" + list)
			item["email"], item["name"] = avS(strings.ToLower(who)+"@example.fi"), avS("Tilaaja "+who[1:])
			item["status"], item["confirmedAt"] = avS("active"), avS(stamp(signup.Add(time.Hour)))
			item["lastActiveAt"] = avS(stamp(signup.Add(48 * time.Hour)))
			if list == "openings" {
				state = "unsubscribed"
				item["status"], item["unsubscribedAt"] = avS("unsubscribed"), avS(stamp(reqNow.Add(-time.Duration(rng.IntN(20*86400))*time.Second)))
				delete(item, "email")
				delete(item, "name")
			}
		} else {
			kind, state = "consent", "confirmed"
			item["sk"] = avS("CONSENT#" + list + "#" + attrOf(item, "signupId"))
			item["purpose"], item["legalBasis"] = avS(list), avS("consent")
			item["consentTextVersion"], item["noticeVersion"], item["form"] = avS("2026-01"), avS("2026-01"), avS("newsletter")
			item["method"], item["confirmedAt"] = avS("double-opt-in"), avS(stamp(signup.Add(time.Hour)))
			if list == "openings" {
				state = "withdrawn"
				item["withdrawnAt"], item["withdrawalChannel"] = avS(stamp(reqNow.Add(-time.Duration(rng.IntN(20*86400))*time.Second))), avS("unsubscribe-link")
			}
		}
	case "mail":
		subj := reqSubjectOf(fmt.Sprintf("M%07d", i/2))
		created := ago(29)
		templates := []string{"confirm", "welcome", "booking-received", "booking-accepted", "newsletter"}
		kind, state = "mail", "any"
		item = map[string]types.AttributeValue{
			"pk": avS(fmt.Sprintf("MAIL#%s.%07d", templates[i%5], i)), "sk": avS("MAIL"), "subjectKey": avS(subj),
			"to": avS(fmt.Sprintf("m%07d@example.fi", i/2)), "template": avS(templates[i%5]), "lang": avS(lang),
			"params": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"name": avS(fmt.Sprintf("Vastaanottaja %d", i/2)), "link": avS(fmt.Sprintf("https://museo.example.fi/l/%016x", rng.Uint64()))}},
			"class":  avS("transactional"), "status": avS("sent"), "attempts": avN(1 + rng.IntN(2)),
			"createdAt": avS(stamp(created)), "sentAt": avS(stamp(created.Add(time.Duration(1+rng.IntN(60)) * time.Second))),
			"sesMessageId": avS(fmt.Sprintf("%016x-%016x-000000", rng.Uint64(), rng.Uint64())),
		}
	case "requests":
		subj := reqSubjectOf(fmt.Sprintf("R%07d", i))
		received := ago(1000)
		types_ := []string{"access", "erasure", "rectification", "restriction", "objection"}
		kind, state = "request", "resolved"
		item = map[string]types.AttributeValue{
			"pk": avS(fmt.Sprintf("REQUEST#r%012d", i)), "sk": avS("REQUEST"), "subjectKey": avS(subj), "type": avS(types_[i%5]),
			"email": avS(fmt.Sprintf("r%07d@example.fi", i)), "details": avS(strings.Repeat("lisätietoja ", rng.IntN(10))), "lang": avS(lang),
			"status": avS("resolved"), "channel": avS("web-form"), "receivedAt": avS(stamp(received)), "verifiedAt": avS(stamp(received.Add(10 * time.Minute))),
			"dueOn": avS(received.AddDate(0, 1, 0).Format("2006-01-02")), "resolvedAt": avS(stamp(received.Add(time.Duration(1+rng.IntN(20)) * 24 * time.Hour))),
			"steps":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"copy": avS(stamp(received.Add(time.Hour))), "reply": avS(stamp(received.Add(2 * time.Hour)))}},
			"outcome": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"records": avS(strconv.Itoa(rng.IntN(20)))}},
		}
	default:
		return nil, fmt.Errorf("generator: no items for table %s", declared)
	}
	if err := cat.Stamp(kind, state, item); err != nil {
		return nil, err
	}
	return item, nil
}

func attrOf(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// reqRecord is one of the measured subject's records, stamped.
type reqRecord struct {
	Table string // deployed
	Item  map[string]types.AttributeValue
}

// reqSubject are the measured subject's 20 records: 6 in subscribers (two
// subscriptions, three consent receipts, a signup handed over), 7 in
// bookings (four bookings, two identity codes, a mail budget), 6 mail jobs
// and an earlier request. Erasure keeps 6 under their exceptions (two
// consent receipts, two accepted bookings, the invoiced identity code, the
// request) and deletes 14.
func reqSubject(cat *record.Catalogue) ([]reqRecord, error) {
	p := reqSubjectKey[:12]
	email := "maija.meikalainen@example.fi"
	recs := []struct {
		kind, state, pk, sk string
		attrs               map[string]string
	}{
		{"subscription", "active", "SUB#" + p, "LIST#news", map[string]string{"list": "news", "email": email, "name": "Maija Meikäläinen", "lang": "fi", "status": "active", "signupId": "s1", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z", "channel": "web-form"}},
		{"subscription", "unsubscribed", "SUB#" + p, "LIST#openings", map[string]string{"list": "openings", "lang": "fi", "status": "unsubscribed", "signupId": "s2", "signupAt": "2026-02-01T10:00:00Z", "confirmedAt": "2026-02-01T10:30:00Z", "unsubscribedAt": "2026-11-20T08:00:00Z", "channel": "web-form"}},
		{"consent", "confirmed", "SUB#" + p, "CONSENT#news#s1", map[string]string{"list": "news", "purpose": "newsletter", "legalBasis": "consent", "signupId": "s1", "consentTextVersion": "2026-01", "noticeVersion": "2026-01", "form": "newsletter", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-01-10T10:00:00Z", "confirmedAt": "2026-01-10T11:00:00Z"}},
		{"consent", "withdrawn", "SUB#" + p, "CONSENT#openings#s2", map[string]string{"list": "openings", "purpose": "openings", "legalBasis": "consent", "signupId": "s2", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-02-01T10:00:00Z", "confirmedAt": "2026-02-01T10:30:00Z", "withdrawnAt": "2026-11-20T08:00:00Z", "withdrawalChannel": "unsubscribe-link"}},
		{"consent", "unconfirmed", "SUB#" + p, "CONSENT#news#s3", map[string]string{"list": "news", "purpose": "newsletter", "legalBasis": "consent", "signupId": "s3", "lang": "fi", "method": "double-opt-in", "channel": "web-form", "signupAt": "2026-11-29T10:00:00Z"}},
		{"signup-request", "any", "SIGNUP#" + p, "SIGNUP", map[string]string{"email": email, "name": "Maija", "lang": "fi", "channel": "bookings-form", "form": "bookings", "createdAt": "2026-11-30T10:00:00Z"}},
		{"booking", "any", "BOOKING#A1" + p, "BOOKING", map[string]string{"reference": "A1" + p[:4], "resource": "guided-tour", "date": "2026-09-01", "start": "10:00", "end": "11:00", "firstName": "Maija", "lastName": "Meikäläinen", "email": email, "phone": "+358401234567", "organisation": "Koulu", "payment": "invoice", "notes": "lisätieto", "lang": "fi", "status": "accepted", "createdAt": "2026-08-01T10:00:00Z", "decidedAt": "2026-08-02T10:00:00Z"}},
		{"booking", "any", "BOOKING#A2" + p, "BOOKING", map[string]string{"reference": "A2" + p[:4], "resource": "workshop", "date": "2026-12-15", "start": "12:00", "end": "14:00", "firstName": "Maija", "lastName": "Meikäläinen", "email": email, "phone": "+358401234567", "payment": "card", "lang": "fi", "status": "accepted", "remindOn": "2026-12-13", "createdAt": "2026-11-01T10:00:00Z", "decidedAt": "2026-11-02T10:00:00Z"}},
		{"booking", "any", "BOOKING#D1" + p, "BOOKING", map[string]string{"reference": "D1" + p[:4], "resource": "auditorium", "date": "2026-12-20", "firstName": "Maija", "email": email, "lang": "fi", "status": "declined", "declineReason": "full", "createdAt": "2026-11-10T10:00:00Z", "decidedAt": "2026-11-11T10:00:00Z"}},
		{"booking", "any", "BOOKING#C1" + p, "BOOKING", map[string]string{"reference": "C1" + p[:4], "resource": "school-visit", "date": "2027-01-20", "firstName": "Maija", "email": email, "lang": "fi", "status": "cancelled", "createdAt": "2026-11-12T10:00:00Z", "cancelledAt": "2026-11-13T10:00:00Z"}},
		{"booking-hetu", "invoiced", "BOOKING#A1" + p, "HETU", map[string]string{"sealed": "v1.c2VhbGVkLWJlbmNoLWhldHUtaW52b2ljZWQ", "createdAt": "2026-08-01T10:00:00Z", "invoicedAt": "2026-09-02T10:00:00Z"}},
		{"booking-hetu", "open", "BOOKING#A2" + p, "HETU", map[string]string{"sealed": "v1.c2VhbGVkLWJlbmNoLWhldHUtb3Blbg", "createdAt": "2026-11-01T10:00:00Z"}},
		{"mail-budget", "any", "MAILBUDGET#" + reqSubjectKey, "BUDGET", map[string]string{"windowStart": "2026-11-30T10:00:00Z"}},
		{"mail", "any", "MAIL#confirm." + p, "MAIL", map[string]string{"to": email, "template": "confirm", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-29T10:00:01Z", "sentAt": "2026-11-29T10:00:03Z"}},
		{"mail", "any", "MAIL#welcome." + p, "MAIL", map[string]string{"to": email, "template": "welcome", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-29T10:05:00Z", "sentAt": "2026-11-29T10:05:02Z"}},
		{"mail", "any", "MAIL#booking-received." + p, "MAIL", map[string]string{"to": email, "template": "booking-received", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-12T10:00:01Z", "sentAt": "2026-11-12T10:00:02Z"}},
		{"mail", "any", "MAIL#booking-declined." + p, "MAIL", map[string]string{"to": email, "template": "booking-declined", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-11T10:00:01Z", "sentAt": "2026-11-11T10:00:02Z"}},
		{"mail", "any", "MAIL#booking-accepted." + p, "MAIL", map[string]string{"to": email, "template": "booking-accepted", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-02T10:00:01Z", "sentAt": "2026-11-02T10:00:02Z"}},
		{"mail", "any", "MAIL#request-verify." + p, "MAIL", map[string]string{"to": email, "template": "request-verify", "lang": "fi", "class": "transactional", "status": "sent", "createdAt": "2026-11-30T09:00:01Z", "sentAt": "2026-11-30T09:00:02Z"}},
		{"request", "resolved", "REQUEST#rearlier" + p[:5], "REQUEST", map[string]string{"type": "access", "email": email, "details": "Haluan kopion tiedoistani.", "lang": "fi", "status": "resolved", "channel": "web-form", "receivedAt": "2026-03-01T10:00:00Z", "verifiedAt": "2026-03-01T10:10:00Z", "dueOn": "2026-04-01", "resolvedAt": "2026-03-05T10:00:00Z"}},
	}
	out := make([]reqRecord, 0, len(recs))
	for _, r := range recs {
		item := map[string]types.AttributeValue{"pk": avS(r.pk), "sk": avS(r.sk), "subjectKey": avS(reqSubjectKey)}
		for k, v := range r.attrs {
			item[k] = avS(v)
		}
		tw, err := cat.Put(r.kind, r.state, item)
		if err != nil {
			return nil, fmt.Errorf("subject's %s %s: %w", r.kind, r.state, err)
		}
		out = append(out, reqRecord{Table: aws.ToString(tw.Put.TableName), Item: tw.Put.Item})
	}
	return out, nil
}
