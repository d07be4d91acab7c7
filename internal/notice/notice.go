// Package notice publishes a register's privacy notice (GDPR Art. 13/14),
// generated from the same declaration the code runs on: the purposes, legal
// bases, data, recipients and retention rules people read are the ones the
// system applies.
package notice

import (
	"html/template"
	"net/http"
	"slices"

	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

// Registers publishes the notices of the registers given.
type Registers map[string]*register.Register

// Routes serves GET /privacy?register=<id>&lang=<fi|sv|en>.
func (rs Registers) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /privacy", web.Handle(rs.serve))
	return mux
}

var basis = map[string]register.Text{
	"consent":             {"fi": "Suostumus (tietosuoja-asetuksen 6 artiklan 1 a-kohta)", "sv": "Samtycke (artikel 6.1 a i dataskyddsförordningen)", "en": "Consent (GDPR Art. 6(1)(a))"},
	"contract":            {"fi": "Sopimus (6 artiklan 1 b-kohta)", "sv": "Avtal (artikel 6.1 b)", "en": "Contract (Art. 6(1)(b))"},
	"legal-obligation":    {"fi": "Lakisääteinen velvoite (6 artiklan 1 c-kohta)", "sv": "Rättslig förpliktelse (artikel 6.1 c)", "en": "Legal obligation (Art. 6(1)(c))"},
	"public-task":         {"fi": "Yleistä etua koskeva tehtävä tai julkisen vallan käyttö (6 artiklan 1 e-kohta)", "sv": "Uppgift av allmänt intresse eller myndighetsutövning (artikel 6.1 e)", "en": "Public task or official authority (Art. 6(1)(e))"},
	"legitimate-interest": {"fi": "Oikeutettu etu (6 artiklan 1 f-kohta)", "sv": "Berättigat intresse (artikel 6.1 f)", "en": "Legitimate interest (Art. 6(1)(f))"},
	"vital-interest":      {"fi": "Elintärkeä etu (6 artiklan 1 d-kohta)", "sv": "Grundläggande intresse (artikel 6.1 d)", "en": "Vital interest (Art. 6(1)(d))"},
}

// LegalBasis names a declared legal basis (register.LegalBases) with its
// GDPR article, in every language.
func LegalBasis(id string) register.Text { return basis[id] }

var words = map[string]map[string]string{
	"fi": {"controllers": "Rekisterinpitäjät", "joint": "Rekisteriä pitävät yhdessä seuraavat yhteisrekisterinpitäjät (tietosuoja-asetuksen 26 artikla). Voit käyttää oikeuksiasi kenen tahansa niistä kautta.", "office": "Kirjaamo", "laws": "Keskeinen lainsäädäntö", "informing": "Rekisteröidyn informointi",
		"logs": "Lokit", "title": "Tietosuojaseloste", "controller": "Rekisterinpitäjä", "responsible": "Rekisterin vastuuhenkilö", "contacts": "Yhteyshenkilöt",
		"dpo": "Tietosuojavastaava", "purposes": "Käsittelyn tarkoitukset ja perusteet", "data": "Käsiteltävät tiedot", "publicity": "Julkisuus",
		"sources": "Mistä tiedot saadaan", "recipients": "Vastaanottajat ja käsittelijät", "transfers": "Siirrot EU/ETA-alueen ulkopuolelle",
		"retention": "Säilytysajat", "security": "Tietojen suojaus", "rights": "Rekisteröidyn oikeudet", "version": "Selosteen versio",
		"rights.text": "Sinulla on oikeus saada pääsy tietoihisi ja jäljennös niistä, oikaista virheelliset tiedot, pyytää tietojesi poistamista ja käsittelyn rajoittamista sekä vastustaa yleisen edun perusteella tapahtuvaa käsittelyä. Suostumukseen tai sopimukseen perustuvat tiedot voit saada koneluettavassa muodossa. Suostumuksen voit perua milloin tahansa yhtä helposti kuin annoit sen. Pyyntöihin vastataan kuukauden kuluessa; aikaa voidaan perustellusta syystä jatkaa kahdella kuukaudella. Pyynnöt ovat maksuttomia.",
		"complaint":   "Voit tehdä valituksen tietosuojavaltuutetun toimistoon: https://tietosuoja.fi", "guide": "Ohjeet tietopyyntöihin"},
	"sv": {"controllers": "Personuppgiftsansvariga", "joint": "Registret förs gemensamt av följande personuppgiftsansvariga (artikel 26 i dataskyddsförordningen). Du kan utöva dina rättigheter hos vem som helst av dem.", "office": "Registratorskontor", "laws": "Central lagstiftning", "informing": "Information till den registrerade",
		"logs": "Loggar", "title": "Dataskyddsbeskrivning", "controller": "Personuppgiftsansvarig", "responsible": "Ansvarig person", "contacts": "Kontaktpersoner",
		"dpo": "Dataskyddsombud", "purposes": "Ändamål och rättslig grund", "data": "Uppgifter som behandlas", "publicity": "Offentlighet",
		"sources": "Varifrån uppgifterna fås", "recipients": "Mottagare och personuppgiftsbiträden", "transfers": "Överföringar utanför EU/EES",
		"retention": "Lagringstider", "security": "Skydd av uppgifterna", "rights": "Den registrerades rättigheter", "version": "Beskrivningens version",
		"rights.text": "Du har rätt till tillgång till dina uppgifter och en kopia av dem, att få felaktiga uppgifter rättade, att begära radering och begränsning av behandlingen samt att invända mot behandling som grundar sig på allmänt intresse. Uppgifter som grundar sig på samtycke eller avtal kan du få i maskinläsbar form. Samtycket kan du återkalla när som helst lika lätt som du gav det. Vi svarar inom en månad; tiden kan av grundad anledning förlängas med två månader. Begäranden är avgiftsfria.",
		"complaint":   "Du kan lämna klagomål till dataombudsmannens byrå: https://tietosuoja.fi/sv", "guide": "Anvisningar för begäranden"},
	"en": {"controllers": "Controllers", "joint": "The register is kept jointly by the following joint controllers (GDPR Art. 26). You may exercise your rights with any of them.", "office": "Registry office", "laws": "Central legislation", "informing": "Informing the data subject",
		"logs": "Logs", "title": "Privacy notice", "controller": "Controller", "responsible": "Person responsible", "contacts": "Contact persons",
		"dpo": "Data protection officer", "purposes": "Purposes and legal bases", "data": "Data processed", "publicity": "Publicity",
		"sources": "Where the data comes from", "recipients": "Recipients and processors", "transfers": "Transfers outside the EU/EEA",
		"retention": "Retention", "security": "Security", "rights": "Your rights", "version": "Notice version",
		"rights.text": "You have the right to access your data and get a copy, to have inaccurate data rectified, to ask for erasure and for restriction of processing, and to object to processing based on the public interest. Data based on consent or a contract you can get in a machine-readable form. You can withdraw consent at any time, as easily as you gave it. Requests are answered within one month; for good reason the time can be extended by two months. Requests are free of charge.",
		"complaint":   "You can complain to the Office of the Data Protection Ombudsman: https://tietosuoja.fi/en", "guide": "How to make a request"},
}

var page = template.Must(template.New("notice").Parse(`
<nav>{{range .Langs}}<a href="/privacy?register={{$.ID}}&amp;lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{if .Joint}}<h2>{{.W.controllers}}</h2><p>{{.W.joint}}</p>{{range .Joint}}<h3>{{.Name}}</h3><dl><dt>{{$.W.responsible}}</dt><dd>{{.Responsible}}</dd>
<dt>{{$.W.contacts}}</dt>{{range .Contacts}}<dd>{{.}}</dd>{{end}}<dt>{{$.W.office}}</dt><dd>{{.Office}}</dd></dl>{{end}}
{{else}}<h2>{{.W.controller}}</h2><p>{{.Controller}}<br>{{.Address}}<br>{{.Phone}}</p>
<h2>{{.W.responsible}}</h2><p>{{.Responsible}}</p>
<h2>{{.W.contacts}}</h2><ul>{{range .Contacts}}<li>{{.}}</li>{{end}}</ul>
{{end}}<h2>{{.W.dpo}}</h2><p>{{.DPO}}</p>
<h2>{{.W.purposes}}</h2>{{range .Purposes}}<h3>{{.Name}}</h3><p>{{.Description}}</p><p><em>{{.Basis}}</em></p>{{if .Laws}}<p>{{$.W.laws}}: {{.Laws}}</p>{{end}}
<p>{{$.W.data}}: {{.Data}}</p><p>{{$.W.sources}}: {{.Sources}}</p><p>{{$.W.recipients}}: {{.Recipients}}</p>{{end}}
<h2>{{.W.publicity}}</h2><p>{{.Publicity}}</p>
<h2>{{.W.transfers}}</h2><p>{{.Transfers}}</p>
<h2>{{.W.retention}}</h2><ul>{{range .Retention}}<li>{{.}}</li>{{end}}</ul>
{{if .Logs}}<h2>{{.W.logs}}</h2><ul>{{range .Logs}}<li>{{.}}</li>{{end}}</ul>
{{end}}<h2>{{.W.security}}</h2><p>{{.Security}}</p>
{{if .Informing}}<h2>{{.W.informing}}</h2><p>{{.Informing}}</p>
{{end}}<h2>{{.W.rights}}</h2><p>{{.W.rights_text}}</p><p>{{.W.complaint}}</p>{{if .Guide}}<p><a href="{{.Guide}}">{{.W.guide}}</a></p>{{end}}
<p><small>{{.W.version}}: {{.Version}}</small></p>`))

type purposeView struct{ Name, Description, Basis, Laws, Data, Sources, Recipients string }

// controllerView is one joint controller as the notice lists it.
type controllerView struct {
	Name, Responsible, Office string
	Contacts                  []string
}

func (rs Registers) serve(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, 1<<10)
	lang := web.Lang(r, f)
	reg, ok := rs[f.Get("register")]
	if !ok {
		return &web.Error{Status: http.StatusNotFound, Message: "no such register"}
	}
	names := func(list []register.Named, ids []string) string {
		out := ""
		for _, id := range ids {
			if i := slices.IndexFunc(list, func(n register.Named) bool { return n.ID == id }); i >= 0 {
				if out != "" {
					out += "; "
				}
				out += list[i].Name.In(lang)
			}
		}
		return out
	}
	recipients := func(list []register.Recipient, ids []string) string {
		named := make([]register.Named, len(list))
		for i, x := range list {
			named[i] = register.Named{ID: x.ID, Name: x.Name}
		}
		return names(named, ids)
	}
	d := map[string]any{
		"ID": reg.ID, "Langs": register.Languages, "Controller": reg.Controller.Name.In(lang), "Address": reg.Controller.Address,
		"Phone": reg.Controller.Phone, "Responsible": reg.Responsible.Role.In(lang) + " " + reg.Responsible.Name,
		"DPO": reg.DPO.Email, "Publicity": reg.Publicity.In(lang), "Transfers": reg.Transfers.In(lang), "Security": reg.Security.In(lang),
		"Guide": reg.RightsGuide, "Version": reg.Version(), "Informing": reg.Informing.In(lang),
	}
	if n := reg.DPO.Name.In(lang); n != "" {
		d["DPO"] = n + ", " + reg.DPO.Email
	}
	var joint []controllerView
	for _, c := range reg.Controllers {
		v := controllerView{Name: c.Name.In(lang), Responsible: c.Responsible.In(lang), Office: c.Office.Name.In(lang) + ", " + c.Office.Address}
		for _, p := range c.Contacts {
			v.Contacts = append(v.Contacts, p.In(lang))
		}
		joint = append(joint, v)
	}
	d["Joint"] = joint
	var contacts []string
	for _, c := range reg.Contacts {
		contacts = append(contacts, c.Role.In(lang)+": "+c.Name)
	}
	d["Contacts"] = contacts
	var purposes []purposeView
	for _, p := range reg.Purposes {
		purposes = append(purposes, purposeView{Name: p.Name.In(lang), Description: p.Description.In(lang), Basis: basis[p.LegalBasis].In(lang), Laws: names(reg.Laws, p.Laws),
			Data: names(reg.DataCategories, p.DataCategories), Sources: names(reg.Sources, p.Sources), Recipients: recipients(reg.Recipients, p.Recipients)})
	}
	d["Purposes"] = purposes
	var retention []string
	for _, k := range reg.Records {
		for _, rule := range k.Retention {
			retention = append(retention, rule.Text.In(lang))
		}
	}
	var logs []string
	for _, l := range reg.Logs {
		retention = append(retention, l.Text.In(lang))
		logs = append(logs, l.Holds.In(lang)+" "+l.Text.In(lang))
	}
	d["Logs"] = logs
	d["Retention"] = retention
	wd := map[string]string{}
	for k, v := range words[lang] {
		wd[k] = v
	}
	wd["rights_text"] = wd["rights.text"]
	d["W"] = wd
	return web.Render(w, http.StatusOK, lang, words[lang]["title"]+" – "+reg.Name.In(lang), page, d)
}
