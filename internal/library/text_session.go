package library

import "strings"

// sessionTexts are the words of the self-service pages (login, /library/me)
// in each language. "login.failed" is the one answer to every refused login
// — a wrong PIN, an unknown number, a locked number — so it states the
// lockout rule to everyone alike and never says which case it was.
var sessionTexts = map[string]map[string]string{
	"fi": {
		"langs": "Kieli", "error.prefix": "Virhe: ",
		"login.title": "Kirjaudu omiin tietoihin", "login.intro": "Kirjaudu kirjastokortin asiakasnumerolla ja tunnusluvulla.",
		"login.customer": "Asiakasnumero", "login.pin": "Tunnusluku", "login.submit": "Kirjaudu",
		"login.failed":    "Asiakasnumero tai tunnusluku on väärin, tai numero on tilapäisesti lukittu. Numero lukitaan {minutes} minuutiksi {max} väärän yrityksen jälkeen.",
		"login.rule":      "Turvallisuussyistä asiakasnumero lukitaan {minutes} minuutiksi {max} väärän tunnusluvun jälkeen. Istunto päättyy {session} minuutin kuluttua.",
		"login.signedout": "Olet kirjautunut ulos.", "login.expired": "Istuntosi on päättynyt. Kirjaudu uudelleen.",
		"err.required": "Pakollinen tieto.", "err.long": "Teksti on liian pitkä.", "err.postcode": "Anna postinumero viitenä numerona.",
		"err.phone": "Anna puhelinnumero muodossa 040 123 4567 tai +358 40 123 4567.", "err.email": "Anna toimiva sähköpostiosoite.",
		"err.lang": "Valitse kieli.", "err.channel": "Valitse lähetystapa.", "err.channel.email": "Sähköposti lähetystapana vaatii sähköpostiosoitteen.",
		"err.channel.sms": "Tekstiviesti lähetystapana vaatii puhelinnumeron.", "err.csrf": "Lomake on vanhentunut. Avaa sivu uudelleen ja lähetä lomake.",
		"me.title": "Omat tietoni", "me.saved": "Tiedot on tallennettu.", "me.session": "Istunto päättyy klo {until}.",
		"me.you": "Perustiedot", "me.name": "Nimi", "me.customer": "Asiakasnumero", "me.hetu": "Henkilötunnus", "me.hetu.held": "Tallennettu rekisteriin (ei näytetä verkossa).",
		"me.birth": "Syntymäaika", "me.group": "Asiakasryhmä",
		"me.contact": "Yhteystiedot ja asiakasposti", "me.street": "Katuosoite", "me.postcode": "Postinumero", "me.city": "Postitoimipaikka",
		"me.phone": "Puhelinnumero (vapaaehtoinen)", "me.email": "Sähköposti (vapaaehtoinen)", "me.lang": "Asiakaspostin kieli", "me.channel": "Asiakaspostin lähetystapa",
		"me.save": "Tallenna muutokset",
		"lang.fi": "suomi", "lang.sv": "ruotsi", "lang.en": "englanti",
		"channel.email": "sähköposti", "channel.letter": "kirje", "channel.sms": "tekstiviesti",
		"me.loans": "Lainat", "me.reservations": "Varaukset", "me.fees": "Maksut", "me.none": "Ei yhtään.",
		"me.item": "Nimeke", "me.due": "Eräpäivä", "me.status": "Tila", "me.reserved": "Varattu", "me.amount": "Summa", "me.reason": "Syy", "me.library": "Kirjasto",
		"me.actfor": "Katso ja muuta tietoja", "me.acting": "Katselet ja muutat huollettavasi tietoja.", "me.back": "Takaisin omiin tietoihisi", "me.nochild": "Tätä huollettavaa ei löydy.", "me.guardians": "Vastuuhenkilöt", "me.dependants": "Huollettavat",
		"status.reserved": "varattu", "status.open": "voimassa", "status.unpaid": "maksamatta", "status.resolved": "selvitetty", "status.closed": "päättynyt",
		"group.child": "lapsi", "group.adult": "aikuinen", "group.home-service": "kotipalveluasiakas", "group.institution": "laitos",
		"logout":      "Kirjaudu ulos",
		"me_requests": "Tietosuojapyynnöt: pyydä kopio tiedoistasi, tietojen oikaisua tai käsittelyn rajoittamista",
	},
	"sv": {
		"langs": "Språk", "error.prefix": "Fel: ",
		"login.title": "Logga in till dina uppgifter", "login.intro": "Logga in med bibliotekskortets kundnummer och PIN-kod.",
		"login.customer": "Kundnummer", "login.pin": "PIN-kod", "login.submit": "Logga in",
		"login.failed":    "Kundnumret eller PIN-koden är fel, eller så är numret tillfälligt låst. Numret låses i {minutes} minuter efter {max} felaktiga försök.",
		"login.rule":      "Av säkerhetsskäl låses kundnumret i {minutes} minuter efter {max} felaktiga PIN-koder. Sessionen upphör efter {session} minuter.",
		"login.signedout": "Du har loggat ut.", "login.expired": "Din session har upphört. Logga in på nytt.",
		"err.required": "Obligatorisk uppgift.", "err.long": "Texten är för lång.", "err.postcode": "Ange postnumret med fem siffror.",
		"err.phone": "Ange telefonnumret som 040 123 4567 eller +358 40 123 4567.", "err.email": "Ange en fungerande e-postadress.",
		"err.lang": "Välj språk.", "err.channel": "Välj sändningssätt.", "err.channel.email": "E-post som sändningssätt kräver en e-postadress.",
		"err.channel.sms": "Textmeddelande som sändningssätt kräver ett telefonnummer.", "err.csrf": "Formuläret har gått ut. Öppna sidan på nytt och skicka formuläret.",
		"me.title": "Mina uppgifter", "me.saved": "Uppgifterna har sparats.", "me.session": "Sessionen upphör kl. {until}.",
		"me.you": "Grunduppgifter", "me.name": "Namn", "me.customer": "Kundnummer", "me.hetu": "Personbeteckning", "me.hetu.held": "Sparad i registret (visas inte på nätet).",
		"me.birth": "Födelsedatum", "me.group": "Kundgrupp",
		"me.contact": "Kontaktuppgifter och kundpost", "me.street": "Gatuadress", "me.postcode": "Postnummer", "me.city": "Postanstalt",
		"me.phone": "Telefonnummer (frivilligt)", "me.email": "E-post (frivilligt)", "me.lang": "Kundpostens språk", "me.channel": "Kundpostens sändningssätt",
		"me.save": "Spara ändringarna",
		"lang.fi": "finska", "lang.sv": "svenska", "lang.en": "engelska",
		"channel.email": "e-post", "channel.letter": "brev", "channel.sms": "textmeddelande",
		"me.loans": "Lån", "me.reservations": "Reservationer", "me.fees": "Avgifter", "me.none": "Inga.",
		"me.item": "Titel", "me.due": "Förfallodag", "me.status": "Status", "me.reserved": "Reserverad", "me.amount": "Belopp", "me.reason": "Orsak", "me.library": "Bibliotek",
		"me.actfor": "Se och ändra uppgifterna", "me.acting": "Du ser och ändrar uppgifterna för en person du ansvarar för.", "me.back": "Tillbaka till dina egna uppgifter", "me.nochild": "Personen finns inte.", "me.guardians": "Ansvariga personer", "me.dependants": "Personer du ansvarar för",
		"status.reserved": "reserverad", "status.open": "gällande", "status.unpaid": "obetald", "status.resolved": "löst", "status.closed": "avslutad",
		"group.child": "barn", "group.adult": "vuxen", "group.home-service": "hemservicekund", "group.institution": "inrättning",
		"logout":      "Logga ut",
		"me_requests": "Dataskyddsbegäranden: begär en kopia av dina uppgifter, rättelse eller begränsning av behandlingen",
	},
	"en": {
		"langs": "Language", "error.prefix": "Error: ",
		"login.title": "Sign in to your details", "login.intro": "Sign in with your library card's customer number and PIN.",
		"login.customer": "Customer number", "login.pin": "PIN", "login.submit": "Sign in",
		"login.failed":    "The customer number or PIN is wrong, or the number is locked for now. A number is locked for {minutes} minutes after {max} wrong attempts.",
		"login.rule":      "For your security a customer number is locked for {minutes} minutes after {max} wrong PINs. A session ends after {session} minutes.",
		"login.signedout": "You have signed out.", "login.expired": "Your session has ended. Please sign in again.",
		"err.required": "Required.", "err.long": "The text is too long.", "err.postcode": "Give the postcode as five digits.",
		"err.phone": "Give the phone number as 040 123 4567 or +358 40 123 4567.", "err.email": "Please give a working e-mail address.",
		"err.lang": "Choose a language.", "err.channel": "Choose a delivery channel.", "err.channel.email": "E-mail as the delivery channel needs an e-mail address.",
		"err.channel.sms": "Text message as the delivery channel needs a phone number.", "err.csrf": "The form has expired. Open the page again and send the form.",
		"me.title": "My details", "me.saved": "Your details are saved.", "me.session": "Your session ends at {until}.",
		"me.you": "Basic details", "me.name": "Name", "me.customer": "Customer number", "me.hetu": "Personal identity code", "me.hetu.held": "Held in the register (not shown online).",
		"me.birth": "Date of birth", "me.group": "Customer group",
		"me.contact": "Contact details and customer mail", "me.street": "Street address", "me.postcode": "Postcode", "me.city": "City",
		"me.phone": "Phone (optional)", "me.email": "E-mail (optional)", "me.lang": "Language of customer mail", "me.channel": "Delivery channel of customer mail",
		"me.save": "Save changes",
		"lang.fi": "Finnish", "lang.sv": "Swedish", "lang.en": "English",
		"channel.email": "e-mail", "channel.letter": "letter", "channel.sms": "text message",
		"me.loans": "Loans", "me.reservations": "Reservations", "me.fees": "Fees", "me.none": "None.",
		"me.item": "Title", "me.due": "Due date", "me.status": "Status", "me.reserved": "Reserved", "me.amount": "Amount", "me.reason": "Reason", "me.library": "Library",
		"me.actfor": "See and change the details", "me.acting": "You are seeing and changing the details of a person you are responsible for.", "me.back": "Back to your own details", "me.nochild": "That person cannot be found.", "me.guardians": "Persons responsible for you", "me.dependants": "Persons you are responsible for",
		"status.reserved": "reserved", "status.open": "current", "status.unpaid": "unpaid", "status.resolved": "resolved", "status.closed": "ended",
		"group.child": "child", "group.adult": "adult", "group.home-service": "home-service customer", "group.institution": "institution",
		"logout":      "Sign out",
		"me_requests": "Data protection requests: ask for a copy of your data, rectification or restriction of processing",
	},
}

// sessionText is key in lang (Finnish when lang has none), with the lockout
// and session numbers filled in.
func sessionText(lang, key string) string {
	s, ok := sessionTexts[lang][key]
	if !ok {
		s = sessionTexts["fi"][key]
	}
	if strings.Contains(s, "{") {
		s = lockoutWords.Replace(s)
	}
	return s
}

// templateKey makes a text's key a template field name: "me.title" is
// {{.T.me_title}}.
var templateKey = strings.NewReplacer(".", "_", "-", "_")

// sessionWords is every text of lang by key, for templates ({{.T.me_title}}).
func sessionWords(lang string) map[string]string {
	out := make(map[string]string, len(sessionTexts["fi"]))
	for k := range sessionTexts["fi"] {
		out[templateKey.Replace(k)] = sessionText(lang, k)
	}
	return out
}
