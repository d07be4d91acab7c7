package library

// preregTexts are the words of the pre-registration form, its receipt and
// the PIN link's page, in each language.
var preregTexts = map[string]map[string]string{
	"fi": {
		"langs": "Kieli", "website": "Jätä tämä kenttä tyhjäksi",
		"form.title": "Ennakkoilmoittautuminen kirjaston asiakkaaksi",
		"form.intro": "Täytä tiedot, niin saat ilmoittautumistunnuksen. Nouda kirjastokortti mistä tahansa Espoon, Helsingin, Kauniaisten tai Vantaan kirjastosta: ota mukaan henkilöllisyystodistus. Jos korttia ei noudeta 3 kuukauden kuluessa, tiedot poistetaan.",
		"form.you":   "Henkilötiedot", "form.contact": "Yhteystiedot ja asiakasposti", "form.guardian": "Huoltaja (alle 15-vuotiaalle)",
		"form.guardian.intro": "Alle 15-vuotias rekisteröidään huoltajan kanssa. Huoltajan pitää olla täysi-ikäinen, ja hän noutaa kortin lapsen kanssa.",
		"first_name":          "Etunimi", "last_name": "Sukunimi", "hetu": "Henkilötunnus (tallennetaan salattuna)",
		"street": "Katuosoite", "postcode": "Postinumero", "city": "Postitoimipaikka",
		"phone": "Puhelinnumero (vapaaehtoinen, tekstiviestille pakollinen)", "email": "Sähköposti (vapaaehtoinen, sähköpostille pakollinen)",
		"channel": "Asiakaspostin lähetystapa", "channel.email": "Sähköposti", "channel.letter": "Kirje", "channel.sms": "Tekstiviesti",
		"group": "Asiakasryhmä", "group.child": "Lapsi (alle 15 v.)", "group.adult": "Aikuinen", "group.home-service": "Kotipalveluasiakas", "group.institution": "Laitos tai yhteisö",
		"guardian_first_name": "Huoltajan etunimi", "guardian_last_name": "Huoltajan sukunimi",
		"guardian_hetu": "Huoltajan henkilötunnus (tallennetaan salattuna)", "guardian_email": "Huoltajan sähköposti (vapaaehtoinen)",
		"submit": "Lähetä ilmoittautuminen", "privacy": "Tietosuojaseloste",
		"received.title":  "Ilmoittautuminen vastaanotettu",
		"received.body":   "Ilmoittautumistunnuksesi on %s. Nouda kirjastokortti mistä tahansa Espoon, Helsingin, Kauniaisten tai Vantaan kirjastosta ja ota mukaan henkilöllisyystodistus; alle 15-vuotiaan kortin noutaa huoltaja lapsen kanssa.",
		"received.expiry": "Jos korttia ei noudeta 3 kuukauden kuluessa, tiedot poistetaan.",
		"err.required":    "Pakollinen tieto.", "err.long": "Teksti on liian pitkä.", "err.hetu": "Henkilötunnus ei ole kelvollinen.",
		"err.postcode": "Postinumerossa on viisi numeroa.", "err.phone": "Anna puhelinnumero, esim. 040 123 4567 tai +358 40 123 4567.",
		"err.phone.sms": "Tekstiviesti lähetystapana vaatii puhelinnumeron.", "err.email": "Anna toimiva sähköpostiosoite.",
		"err.email.channel": "Sähköposti lähetystapana vaatii sähköpostiosoitteen.", "err.channel": "Valitse lähetystapa.",
		"err.group": "Valitse asiakasryhmä.", "err.group.child": "Alle 15-vuotias rekisteröidään lapsena.",
		"err.guardian.need": "Alle 15-vuotias rekisteröidään huoltajan kanssa: anna huoltajan tiedot.",
		"err.guardian.age":  "Huoltajan pitää olla täysi-ikäinen (18 vuotta).", "err.guardian.self": "Huoltajan henkilötunnus ei voi olla lapsen oma.",
		"pin.title": "Aseta tunnusluku", "pin.intro": "Valitse kirjastokortillesi 4–8 numeron tunnusluku. Linkki toimii kerran.",
		"pin": "Uusi tunnusluku (4–8 numeroa)", "pin2": "Uusi tunnusluku uudelleen", "pin.submit": "Aseta tunnusluku",
		"pin.done.title": "Tunnusluku on asetettu", "pin.done": "Voit nyt kirjautua omiin tietoihisi asiakasnumerolla ja tunnusluvulla.",
		"err.pin": "Tunnusluvussa on 4–8 numeroa.", "err.pin2": "Tunnusluvut eivät täsmää.",
		"link.title": "Linkki ei toimi", "link.invalid": "Linkki ei ole kelvollinen. Kopioi koko linkki viestistä.",
		"link.expired": "Linkki on vanhentunut. Pyydä uusi linkki kirjastosta.", "link.used": "Linkki on jo käytetty. Jos haluat vaihtaa tunnusluvun, pyydä uusi linkki kirjastosta.",
	},
	"sv": {
		"langs": "Språk", "website": "Lämna detta fält tomt",
		"form.title": "Förhandsregistrering som bibliotekskund",
		"form.intro": "Fyll i uppgifterna så får du en registreringskod. Hämta bibliotekskortet på vilket bibliotek som helst i Esbo, Helsingfors, Grankulla eller Vanda: ta med ett identitetsbevis. Om kortet inte hämtas inom 3 månader raderas uppgifterna.",
		"form.you":   "Personuppgifter", "form.contact": "Kontaktuppgifter och kundpost", "form.guardian": "Vårdnadshavare (för barn under 15 år)",
		"form.guardian.intro": "Ett barn under 15 år registreras med en vårdnadshavare. Vårdnadshavaren ska vara myndig och hämtar kortet tillsammans med barnet.",
		"first_name":          "Förnamn", "last_name": "Efternamn", "hetu": "Personbeteckning (sparas krypterad)",
		"street": "Gatuadress", "postcode": "Postnummer", "city": "Postanstalt",
		"phone": "Telefonnummer (frivilligt, obligatoriskt för sms)", "email": "E-post (frivilligt, obligatoriskt för e-post)",
		"channel": "Sändningssätt för kundpost", "channel.email": "E-post", "channel.letter": "Brev", "channel.sms": "Sms",
		"group": "Kundgrupp", "group.child": "Barn (under 15 år)", "group.adult": "Vuxen", "group.home-service": "Hemservicekund", "group.institution": "Inrättning eller sammanslutning",
		"guardian_first_name": "Vårdnadshavarens förnamn", "guardian_last_name": "Vårdnadshavarens efternamn",
		"guardian_hetu": "Vårdnadshavarens personbeteckning (sparas krypterad)", "guardian_email": "Vårdnadshavarens e-post (frivilligt)",
		"submit": "Skicka registreringen", "privacy": "Dataskyddsbeskrivning",
		"received.title":  "Registreringen mottagen",
		"received.body":   "Din registreringskod är %s. Hämta bibliotekskortet på vilket bibliotek som helst i Esbo, Helsingfors, Grankulla eller Vanda och ta med ett identitetsbevis; kortet för ett barn under 15 år hämtas av vårdnadshavaren tillsammans med barnet.",
		"received.expiry": "Om kortet inte hämtas inom 3 månader raderas uppgifterna.",
		"err.required":    "Obligatorisk uppgift.", "err.long": "Texten är för lång.", "err.hetu": "Personbeteckningen är inte giltig.",
		"err.postcode": "Postnumret har fem siffror.", "err.phone": "Ange ett telefonnummer, t.ex. 040 123 4567 eller +358 40 123 4567.",
		"err.phone.sms": "Sms som sändningssätt kräver ett telefonnummer.", "err.email": "Ange en fungerande e-postadress.",
		"err.email.channel": "E-post som sändningssätt kräver en e-postadress.", "err.channel": "Välj sändningssätt.",
		"err.group": "Välj kundgrupp.", "err.group.child": "Den som är under 15 år registreras som barn.",
		"err.guardian.need": "Ett barn under 15 år registreras med en vårdnadshavare: ange vårdnadshavarens uppgifter.",
		"err.guardian.age":  "Vårdnadshavaren ska vara myndig (18 år).", "err.guardian.self": "Vårdnadshavarens personbeteckning kan inte vara barnets egen.",
		"pin.title": "Välj PIN-kod", "pin.intro": "Välj en PIN-kod på 4–8 siffror för ditt bibliotekskort. Länken fungerar en gång.",
		"pin": "Ny PIN-kod (4–8 siffror)", "pin2": "Ny PIN-kod igen", "pin.submit": "Spara PIN-koden",
		"pin.done.title": "PIN-koden är sparad", "pin.done": "Du kan nu logga in med kundnummer och PIN-kod.",
		"err.pin": "PIN-koden har 4–8 siffror.", "err.pin2": "PIN-koderna är inte lika.",
		"link.title": "Länken fungerar inte", "link.invalid": "Länken är inte giltig. Kopiera hela länken från meddelandet.",
		"link.expired": "Länken har gått ut. Be biblioteket om en ny länk.", "link.used": "Länken har redan använts. Be biblioteket om en ny länk om du vill byta PIN-kod.",
	},
	"en": {
		"langs": "Language", "website": "Leave this field empty",
		"form.title": "Pre-register as a library customer",
		"form.intro": "Fill in your details to get a registration reference. Collect your library card at any library in Espoo, Helsinki, Kauniainen or Vantaa: bring an ID. If the card is not collected within 3 months, the details are deleted.",
		"form.you":   "Your details", "form.contact": "Contact details and customer mail", "form.guardian": "Guardian (for a child under 15)",
		"form.guardian.intro": "A child under 15 is registered with a guardian. The guardian must be of age and collects the card with the child.",
		"first_name":          "First name", "last_name": "Last name", "hetu": "Personal identity code (stored encrypted)",
		"street": "Street address", "postcode": "Postcode", "city": "City",
		"phone": "Phone (optional; needed for text messages)", "email": "E-mail (optional; needed for e-mail)",
		"channel": "How to send customer mail", "channel.email": "E-mail", "channel.letter": "Letter", "channel.sms": "Text message",
		"group": "Customer group", "group.child": "Child (under 15)", "group.adult": "Adult", "group.home-service": "Home-service customer", "group.institution": "Institution or organisation",
		"guardian_first_name": "Guardian's first name", "guardian_last_name": "Guardian's last name",
		"guardian_hetu": "Guardian's personal identity code (stored encrypted)", "guardian_email": "Guardian's e-mail (optional)",
		"submit": "Send the registration", "privacy": "Privacy notice",
		"received.title":  "Registration received",
		"received.body":   "Your registration reference is %s. Collect your library card at any library in Espoo, Helsinki, Kauniainen or Vantaa and bring an ID; a child under 15 collects the card with their guardian.",
		"received.expiry": "If the card is not collected within 3 months, the details are deleted.",
		"err.required":    "Required.", "err.long": "The text is too long.", "err.hetu": "The personal identity code is not valid.",
		"err.postcode": "A postcode has five digits.", "err.phone": "Give a phone number, e.g. 040 123 4567 or +358 40 123 4567.",
		"err.phone.sms": "Text messages need a phone number.", "err.email": "Please give a working e-mail address.",
		"err.email.channel": "E-mail as the channel needs an e-mail address.", "err.channel": "Choose how to send customer mail.",
		"err.group": "Choose a customer group.", "err.group.child": "A person under 15 is registered as a child.",
		"err.guardian.need": "A child under 15 is registered with a guardian: give the guardian's details.",
		"err.guardian.age":  "The guardian must be of age (18).", "err.guardian.self": "The guardian's identity code cannot be the child's own.",
		"pin.title": "Set your PIN", "pin.intro": "Choose a PIN of 4–8 digits for your library card. The link works once.",
		"pin": "New PIN (4–8 digits)", "pin2": "New PIN again", "pin.submit": "Set the PIN",
		"pin.done.title": "Your PIN is set", "pin.done": "You can now sign in with your customer number and PIN.",
		"err.pin": "A PIN has 4–8 digits.", "err.pin2": "The PINs do not match.",
		"link.title": "The link does not work", "link.invalid": "The link is not valid. Copy the whole link from the message.",
		"link.expired": "The link has expired. Ask the library for a new one.", "link.used": "The link has been used already. Ask the library for a new one to change your PIN.",
	},
}

// ptext is a word of the pre-registration and PIN pages in lang (Finnish
// where lang has none).
func ptext(lang, key string) string {
	if s, ok := preregTexts[lang][key]; ok {
		return s
	}
	return preregTexts["fi"][key]
}

// ptexts are every word of the pages in lang, for a template.
func ptexts(lang string) map[string]string {
	out := make(map[string]string, len(preregTexts["fi"]))
	for k := range preregTexts["fi"] {
		out[k] = ptext(lang, k)
	}
	return out
}
