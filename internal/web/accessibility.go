package web

import (
	"html/template"
	"net/http"
)

// StatementDate is when the accessibility statement was prepared and last
// reviewed (Act on the Provision of Digital Services 306/2019, section 15).
// Review it, and this date, whenever the pages change.
const StatementDate = "2026-12-01"

// Statement is who the accessibility statement speaks for, taken from the
// register declaration by the function that serves it.
type Statement struct {
	// Provider is the public body responsible for the service, per language.
	Provider func(lang string) string
	// Address and Phone are where feedback may also be sent.
	Address, Phone string
}

// statementWords are the statement's words per language; the page
// structure is one, so every language says the same.
var statementWords = map[string]map[string]any{
	"fi": {
		"title":    "Saavutettavuusseloste",
		"scope":    "Tämä seloste koskee KAMU Espoon kaupunginmuseon asiakasrekisterin verkkopalveluja: uutiskirjeen tilausta, vahvistusta ja perumista, asiakaspalautekyselyä, tilojen, opastusten ja tarjoilun varaamista, varauksen perumista ja henkilökunnan varauskäsittelyä sekä tietosuojaselostetta. Vastuussa palvelusta on",
		"law":      "Digitaalisten palvelujen tarjoamisesta annettu laki (306/2019) edellyttää, että julkiset verkkopalvelut ovat saavutettavia. Tavoitteemme on WCAG 2.1 -ohjeiston AA-taso.",
		"h.status": "Saavutettavuuden tila", "status": "Palvelu täyttää WCAG 2.1 -ohjeiston AA-tason saavutettavuusvaatimukset osittain. Puutteet on kerrottu alla.",
		"h.gaps": "Sisältö, joka ei ole saavutettavaa",
		"gaps": []string{
			"Saavutettavuutta on arvioitu itse ja automaattisella axe-core-työkalulla jokaisella sivulla ja jokaisen lomakkeen virhetilassa (WCAG 2.0, 2.1 ja 2.2, tasot A ja AA); ulkopuolista asiantuntija-arviota tai ruudunlukijatestausta ei ole vielä tehty. Siksi sivuilla voi olla puutteita, joita automaattinen tarkistus ei löydä.",
			"Varaus- ja palautelomakkeen päivämäärä- ja kellonaikakentät käyttävät selaimen omia valitsimia, jotka toimivat apuvälineiden kanssa eri selaimissa eri tavoin (WCAG 4.1.2). Päivän voi kirjoittaa myös muodossa VVVV-KK-PP ja ajan muodossa TT:MM.",
			"Henkilökunnan varauskäsittelysivut ovat vain suomeksi. Ne ovat museon henkilökunnan työväline.",
		},
		"h.how": "Miten palvelu toimii", "how": "Kaikki sivut toimivat ilman JavaScriptiä. Jos lomakkeen lähetys ei onnistu, lomake näytetään uudelleen täytettyine tietoineen (henkilötunnusta lukuun ottamatta), virheet luetellaan sivun alussa linkkeinä kenttiin ja jokainen virhe näytetään kentän kohdalla kentän nimen kanssa.",
		"h.feedback": "Anna palautetta saavutettavuudesta",
		"feedback":   "Huomasitko saavutettavuuspuutteen? Kerro siitä meille. Vastaamme kahden viikon kuluessa.",
		"form":       "Palautelomake (valitse ”Haluan vastauksen palautteeseeni”)",
		"post":       "Postiosoite", "phone": "Puhelin",
		"h.enforce": "Valvontaviranomainen",
		"enforce":   "Jos huomaat sivustolla saavutettavuusongelmia, anna ensin palautetta meille. Jos et ole tyytyväinen saamaasi vastaukseen tai et saa vastausta kahden viikon aikana, voit tehdä ilmoituksen valvontaviranomaiselle. Digitaalisten palvelujen saavutettavuutta valvoo 1.1.2025 alkaen Liikenne- ja viestintävirasto Traficom (aiemmin Etelä-Suomen aluehallintoviraston saavutettavuusvalvonta). Sivulla saavutettavuusvaatimukset.fi kerrotaan, miten ilmoituksen voi tehdä ja miten asia käsitellään.",
		"authority": "Liikenne- ja viestintävirasto Traficom, saavutettavuusvalvonta", "email": "Sähköposti", "switchboard": "Puhelinvaihde",
		"h.date": "Selosteen laatiminen", "date": "Seloste on laadittu ja tarkistettu",
	},
	"sv": {
		"title":    "Tillgänglighetsutlåtande",
		"scope":    "Detta utlåtande gäller webbtjänsterna i KAMU Esbo stadsmuseums kundregister: beställning, bekräftelse och avbeställning av nyhetsbrevet, kundresponsenkäten, bokning av lokaler, guidningar och servering, avbokning och personalens behandling av bokningar samt dataskyddsbeskrivningen. Ansvarig för tjänsten är",
		"law":      "Lagen om tillhandahållande av digitala tjänster (306/2019) kräver att offentliga webbtjänster är tillgängliga. Vårt mål är nivå AA i WCAG 2.1.",
		"h.status": "Tillgänglighetsstatus", "status": "Tjänsten uppfyller delvis tillgänglighetskraven på nivå AA i WCAG 2.1. Bristerna beskrivs nedan.",
		"h.gaps": "Innehåll som inte är tillgängligt",
		"gaps": []string{
			"Tillgängligheten har bedömts av oss själva och med det automatiska verktyget axe-core på varje sida och i varje formulärs feltillstånd (WCAG 2.0, 2.1 och 2.2, nivå A och AA); ingen extern expertbedömning eller test med skärmläsare har ännu gjorts. Därför kan sidorna ha brister som den automatiska kontrollen inte hittar.",
			"Datum- och tidsfälten i boknings- och responsformulären använder webbläsarens egna väljare, som fungerar olika med hjälpmedel i olika webbläsare (WCAG 4.1.2). Datumet kan också skrivas som ÅÅÅÅ-MM-DD och tiden som TT:MM.",
			"Personalens sidor för behandling av bokningar finns bara på finska. De är ett arbetsverktyg för museets personal.",
		},
		"h.how": "Hur tjänsten fungerar", "how": "Alla sidor fungerar utan JavaScript. Om ett formulär inte kan skickas visas det igen med uppgifterna kvar (utom personbeteckningen), felen räknas upp i början av sidan som länkar till fälten och varje fel visas vid sitt fält med fältets namn.",
		"h.feedback": "Ge respons om tillgängligheten",
		"feedback":   "Märkte du en brist i tillgängligheten? Berätta för oss. Vi svarar inom två veckor.",
		"form":       "Responsformulär (välj ”Jag vill ha svar på min respons”)",
		"post":       "Postadress", "phone": "Telefon",
		"h.enforce": "Tillsynsmyndighet",
		"enforce":   "Om du märker tillgänglighetsproblem på webbplatsen, ge först respons till oss. Om du inte är nöjd med svaret eller inte får svar inom två veckor kan du göra en anmälan till tillsynsmyndigheten. Tillgängligheten till digitala tjänster övervakas från 1.1.2025 av Transport- och kommunikationsverket Traficom (tidigare tillgänglighetstillsynen vid Regionförvaltningsverket i Södra Finland). På webbplatsen tillgänglighetskrav.fi berättas hur du gör en anmälan och hur ärendet behandlas.",
		"authority": "Transport- och kommunikationsverket Traficom, tillgänglighetstillsynen", "email": "E-post", "switchboard": "Växel",
		"h.date": "Om utlåtandet", "date": "Utlåtandet har utarbetats och granskats",
	},
	"en": {
		"title":    "Accessibility statement",
		"scope":    "This statement covers the web services of the KAMU Espoo City Museum customer register: subscribing to, confirming and cancelling the newsletter, the visitor survey, booking rooms, guided tours and catering, cancelling a booking and staff handling of bookings, and the privacy notice. Responsible for the service is",
		"law":      "The Act on the Provision of Digital Services (306/2019) requires public web services to be accessible. We aim for level AA of WCAG 2.1.",
		"h.status": "Compliance status", "status": "The service partially meets the accessibility requirements of WCAG 2.1 level AA. The shortcomings are described below.",
		"h.gaps": "Content that is not accessible",
		"gaps": []string{
			"Accessibility has been assessed by ourselves and with the automated tool axe-core on every page and in every form's error state (WCAG 2.0, 2.1 and 2.2, levels A and AA); no outside expert evaluation or screen reader testing has been made yet. The pages may therefore have shortcomings that automated checking cannot find.",
			"The date and time fields of the booking and survey forms use the browser's own pickers, which work differently with assistive technologies in different browsers (WCAG 4.1.2). A date can also be typed as YYYY-MM-DD and a time as HH:MM.",
			"The staff pages for handling bookings are in Finnish only. They are a working tool of the museum's staff.",
		},
		"h.how": "How the service works", "how": "Every page works without JavaScript. If a form cannot be sent, it is shown again with your answers kept (except the personal identity code), the errors are listed at the top of the page as links to the fields, and each error is shown at its field together with the field's name.",
		"h.feedback": "Give feedback on accessibility",
		"feedback":   "Did you notice an accessibility problem? Tell us. We answer within two weeks.",
		"form":       "Feedback form (choose “I would like a reply to my feedback”)",
		"post":       "Postal address", "phone": "Phone",
		"h.enforce": "Enforcement",
		"enforce":   "If you notice accessibility problems, first give feedback to us. If you are not satisfied with our answer, or get no answer within two weeks, you can report it to the supervisory authority. Since 1 January 2025 the accessibility of digital services is supervised by the Finnish Transport and Communications Agency Traficom (before then, by the accessibility supervision unit of the Regional State Administrative Agency for Southern Finland). The website webaccessibility.fi explains how to make a report and how it is handled.",
		"authority": "Finnish Transport and Communications Agency Traficom, accessibility supervision", "email": "E-mail", "switchboard": "Switchboard",
		"h.date": "About this statement", "date": "This statement was prepared and reviewed on",
	},
}

// supervisorSite is the supervisory authority's site in each language.
var supervisorSite = map[string]string{
	"fi": "https://www.saavutettavuusvaatimukset.fi/",
	"sv": "https://www.tillganglighetskrav.fi/",
	"en": "https://www.webaccessibility.fi/",
}

var statementTmpl = template.Must(template.New("a11y").Parse(`
<nav aria-label="{{.Langs}}">{{range .All}}<a href="/accessibility?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
<p>{{.W.scope}} {{.Provider}}.</p>
<p>{{.W.law}}</p>
<h2>{{index .W "h.status"}}</h2>
<p>{{.W.status}}</p>
<h2>{{index .W "h.gaps"}}</h2>
<ul>{{range .W.gaps}}<li>{{.}}</li>{{end}}</ul>
<h2>{{index .W "h.how"}}</h2>
<p>{{.W.how}}</p>
<h2>{{index .W "h.feedback"}}</h2>
<p>{{.W.feedback}}</p>
<ul>
<li><a href="/feedback?lang={{.Lang}}">{{.W.form}}</a></li>
<li>{{.W.post}}: {{.Provider}}, {{.Address}}</li>
<li>{{.W.phone}}: {{.Phone}}</li>
</ul>
<h2>{{index .W "h.enforce"}}</h2>
<p>{{.W.enforce}}</p>
<p>{{.W.authority}}<br>
<a href="{{.Site}}">{{.Site}}</a><br>
{{.W.email}}: saavutettavuus@traficom.fi<br>
{{.W.switchboard}}: 029 534 5000</p>
<h2>{{index .W "h.date"}}</h2>
<p>{{.W.date}} <time datetime="{{.Date}}">{{.Date}}</time>.</p>`))

var langWord = map[string]string{"fi": "Kieli", "sv": "Språk", "en": "Language"}

// ServeHTTP answers GET /accessibility?lang=fi|sv|en with the statement.
func (s Statement) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	Handle(func(w http.ResponseWriter, r *http.Request) error {
		f, _ := Decode(w, r, 1<<10)
		lang := Lang(r, f)
		words := statementWords[lang]
		return Render(w, http.StatusOK, lang, words["title"].(string), statementTmpl, map[string]any{
			"W": words, "Lang": lang, "All": []string{"fi", "sv", "en"}, "Langs": langWord[lang],
			"Provider": s.Provider(lang), "Address": s.Address, "Phone": s.Phone,
			"Site": supervisorSite[lang], "Date": StatementDate,
		})
	}).ServeHTTP(w, r)
}
