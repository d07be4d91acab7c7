// Package register is the declaration of the city's registers: controller,
// purposes, legal bases, data, recipients and retention. Code reads retention
// periods, consent texts and notice content from here rather than repeating
// them, so the published notice cannot drift from what the system does.
package register

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

//go:generate go run ./gen

// files holds each register's <id>.yaml, the declaration people edit, and
// <id>.json, generated from it by `go generate ./internal/register` and
// committed. Load decodes the JSON: encoding/json reads it several times
// faster than yaml.v3 reads the YAML, every cold start loads it, and the
// functions do not link a YAML decoder at all (package registeryaml decodes
// the YAML, at build time only). The YAML is embedded for its hash alone:
// registeryaml's TestJSONIsCurrent fails when a .json is stale, and Load
// refuses one generated from other YAML bytes than those embedded.
//
//go:embed *.yaml *.json
var files embed.FS

// Languages the notices, forms and mail are written in; the first is the default.
var Languages = []string{"fi", "sv", "en"}

// Text is one text in every language, keyed by language code. Decoding the
// YAML (package registeryaml) refuses any other key: in a flow mapping an
// unquoted comma splits a text, and the rest of it would otherwise become a
// key of its own, silently cutting the text short.
type Text map[string]string

// In returns the text in lang, falling back to Finnish.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	return t["fi"]
}

// Register is one register's declaration, as in its privacy notice.
type Register struct {
	ID         string `yaml:"id"`
	Name       Text   `yaml:"name"`
	Controller struct {
		Name    Text   `yaml:"name"`
		Address string `yaml:"address"`
		Phone   string `yaml:"phone"`
	} `yaml:"controller"`
	Responsible Person   `yaml:"responsible"`
	Contacts    []Person `yaml:"contacts"`
	DPO         struct {
		Email string `yaml:"email"`
		Name  Text   `yaml:"name" json:",omitempty"` // as the notice names them ("the cities' DPOs")
	} `yaml:"dpo"`
	RightsGuide    string       `yaml:"rightsGuide"`
	Publicity      Text         `yaml:"publicity"`
	Transfers      Text         `yaml:"transfers"`
	Security       Text         `yaml:"security"`
	Purposes       []Purpose    `yaml:"purposes"`
	Lists          []List       `yaml:"lists"`
	Bounces        Bounces      `yaml:"bounces"`
	Repermission   Repermission `yaml:"repermission"`
	Recipients     []Recipient  `yaml:"recipients"`
	Sources        []Named      `yaml:"sources"`
	DataCategories []Named      `yaml:"dataCategories"`
	Records        []RecordKind `yaml:"records"`
	Locations      []Named      `yaml:"locations"`
	Resources      []Resource   `yaml:"resources"`
	BookingContact string       `yaml:"bookingContact"`
	MailBudgets    []MailBudget `yaml:"mailBudgets"`
	Survey         []Question   `yaml:"survey"`
	Logs           []Log        `yaml:"logs"`
	// ErasureExceptions are the Art. 17(3) grounds the records name.
	ErasureExceptions []Exception `yaml:"erasureExceptions"`
	// Authority is the supervisory authority a person may complain to.
	Authority struct {
		Name Text   `yaml:"name"`
		URL  string `yaml:"url"`
	} `yaml:"authority"`
	version string

	// SecurityMeasures are the technical and organisational measures
	// (Art. 32(1)) the record of processing lists (Art. 30(1)(g)).
	SecurityMeasures []Measure `yaml:"securityMeasures"`
	// DataSubjects are the categories of data subjects (Art. 30(1)(c)).
	DataSubjects []Named          `yaml:"dataSubjects"`
	Joint        `yaml:",inline"` // joint controllers, laws, informing (joint.go)
}

// Log is a log kept outside the tables (the functions' CloudWatch logs):
// what it holds and how long it is kept; template.yaml's log groups keep it
// that long, and the notice says so.
type Log struct {
	ID    string `yaml:"id"`
	Keep  Period `yaml:"keep"`
	Holds Text   `yaml:"holds"`
	Text  Text   `yaml:"text"`
}

// Log returns the declared log with id.
func (r *Register) Log(id string) (Log, bool) {
	i := slices.IndexFunc(r.Logs, func(l Log) bool { return l.ID == id })
	if i < 0 {
		return Log{}, false
	}
	return r.Logs[i], true
}

// Recipient is a recipient of the data: a processor acting for the
// controller, or a recipient of its own (Art. 30(1)(d)).
type Recipient struct {
	ID   string `yaml:"id"`
	Role string `yaml:"role"` // processor or recipient
	Name Text   `yaml:"name"`
	// Email is where a recipient of its own is told of a rectification,
	// erasure or restriction that concerns what it received (Art. 19).
	Email string `yaml:"email"`
}

// Measure is one technical or organisational security measure.
type Measure struct {
	ID   string `yaml:"id"`
	Text Text   `yaml:"text"`
}

// LegalBases maps each legal basis a purpose may declare to its GDPR
// article reference.
var LegalBases = map[string]string{
	"consent": "6(1)(a)", "contract": "6(1)(b)", "legal-obligation": "6(1)(c)",
	"vital-interest": "6(1)(d)", "public-task": "6(1)(e)", "legitimate-interest": "6(1)(f)",
}

// Person is a role and, where the notice names one, a person.
type Person struct {
	Role Text   `yaml:"role"`
	Name string `yaml:"name"`
}

// Named is anything with an id and a name in every language.
type Named struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
}

// Resource is something that can be booked; Capacity bookings of it can overlap.
type Resource struct {
	ID              string `yaml:"id"`
	Name            Text   `yaml:"name"`
	Capacity        int    `yaml:"capacity"`
	MaxParticipants int    `yaml:"maxParticipants"`
}

// Resource returns the bookable resource with id.
func (r *Register) Resource(id string) (Resource, bool) {
	i := slices.IndexFunc(r.Resources, func(x Resource) bool { return x.ID == id })
	if i < 0 {
		return Resource{}, false
	}
	return r.Resources[i], true
}

// MailBudget is how many mails a public endpoint may send to one unverified
// address within each Window (package mailbudget keeps the count).
type MailBudget struct {
	Endpoint string `yaml:"endpoint"`
	ID       string `yaml:"id"`
	Count    int    `yaml:"count"`
	Window   Window `yaml:"window"`
}

// Repermission is when a subscriber on a consent-based list, inactive for
// After (no confirmation, list change or followed link), is asked once
// whether to stay; the subscription kind's rule for that state says how
// long the answer may take.
type Repermission struct {
	After Period `yaml:"after"`
}

// Bounces is how the lists treat mail that comes back: SoftInARow soft
// bounces (mailbox full, ...) in a row, without a confirmation or a
// followed link in between, count as one hard bounce.
type Bounces struct {
	SoftInARow int `yaml:"softInARow"`
}

// MailBudget returns the declared mail budget with id.
func (r *Register) MailBudget(id string) (MailBudget, bool) {
	i := slices.IndexFunc(r.MailBudgets, func(b MailBudget) bool { return b.ID == id })
	if i < 0 {
		return MailBudget{}, false
	}
	return r.MailBudgets[i], true
}

// Question is one question of the visitor survey; option ids are what is
// stored, labels are shown.
type Question struct {
	ID      string  `yaml:"id"`
	Kind    string  `yaml:"kind"` // single, multi or per-location
	Label   Text    `yaml:"label"`
	Options []Named `yaml:"options"`
}

// Option reports whether id is one of the question's options.
func (q Question) Option(id string) bool {
	return slices.ContainsFunc(q.Options, func(o Named) bool { return o.ID == id })
}

// Question returns the survey question with id.
func (r *Register) Question(id string) (Question, bool) {
	i := slices.IndexFunc(r.Survey, func(q Question) bool { return q.ID == id })
	if i < 0 {
		return Question{}, false
	}
	return r.Survey[i], true
}

// Purpose is one purpose of processing and its legal basis.
type Purpose struct {
	ID             string   `yaml:"id"`
	Name           Text     `yaml:"name"`
	Description    Text     `yaml:"description"`
	LegalBasis     string   `yaml:"legalBasis"`
	DataSubjects   []string `yaml:"dataSubjects"`
	DataCategories []string `yaml:"dataCategories"`
	Sources        []string `yaml:"sources"`
	Recipients     []string `yaml:"recipients"`
	Laws           []string `yaml:"laws" json:",omitempty"` // ids of the register's laws
}

// List is a mailing list people consent to, one purpose each.
type List struct {
	ID      string `yaml:"id"`
	Purpose string `yaml:"purpose"`
	Name    Text   `yaml:"name"`
	Consent Text   `yaml:"consent"`
	// Public says whether the newsletter's public form offers the list
	// (default true); staff enter the members of one that is not (the
	// seniors' postal list, media contacts).
	Public *bool `yaml:"public"`
}

// IsPublic reports whether the public signup form offers the list.
func (l List) IsPublic() bool { return l.Public == nil || *l.Public }

// ConsentVersion identifies the exact consent text shown in lang: a receipt
// carries it so the wording consented to can be proven later.
func (l List) ConsentVersion(lang string) string {
	return shortHash(l.Consent.In(lang))
}

// Version identifies this declaration; consent receipts carry it as the
// version of the privacy notice in force.
func (r *Register) Version() string { return r.version }

// List returns the declared list with id.
func (r *Register) List(id string) (List, bool) {
	i := slices.IndexFunc(r.Lists, func(l List) bool { return l.ID == id })
	if i < 0 {
		return List{}, false
	}
	return r.Lists[i], true
}

// Purpose returns the declared purpose with id.
func (r *Register) Purpose(id string) (Purpose, bool) {
	i := slices.IndexFunc(r.Purposes, func(p Purpose) bool { return p.ID == id })
	if i < 0 {
		return Purpose{}, false
	}
	return r.Purposes[i], true
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// NoticeURL is where the register's privacy notice is published under base.
func (r *Register) NoticeURL(base *url.URL, lang string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + "/privacy"
	u.RawQuery = url.Values{"register": {r.ID}, "lang": {lang}}.Encode()
	return u.String()
}
