// Package audience is the index a list mail is sent from: a subscription is
// on its list's audience while it is active and deliverable, and nowhere
// else. The newsletter puts it there when it is confirmed and takes it off
// when it is unsubscribed, withdrawn by a complaint or bounced; a campaign
// pages the audience and never scans the table. Restriction (Art. 18) is
// not an audience matter: restricted subscriptions stay on it and the page
// writer skips them (and counts them), as the mailer would withhold them.
package audience

import (
	"fmt"

	"rekisteri/internal/dynamo"
)

// Attr is the subscription attribute the index is keyed on: "<list>#<shard>".
const Attr = "sendTo"

// Index is the subscribers table's GSI on Attr, sorted by pk.
const Index = "byList"

// Shards spreads a list over this many index partitions, so that one list
// of tens of thousands is read as several small partitions in turn.
const Shards = 8

// Key is the Attr value of the subscription with partition key pk on list.
func Key(list, pk string) string {
	return ShardKey(list, Shard(pk))
}

// ShardKey is the Attr value of shard n of list.
func ShardKey(list string, n int) string { return fmt.Sprintf("%s#%d", list, n) }

// Shard is the shard of the subscription with partition key pk: the
// table's stable shard of the key (dynamo.Shard), folded to Shards.
func Shard(pk string) int { return dynamo.Shard(pk) % Shards }

// The keys of the subscribers table: a person's items share the partition
// SubjectPK; each list's subscription is ListSK, each signup's consent
// receipt ConsentSK.
func SubjectPK(subjectKey string) string     { return "SUB#" + subjectKey }
func ListSK(list string) string              { return "LIST#" + list }
func ConsentSK(list, signupID string) string { return "CONSENT#" + list + "#" + signupID }

// Undeliverable is the subscription attribute set (to the list) when the
// address hard-bounced; its sparse index UndeliverableIndex, sorted by
// UndeliverableAt, is what staff list.
const (
	Undeliverable      = "undeliverable"
	UndeliverableAt    = "undeliverableAt"
	UndeliverableIndex = "byUndeliverable"
	SoftBounces        = "softBounces"
)
