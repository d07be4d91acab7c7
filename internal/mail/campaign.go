package mail

// A campaign is a mailing staff send to a list. Its body is rendered once
// (from Markdown, sanitised) per language and stored on the campaign item;
// each recipient's outbox job holds only the campaign's id and that
// recipient's own links, and the mailer puts the two together.

// CampaignTemplate is the outbox template of a campaign mail.
const CampaignTemplate = "campaign"

// ActivityPlaceholder stands in a campaign's stored bodies where each
// recipient's activity token goes: every link of the body passes through
// the signed redirect /newsletter/go?u=…&s=…&a=ActivityPlaceholder, which
// records that the subscriber was active (the time only, never which link
// or which mailing) and sends them on.
const ActivityPlaceholder = "__ACTIVITY__"

// The params of a campaign job.
const (
	ParamCampaign    = "campaign"       // the campaign's id
	ParamActivity    = "activity"       // the recipient's activity token
	ParamList        = "list"           // the list it was sent to (an SES tag, for complaints)
	ParamUnsubscribe = "unsubscribeURL" // one-click, RFC 8058, and the visible link
	ParamWebURL      = "webURL"         // the web version
	ParamPrivacyURL  = "privacyURL"
	ParamRSVP        = "rsvpURL" // an invitation's signed RSVP link; "" when the campaign invites to nothing
)

// CampaignContent is one language's rendered campaign: the campaign item's
// attribute "content" maps a language to it.
type CampaignContent struct {
	Subject string `dynamodbav:"subject"`
	HTML    string `dynamodbav:"html"` // a sanitised fragment (internal/markdown), without layout
	Text    string `dynamodbav:"text"`
}

// CampaignKey is the key of campaign id in the campaigns table.
func CampaignKey(id string) (pk, sk string) { return "CAMPAIGN#" + id, "CAMPAIGN" }

// CampaignJobID is the outbox job id of a campaign's mail to one subscriber
// (their subject key): a redelivered page writes nothing twice.
func CampaignJobID(campaign, subjectKey string) string { return "c." + campaign + "." + subjectKey }
