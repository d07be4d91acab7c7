package requests

var texts = map[string]map[string]string{
	"fi": {
		"langs": "Kieli", "form.title": "Tietosuojapyyntö",
		"form.intro":  "Voit pyytää jäljennöstä tiedoistasi, tietojen oikaisua tai poistamista, käsittelyn rajoittamista tai vastustaa suoramarkkinointia. Lähetämme sähköpostiisi linkin, jolla vahvistat pyynnön olevan sinun. Vastaamme kuukauden kuluessa vahvistuksesta.",
		"type":        "Mitä pyydät?",
		"type.access": "Jäljennös tiedoistani", "type.rectification": "Tietojeni oikaisu", "type.erasure": "Tietojeni poistaminen",
		"type.restriction": "Käsittelyn rajoittaminen", "type.objection": "Vastustan suoramarkkinointia",
		"email": "Sähköposti", "email.hint": "Osoite, jolla olet asioinut museon kanssa.",
		"details": "Lisätiedot (vapaaehtoinen)", "details.hint": "Esimerkiksi mikä tieto on virheellinen ja mikä on oikea. Enintään 4000 merkkiä.",
		"submit": "Lähetä pyyntö", "website": "Jätä tämä kenttä tyhjäksi", "privacy": "Tietosuojaseloste",
		"err.type": "Valitse pyynnön laji.", "err.email": "Anna toimiva sähköpostiosoite.", "err.details": "Lisätiedoissa voi olla enintään 4000 merkkiä.",
		"pending.title": "Vahvista pyyntösi", "pending.body": "Jos osoite on oikea, saat pian viestin. Vahvista pyyntö viestin linkillä 7 vuorokauden kuluessa.",
		"verify.title": "Vahvista tietosuojapyyntö", "verify.body": "Vahvista, että pyyntö on sinun. Vastaamme kuukauden kuluessa vahvistuksesta.", "verify.button": "Vahvista pyyntö",
		"verified.title": "Pyyntö on vahvistettu", "verified.body": "Kiitos. Vastaamme viimeistään %s. Pyynnön tunnus on %s.",
		"download.title": "Tietojesi jäljennös", "download.body": "Jäljennöksessä on luettava sivu ja koneluettava JSON-tiedosto. Lataa ne painikkeilla.",
		"download.html": "Lataa luettava sivu (HTML)", "download.json": "Lataa koneluettava tiedosto (JSON)",
		"link.title": "Linkki ei toimi", "link.invalid": "Linkki ei ole kelvollinen. Kopioi koko linkki viestistä.", "link.expired": "Linkki on vanhentunut. Voit tehdä uuden pyynnön.",
		"link.gone": "Jäljennöstä ei enää ole. Voit tehdä uuden pyynnön.", "again": "Tee uusi pyyntö",
		"ready.body": "Jäljennös on valmis. Lataa se alla olevasta linkistä. Linkki toimii 5 minuuttia; sen jälkeen paina painiketta uudelleen viestin linkin sivulla.",
	},
	"sv": {
		"langs": "Språk", "form.title": "Begäran om dataskydd",
		"form.intro":  "Du kan begära en kopia av dina uppgifter, rättelse eller radering av uppgifter, begränsning av behandlingen eller invända mot direktmarknadsföring. Vi skickar en länk till din e-post där du bekräftar att begäran är din. Vi svarar inom en månad efter bekräftelsen.",
		"type":        "Vad begär du?",
		"type.access": "En kopia av mina uppgifter", "type.rectification": "Rättelse av mina uppgifter", "type.erasure": "Radering av mina uppgifter",
		"type.restriction": "Begränsning av behandlingen", "type.objection": "Jag invänder mot direktmarknadsföring",
		"email": "E-post", "email.hint": "Adressen du har använt med museet.",
		"details": "Tilläggsuppgifter (frivilligt)", "details.hint": "Till exempel vilken uppgift som är fel och vad som är rätt. Högst 4000 tecken.",
		"submit": "Skicka begäran", "website": "Lämna detta fält tomt", "privacy": "Dataskyddsbeskrivning",
		"err.type": "Välj typ av begäran.", "err.email": "Ange en fungerande e-postadress.", "err.details": "Tilläggsuppgifterna får vara högst 4000 tecken.",
		"pending.title": "Bekräfta din begäran", "pending.body": "Om adressen är rätt får du snart ett meddelande. Bekräfta begäran med länken i meddelandet inom 7 dygn.",
		"verify.title": "Bekräfta begäran om dataskydd", "verify.body": "Bekräfta att begäran är din. Vi svarar inom en månad efter bekräftelsen.", "verify.button": "Bekräfta begäran",
		"verified.title": "Begäran är bekräftad", "verified.body": "Tack. Vi svarar senast %s. Begärans kod är %s.",
		"download.title": "Kopia av dina uppgifter", "download.body": "Kopian består av en läsbar sida och en maskinläsbar JSON-fil. Ladda ner dem med knapparna.",
		"download.html": "Ladda ner den läsbara sidan (HTML)", "download.json": "Ladda ner den maskinläsbara filen (JSON)",
		"link.title": "Länken fungerar inte", "link.invalid": "Länken är inte giltig. Kopiera hela länken från meddelandet.", "link.expired": "Länken har gått ut. Du kan göra en ny begäran.",
		"link.gone": "Kopian finns inte längre. Du kan göra en ny begäran.", "again": "Gör en ny begäran",
		"ready.body": "Kopian är klar. Ladda ner den med länken nedan. Länken fungerar i 5 minuter; därefter kan du trycka på knappen igen på sidan som länken i meddelandet öppnar.",
	},
	"en": {
		"langs": "Language", "form.title": "Data protection request",
		"form.intro":  "You can ask for a copy of your data, for your data to be rectified or erased, for its processing to be restricted, or object to direct marketing. We send a link to your e-mail with which you confirm that the request is yours. We answer within one month of the confirmation.",
		"type":        "What do you ask for?",
		"type.access": "A copy of my data", "type.rectification": "Rectification of my data", "type.erasure": "Erasure of my data",
		"type.restriction": "Restriction of processing", "type.objection": "I object to direct marketing",
		"email": "E-mail", "email.hint": "The address you have used with the museum.",
		"details": "Details (optional)", "details.hint": "For example which data is wrong and what is right. At most 4000 characters.",
		"submit": "Send the request", "website": "Leave this field empty", "privacy": "Privacy notice",
		"err.type": "Choose the kind of request.", "err.email": "Enter a working e-mail address.", "err.details": "The details may have at most 4000 characters.",
		"pending.title": "Confirm your request", "pending.body": "If the address is right, you will soon get a message. Confirm the request with its link within 7 days.",
		"verify.title": "Confirm your data protection request", "verify.body": "Confirm that the request is yours. We answer within one month of the confirmation.", "verify.button": "Confirm the request",
		"verified.title": "The request is confirmed", "verified.body": "Thank you. We will answer by %s at the latest. The request's id is %s.",
		"download.title": "A copy of your data", "download.body": "The copy has a readable page and a machine-readable JSON file. Download them with the buttons.",
		"download.html": "Download the readable page (HTML)", "download.json": "Download the machine-readable file (JSON)",
		"link.title": "The link does not work", "link.invalid": "The link is not valid. Copy the whole link from the message.", "link.expired": "The link has expired. You can make a new request.",
		"link.gone": "The copy is no longer there. You can make a new request.", "again": "Make a new request",
		"ready.body": "The copy is ready. Download it with the link below. The link works for 5 minutes; after that, press the button again on the page that the link in the message opens.",
	},
}

func t(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return texts["fi"][key]
}
