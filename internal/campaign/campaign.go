// Package campaign sends a mailing to a list: staff write it (a subject and
// a Markdown body per language) and queue its id; this capability renders
// each body once, sanitised, with every link passed through the signed
// activity redirect, and pages the list's audience (internal/audience),
// writing one outbox job per active, unrestricted, deliverable subscriber.
// The outbox stream then brings each job to the mailer, which sends it in
// the subscriber's language with their own unsubscribe link.
package campaign

import (
	"errors"
	"slices"
	"strings"
	"time"

	"rekisteri/internal/mail"
)

// Kind is the declared record kind of a campaign.
const Kind = "campaign"

// Statuses of a campaign.
const (
	Queued  = "queued"  // written by staff, its id on the campaigns queue
	Writing = "writing" // rendered; its recipients' jobs being written, page by page
	Written = "written" // every recipient's job is in the outbox
)

// Langs are the languages a campaign may have; Finnish is required, and a
// subscriber whose language the campaign lacks gets Finnish.
var Langs = []string{"fi", "sv", "en"}

// Source is one language's mailing as staff wrote it.
type Source struct {
	Subject string `dynamodbav:"subject"`
	Body    string `dynamodbav:"body"` // Markdown
}

// Campaign is the stored campaign.
type Campaign struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Kind         string `dynamodbav:"kind"`
	CampaignList string `dynamodbav:"campaignList"` // the byCreated index's one partition
	List         string `dynamodbav:"list"`
	// Event, when set, makes the campaign an invitation: each recipient's
	// mail carries their own signed RSVP link to it (internal/events).
	Event     string                          `dynamodbav:"event,omitempty"`
	Status    string                          `dynamodbav:"status"`
	Source    map[string]Source               `dynamodbav:"source"`
	Content   map[string]mail.CampaignContent `dynamodbav:"content,omitempty"`
	CreatedAt string                          `dynamodbav:"createdAt"`
	CreatedBy string                          `dynamodbav:"createdBy"`
	WrittenAt string                          `dynamodbav:"writtenAt,omitempty"`
	// Cursor is where the page writer goes on: "<shard>" or
	// "<shard>|<pk of the last item written>"; "" before the first page.
	Cursor string `dynamodbav:"cursor,omitempty"`
	// Recipients: jobs written. Skipped: by reason (restricted). Sent and
	// Withheld: counted by the mailer as it sends.
	Recipients int            `dynamodbav:"recipients"`
	Skipped    map[string]int `dynamodbav:"skipped"`
	Sent       int            `dynamodbav:"sent"`
	Withheld   int            `dynamodbav:"withheld"`
}

// ID is the campaign's id.
func (c Campaign) ID() string { return strings.TrimPrefix(c.PK, "CAMPAIGN#") }

// Pending is how many written jobs the mailer has yet to send or withhold.
func (c Campaign) Pending() int { return max(0, c.Recipients-c.Sent-c.Withheld) }

// ErrNoFinnish: every campaign has a Finnish version, the fallback.
var ErrNoFinnish = errors.New("campaign: the Finnish subject and body are required (-subject, -body)")

// New prepares a campaign to list from its sources, by staff member actor.
func New(now time.Time, id, list, actor string, src map[string]Source) (Campaign, error) {
	if fi, ok := src["fi"]; !ok || strings.TrimSpace(fi.Subject) == "" || strings.TrimSpace(fi.Body) == "" {
		return Campaign{}, ErrNoFinnish
	}
	for lang, s := range src {
		if !slices.Contains(Langs, lang) {
			return Campaign{}, errors.New("campaign: language " + lang + " is not fi, sv or en")
		}
		if strings.TrimSpace(s.Subject) == "" || strings.TrimSpace(s.Body) == "" {
			return Campaign{}, errors.New("campaign: the " + lang + " version needs both a subject and a body")
		}
		if strings.ContainsAny(s.Subject, "\r\n") {
			return Campaign{}, errors.New("campaign: the " + lang + " subject must be one line")
		}
	}
	pk, sk := mail.CampaignKey(id)
	return Campaign{PK: pk, SK: sk, Kind: Kind, CampaignList: Kind, List: list, Status: Queued, Source: src,
		CreatedAt: now.UTC().Format(time.RFC3339), CreatedBy: actor, Skipped: map[string]int{}}, nil
}
