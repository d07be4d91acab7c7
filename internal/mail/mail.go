// Package mail is how the system writes to people: an outbox job stored with
// the record that caused it, rendered from a template in the person's
// language, and built as a MIME message with text and HTML parts.
package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Classes of mail, each sent under its own SES configuration set so that a
// newsletter complaint cannot suppress a booking confirmation.
const (
	Marketing     = "marketing"
	Transactional = "transactional"
)

// Statuses of an outbox job.
const (
	Queued  = "queued"
	Sending = "sending"
	Sent    = "sent"
)

// Job is one mail in the outbox. It holds the address and the template
// parameters; the queue message that triggers sending holds only its id.
type Job struct {
	PK         string            `dynamodbav:"pk"`
	SK         string            `dynamodbav:"sk"`
	Kind       string            `dynamodbav:"kind"`
	SubjectKey string            `dynamodbav:"subjectKey,omitempty"` // none: mail to staff, a recipient or the DPO
	To         string            `dynamodbav:"to"`
	Template   string            `dynamodbav:"template"`
	Lang       string            `dynamodbav:"lang"`
	Params     map[string]string `dynamodbav:"params"`
	Class      string            `dynamodbav:"class"`
	Status     string            `dynamodbav:"status"`
	Attempts   int               `dynamodbav:"attempts"`
	LeaseUntil int64             `dynamodbav:"leaseUntil,omitempty"`
	// Pending is set while the job is unsent; it puts the job on the sparse
	// byPending index the relay reads.
	Pending      string `dynamodbav:"pending,omitempty"`
	CreatedAt    string `dynamodbav:"createdAt"`
	SentAt       string `dynamodbav:"sentAt,omitempty"`
	SESMessageID string `dynamodbav:"sesMessageId,omitempty"`
	// RestrictedAt and RestrictedFor: the job is for a subject under
	// restriction (Art. 18); the mailer withholds its list mail.
	RestrictedAt  string `dynamodbav:"restrictedAt,omitempty"`
	RestrictedFor string `dynamodbav:"restrictedFor,omitempty"`
}

// Kind is the declared record kind of an outbox job.
const Kind = "mail"

// JobKey is the key of job id in the outbox table.
func JobKey(id string) (pk, sk string) { return "MAIL#" + id, "MAIL" }

// ID is the job's id.
func (j Job) ID() string { return strings.TrimPrefix(j.PK, "MAIL#") }

// NewJob prepares a job. The id should be derived from what caused the mail
// (e.g. "confirm.<signup id>"), so a retried cause cannot queue a second mail.
func NewJob(now time.Time, id, subjectKey, to, tmpl, lang string, params map[string]string) (Job, error) {
	t, err := load(tmpl)
	if err != nil {
		return Job{}, err
	}
	pk, sk := JobKey(id)
	return Job{
		PK: pk, SK: sk, Kind: Kind,
		SubjectKey: subjectKey, To: to, Template: tmpl, Lang: lang, Params: params,
		Class: t.Class, Status: Queued, CreatedAt: now.UTC().Format(time.RFC3339),
		Pending: dynamo.PendingShard(pk),
	}, nil
}

// Put is the transaction item storing j once, kept as the register's mail
// rule says (the record seam stamps it).
func Put(recs *record.Catalogue, j Job) (types.TransactWriteItem, error) {
	return recs.Put(Kind, "any", j, "attribute_not_exists(pk)")
}

// template is a mail template as people write it, in templates/<name>.yaml,
// and as templates.json holds it (generate.go).
type template struct {
	Class           string                `yaml:"class"`
	ListUnsubscribe bool                  `yaml:"listUnsubscribe"`
	Subject         map[string]string     `yaml:"subject"`
	Text            map[string]string     `yaml:"text"`
	HTML            map[string]string     `yaml:"html"`
	parsed          map[string]parsedLang `yaml:"-"`
}

type parsedLang struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
	// The same three compiled (see compile); nil when any of them is not.
	fast *compiledLang
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*template{}
)

func load(name string) (*template, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if t, ok := cache[name]; ok {
		return t, nil
	}
	t, err := decodeTemplate(name)
	if err != nil {
		return nil, err
	}
	if err := t.prepare(name); err != nil {
		return nil, err
	}
	cache[name] = t
	return t, nil
}

// prepare checks the template's class and parses and compiles it in every
// language.
func (t *template) prepare(name string) error {
	if t.Class != Marketing && t.Class != Transactional {
		return fmt.Errorf("mail template %q: class %q", name, t.Class)
	}
	t.parsed = map[string]parsedLang{}
	for _, lang := range register.Languages {
		var p parsedLang
		var err error
		opt := "missingkey=error"
		if p.subject, err = texttemplate.New("s").Option(opt).Parse(t.Subject[lang]); err == nil {
			if p.text, err = texttemplate.New("t").Option(opt).Parse(t.Text[lang]); err == nil {
				p.html, err = htmltemplate.New("h").Option(opt).Parse(t.HTML[lang])
			}
		}
		if err != nil || t.Subject[lang] == "" || t.Text[lang] == "" || t.HTML[lang] == "" {
			return fmt.Errorf("mail template %q %s: incomplete or invalid: %v", name, lang, err)
		}
		p.fast = compileLang(p)
		t.parsed[lang] = p
	}
	return nil
}

// Rendered is a mail ready to be built into MIME.
type Rendered struct {
	Subject, Text, HTML string
	// ListUnsubscribe is the one-click URL (RFC 8058) for mail about a list.
	ListUnsubscribe string
}

// Render fills template name in lang with params. Mail about a list must
// carry an unsubscribeURL parameter; it becomes the List-Unsubscribe header.
func Render(name, lang string, params map[string]string) (Rendered, error) {
	t, err := load(name)
	if err != nil {
		return Rendered{}, err
	}
	p, ok := t.parsed[lang]
	if !ok {
		p = t.parsed["fi"]
	}
	if p.fast != nil {
		if r, ok := p.fast.render(params); ok {
			return finish(name, t, r, params)
		}
	}
	return renderTemplates(name, t, p, params)
}

// renderTemplates executes the parsed templates.
func renderTemplates(name string, t *template, p parsedLang, params map[string]string) (Rendered, error) {
	var r Rendered
	var b bytes.Buffer
	if err := p.subject.Execute(&b, params); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", name, err)
	}
	r.Subject = strings.TrimSpace(b.String())
	b.Reset()
	if err := p.text.Execute(&b, params); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", name, err)
	}
	r.Text = b.String()
	b.Reset()
	if err := p.html.Execute(&b, params); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", name, err)
	}
	r.HTML = b.String()
	return finish(name, t, r, params)
}

func finish(name string, t *template, r Rendered, params map[string]string) (Rendered, error) {
	if t.ListUnsubscribe {
		r.ListUnsubscribe = params["unsubscribeURL"]
		if !strings.HasPrefix(r.ListUnsubscribe, "https://") && !strings.HasPrefix(r.ListUnsubscribe, "http://") {
			return Rendered{}, fmt.Errorf("render %s: list mail needs an unsubscribeURL", name)
		}
	}
	return r, nil
}

// compileLang compiles a language's three templates, once html/template has
// escaped its own (an execution with every parameter empty does that, and
// tells that the template executes at all).
func compileLang(p parsedLang) *compiledLang {
	keys := map[string]string{}
	for _, tr := range []*parse.Tree{p.subject.Tree, p.text.Tree, p.html.Tree} {
		if tr == nil || tr.Root == nil {
			return nil
		}
		for _, n := range tr.Root.Nodes {
			if a, ok := n.(*parse.ActionNode); ok && a.Pipe != nil && len(a.Pipe.Cmds) > 0 {
				for _, arg := range a.Pipe.Cmds[0].Args {
					if f, ok := arg.(*parse.FieldNode); ok && len(f.Ident) == 1 {
						keys[f.Ident[0]] = ""
					}
				}
			}
		}
	}
	if err := p.html.Execute(io.Discard, keys); err != nil {
		return nil
	}
	var c compiledLang
	var ok [3]bool
	c[0], ok[0] = compile(p.subject.Tree, false)
	c[1], ok[1] = compile(p.text.Tree, false)
	c[2], ok[2] = compile(p.html.Tree, true)
	if !ok[0] || !ok[1] || !ok[2] {
		return nil
	}
	return &c
}

// render fills the compiled templates; false when a parameter is missing.
// compiledLang is a language's subject, text and HTML compiled.
type compiledLang [3]compiled

func (c *compiledLang) render(params map[string]string) (Rendered, bool) {
	var r Rendered
	var out [3]string
	for i := range c {
		var b strings.Builder
		b.Grow(c[i].size(params))
		if !c[i].render(&b, params) {
			return r, false
		}
		out[i] = b.String()
	}
	r.Subject, r.Text, r.HTML = strings.TrimSpace(out[0]), out[1], out[2]
	return r, true
}
