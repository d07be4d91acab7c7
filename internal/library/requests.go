package library

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audit"
	"rekisteri/internal/errlog"
	seam "rekisteri/internal/record"
	"rekisteri/internal/requests/request"
	"rekisteri/internal/sqsqueue"
	"rekisteri/internal/subject"
	"rekisteri/internal/web"
)

// GET /library/me/requests shows the signed-in patron the data-subject
// requests they can make themself; POST /library/me/requests (csrf) makes
// one: a copy of their data (Art. 15), restriction of processing (Art. 18)
// or rectification (Art. 16) of what they cannot change on /library/me.
// The login verified them, so the request is open at once — no mail round —
// and goes the way every request goes: stored in the requests table
// (package requests/request, the platform's register), audited, and queued
// by its id alone for the requests function, which answers by e-mail.
// Erasure and objection are asked at a library or through the city's
// registry office: what the law keeps is explained there (Art. 17(3)(b)).

// SelfRequestTypes are the requests a patron makes through self-service.
var SelfRequestTypes = []string{request.Access, request.Rectification, request.Restriction}

// EventSelfServiceRequest is the audit event of a self-service request: the
// request's id and the patron's subject key, nothing they wrote.
const EventSelfServiceRequest = "request-received"

// maxRequestDetails bounds what a patron writes (characters), as the
// public form does.
const maxRequestDetails = 4000

// ErrNoRequests: this service was built without the requests table and queue.
var ErrNoRequests error = errlog.New("self-service requests are not configured")

// RequestQueue puts a message on the requests queue.
type RequestQueue interface {
	Send(ctx context.Context, m sqsqueue.Message) error
}

// SelfRequests are where self-service requests go: the requests function's
// table and queue.
type SelfRequests struct {
	Table string
	Queue RequestQueue
}

type selfRequests struct {
	recs  *seam.Catalogue // the platform's requests and audit tables
	queue RequestQueue
}

// UseRequests lets the service take self-service requests into r.
func (s *Service) UseRequests(r SelfRequests) error {
	if r.Table == "" || r.Queue == nil {
		return fmt.Errorf("library: self-service requests need the requests table and queue")
	}
	cat, err := seam.NewCatalogue(s.platform, map[string]string{"requests": r.Table, "audit": s.tables.Audit})
	if err != nil {
		return err
	}
	s.requests = &selfRequests{recs: cat, queue: r.Queue}
	return nil
}

// SelfRequest is a request a signed-in patron makes.
type SelfRequest struct {
	Type, Details, Lang string
}

// ParseSelfRequest validates a self-service request, one message per
// field in lang; the patron's e-mail is where the answer goes.
func ParseSelfRequest(f web.Form, lang string, p *Patron) (SelfRequest, web.FieldErrors) {
	errs := web.FieldErrors{}
	in := SelfRequest{Type: f.Get("type"), Details: strings.TrimSpace(f.Get("details")), Lang: lang}
	switch {
	case !slices.Contains(SelfRequestTypes, in.Type):
		errs["type"] = requestText(lang, "err.type")
	case p.Email == "":
		errs["type"] = requestText(lang, "err.noemail")
	}
	switch {
	case utf8.RuneCountInString(in.Details) > maxRequestDetails:
		errs["details"] = requestText(lang, "err.details.long")
	case strings.ContainsFunc(in.Details, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		errs["details"] = requestText(lang, "err.details.control")
	case in.Type == request.Rectification && in.Details == "":
		errs["details"] = requestText(lang, "err.details.rectify")
	}
	return in, errs
}

// SubmitRequest stores the patron's request, open (the login verified
// them), with its audit entry in one transaction, and queues its id.
// Queueing again after a failure is safe: processing is idempotent.
func (s *Service) SubmitRequest(ctx context.Context, ss *Session, in SelfRequest) (request.Request, error) {
	if s.requests == nil {
		return request.Request{}, ErrNoRequests
	}
	p := ss.Patron
	if p.SubjectKey == "" || p.Email == "" {
		return request.Request{}, fmt.Errorf("self-service request: the patron has no subject key or e-mail")
	}
	now := s.now()
	r := request.New(now, in.Type, p.SubjectKey, subject.NormalizeEmail(p.Email), in.Details, in.Lang, request.SelfService)
	r.Register = s.reg.ID
	put, err := s.requests.recs.Put(request.Kind, r.Status, r, "attribute_not_exists(pk)")
	if err != nil {
		return request.Request{}, err
	}
	entry, err := audit.Put(s.requests.recs, now, audit.Entry{Event: EventSelfServiceRequest, Ref: r.ID(), SubjectKey: p.SubjectKey})
	if err != nil {
		return request.Request{}, err
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, entry}}); err != nil {
		return request.Request{}, fmt.Errorf("self-service request %s: %w", r.ID(), err)
	}
	if err := s.requests.queue.Send(ctx, sqsqueue.Message{Op: request.OpProcess, ID: r.ID()}); err != nil {
		return request.Request{}, fmt.Errorf("self-service request %s: queue: %w", r.ID(), err)
	}
	slog.InfoContext(ctx, "self-service request", "request", r.ID(), "type", r.Type, "subject", subject.Prefix(p.SubjectKey))
	return r, nil
}

// requestFields are the form's fields, as its errors name them.
func requestFields(lang string) []web.Field {
	return []web.Field{{Name: "type", ID: "type-" + SelfRequestTypes[0], Label: requestText(lang, "type")}, {Name: "details", Label: requestText(lang, "details")}}
}

func (s *Service) requestsPage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, sessionBody)
	ss, err := s.Session(r)
	switch {
	case errors.Is(err, ErrNotSignedIn):
		return notSignedIn(w, r, web.Lang(r, f))
	case err != nil:
		return web.Unavailable(err)
	}
	lang := mePageLang(r, ss.Patron.Lang)
	return s.renderRequests(w, lang, ss, web.NewForm(nil), nil, http.StatusOK)
}

func (s *Service) requestSubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, sessionBody)
	if err != nil {
		return err
	}
	lang := mePageLang(r, web.Lang(r, f))
	ss, err := s.SessionPost(r, f)
	switch {
	case errors.Is(err, ErrBadCSRF):
		return s.csrfRefused(w, r, lang)
	case errors.Is(err, ErrNotSignedIn):
		return notSignedIn(w, r, lang)
	case err != nil:
		return web.Unavailable(err)
	}
	in, errs := ParseSelfRequest(f, lang, ss.Patron)
	if len(errs) > 0 {
		if web.WantsJSON(r) {
			return errs
		}
		return s.renderRequests(w, lang, ss, f, errs, http.StatusBadRequest)
	}
	req, err := s.SubmitRequest(r.Context(), ss, in)
	if err != nil {
		return web.Unavailable(err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]string{"status": "received", "id": req.ID(), "type": req.Type, "due": req.DueOn})
		return nil
	}
	web.Message(w, http.StatusAccepted, lang, requestText(lang, "done.title"),
		fmt.Sprintf(requestText(lang, "done.body"), req.ID(), req.DueOn), requestText(lang, "done.mail"))
	return nil
}

func (s *Service) renderRequests(w http.ResponseWriter, lang string, ss *Session, f web.Form, errs web.FieldErrors, status int) error {
	title := requestText(lang, "title")
	if len(errs) > 0 {
		title = sessionText(lang, "error.prefix") + title
	}
	type choice struct{ Value, Label, Hint string }
	var types []choice
	for _, t := range SelfRequestTypes {
		types = append(types, choice{t, requestText(lang, "type."+t), requestText(lang, "hint."+t)})
	}
	t := map[string]string{}
	for k := range requestTexts["fi"] {
		t[strings.ReplaceAll(k, ".", "_")] = requestText(lang, k)
	}
	return web.Render(w, status, lang, title, requestsTmpl, map[string]any{
		"Lang": lang, "T": t, "F": web.NewFlow(lang, f, errs, requestFields(lang)), "CSRF": ss.CSRF,
		"Types": types, "Email": ss.Patron.Email, "Langs": []string{"fi", "sv", "en"},
	})
}

var requestsTmpl = template.Must(template.New("requests").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/library/me/requests?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{.T.intro}}</p>
{{if .Email}}<p>{{.T.answer}} {{.Email}}</p>{{else}}<p>{{.T.err_noemail}}</p>{{end}}
<form method="post" action="/library/me/requests?lang={{.Lang}}" novalidate>
<input type="hidden" name="csrf" value="{{.CSRF}}">
<fieldset><legend>{{.T.type}}</legend>{{.F.Error "type"}}
{{range .Types}}<div class="check"><input type="radio" id="type-{{.Value}}" name="type" value="{{.Value}}" aria-describedby="hint-{{.Value}}"{{if $.F.Chosen "type" .Value}} checked{{end}}{{$.F.Attrs "type"}}><label for="type-{{.Value}}">{{.Label}}</label><p class="hint" id="hint-{{.Value}}">{{.Hint}}</p></div>{{end}}</fieldset>
<label for="details">{{.T.details}}</label><p class="hint" id="details-hint">{{.T.details_hint}}</p>{{.F.Error "details"}}
<textarea id="details" name="details" rows="5" maxlength="4000"{{.F.Hinted "details-hint" "details"}}>{{.F.Value "details"}}</textarea>
<button type="submit">{{.T.submit}}</button>
</form>
<p>{{.T.other}}</p>
<p><a href="/library/me?lang={{.Lang}}">{{.T.back}}</a></p>`))

var requestTexts = map[string]map[string]string{
	"fi": {
		"langs": "Kieli", "title": "Tietosuojapyyntö",
		"intro":  "Voit pyytää jäljennöstä kaikista sinusta tallennetuista tiedoista, tietojesi oikaisua tai niiden käsittelyn rajoittamista. Olet kirjautunut, joten pyyntöä ei tarvitse vahvistaa. Vastaamme kuukauden kuluessa.",
		"answer": "Vastaus lähetetään sähköpostiosoitteeseen", "type": "Mitä pyydät?",
		"type.access": "Jäljennös tiedoistani", "hint.access": "Lainat, varaukset, maksut, vastuuhenkilöt ja perintätoimistolle luovutetut tiedot sekä tiedot niiden käsittelystä.",
		"type.rectification": "Tietojeni oikaisu", "hint.rectification": "Esimerkiksi nimi. Osoitteen, puhelinnumeron, sähköpostin, kielen ja lähetystavan voit muuttaa itse omissa tiedoissasi.",
		"type.restriction": "Käsittelyn rajoittaminen", "hint.restriction": "Esimerkiksi kun tietojesi oikeellisuutta selvitetään. Maksujen ja palauttamattoman aineiston perintää laki sallii jatkaa.",
		"details": "Lisätiedot", "details.hint": "Oikaisua varten: mikä tieto on virheellinen ja mikä on oikea. Enintään 4000 merkkiä.",
		"submit": "Lähetä pyyntö", "other": "Tietojen poistamista tai käsittelyn vastustamista voit pyytää missä tahansa kirjastossa henkilöllisyystodistuksen kanssa.",
		"back":     "Takaisin omiin tietoihin",
		"err.type": "Valitse pyynnön laji.", "err.noemail": "Vastaus lähetetään sähköpostilla: lisää ensin sähköpostiosoite omiin tietoihisi tai tee pyyntö kirjastossa.",
		"err.details.long": "Lisätiedoissa voi olla enintään 4000 merkkiä.", "err.details.control": "Lisätiedoissa on merkkejä, joita ei voi tallentaa.",
		"err.details.rectify": "Kerro, mikä tieto on virheellinen ja mikä on oikea.",
		"done.title":          "Pyyntösi on vastaanotettu", "done.body": "Pyynnön tunnus on %s. Vastaamme viimeistään %s.", "done.mail": "Vastaus tulee sähköpostiisi.",
	},
	"sv": {
		"langs": "Språk", "title": "Begäran om dataskydd",
		"intro":  "Du kan begära en kopia av alla uppgifter som sparats om dig, rättelse av dina uppgifter eller begränsning av behandlingen. Du är inloggad, så begäran behöver inte bekräftas. Vi svarar inom en månad.",
		"answer": "Svaret skickas till e-postadressen", "type": "Vad begär du?",
		"type.access": "En kopia av mina uppgifter", "hint.access": "Lån, reservationer, avgifter, ansvariga personer och uppgifter som lämnats till inkassobyrån samt information om hur de behandlas.",
		"type.rectification": "Rättelse av mina uppgifter", "hint.rectification": "Till exempel namnet. Adress, telefonnummer, e-post, språk och sändningssätt kan du ändra själv i dina uppgifter.",
		"type.restriction": "Begränsning av behandlingen", "hint.restriction": "Till exempel medan det utreds om dina uppgifter är riktiga. Lagen tillåter att indrivningen av avgifter och icke återlämnat material fortsätter.",
		"details": "Tilläggsuppgifter", "details.hint": "För en rättelse: vilken uppgift som är fel och vad som är rätt. Högst 4000 tecken.",
		"submit": "Skicka begäran", "other": "Radering av uppgifter eller invändning mot behandlingen kan du begära på vilket bibliotek som helst med identitetsbevis.",
		"back":     "Tillbaka till mina uppgifter",
		"err.type": "Välj typ av begäran.", "err.noemail": "Svaret skickas per e-post: lägg först till en e-postadress i dina uppgifter eller gör begäran på biblioteket.",
		"err.details.long": "Tilläggsuppgifterna får vara högst 4000 tecken.", "err.details.control": "Tilläggsuppgifterna innehåller tecken som inte kan sparas.",
		"err.details.rectify": "Berätta vilken uppgift som är fel och vad som är rätt.",
		"done.title":          "Din begäran har tagits emot", "done.body": "Begärans kod är %s. Vi svarar senast %s.", "done.mail": "Svaret kommer till din e-post.",
	},
	"en": {
		"langs": "Language", "title": "Data protection request",
		"intro":  "You can ask for a copy of all the data held about you, for your data to be rectified, or for its processing to be restricted. You are signed in, so the request needs no confirmation. We answer within one month.",
		"answer": "The answer is sent to the e-mail address", "type": "What do you ask for?",
		"type.access": "A copy of my data", "hint.access": "Loans, reservations, fees, persons responsible and data disclosed to the collection agency, and how they are processed.",
		"type.rectification": "Rectification of my data", "hint.rectification": "For example your name. Your address, phone, e-mail, language and delivery channel you can change yourself in your details.",
		"type.restriction": "Restriction of processing", "hint.restriction": "For example while the accuracy of your data is checked. The law allows the collection of fees and unreturned items to go on.",
		"details": "Details", "details.hint": "For a rectification: which data is wrong and what is right. At most 4000 characters.",
		"submit": "Send the request", "other": "Erasure of your data, or an objection to its processing, you can ask for at any library with an identity document.",
		"back":     "Back to your details",
		"err.type": "Choose the kind of request.", "err.noemail": "The answer is sent by e-mail: first add an e-mail address to your details, or make the request at a library.",
		"err.details.long": "The details may have at most 4000 characters.", "err.details.control": "The details have characters that cannot be stored.",
		"err.details.rectify": "Tell which data is wrong and what is right.",
		"done.title":          "Your request is received", "done.body": "The request's id is %s. We will answer by %s at the latest.", "done.mail": "The answer comes to your e-mail.",
	},
}

func requestText(lang, key string) string {
	if s, ok := requestTexts[lang][key]; ok {
		return s
	}
	return requestTexts["fi"][key]
}
