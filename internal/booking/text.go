package booking

var texts = map[string]map[string]string{
	"fi": {
		"langs":      "Kieli",
		"form.title": "Varaa opas, tila tai tarjoilu", "form.intro": "Varaus on pyyntö: vahvistamme sen sähköpostilla. Henkilötunnus kysytään vain, jos haluat laskun yksityishenkilönä.",
		"resource": "Mitä varaat?", "date": "Päivä", "start": "Alkaa", "end": "Päättyy", "participants": "Osallistujia",
		"first_name": "Etunimi", "last_name": "Sukunimi", "email": "Sähköposti", "phone": "Puhelin (vapaaehtoinen)",
		"organisation": "Organisaatio (vapaaehtoinen)", "business_id": "Y-tunnus (organisaation laskulle)",
		"payment": "Maksutapa", "card": "Kortilla paikan päällä", "invoice": "Laskulla", "street": "Laskutusosoite", "postcode": "Postinumero", "city": "Postitoimipaikka",
		"hetu": "Henkilötunnus (vain yksityishenkilön laskulle; tallennetaan salattuna)", "notes": "Lisätiedot", "submit": "Lähetä varauspyyntö", "website": "Jätä tämä kenttä tyhjäksi",
		"received.title": "Varauspyyntö vastaanotettu", "received.body": "Varaustunnuksesi on %s. Lähetimme kuittauksen sähköpostiisi; saat vahvistuksen, kun henkilökunta on käsitellyt pyynnön.",
		"err.required": "Pakollinen tieto.", "err.resource": "Valitse jokin varattavista.", "err.date": "Anna päivä muodossa VVVV-KK-PP.", "err.past": "Päivä ei voi olla menneisyydessä.", "err.far": "Varata voi enintään vuoden päähän.",
		"err.time": "Anna aika muodossa TT:MM.", "err.order": "Päättymisen pitää olla alun jälkeen.", "err.participants": "Osallistujia 1–%d.",
		"err.email": "Anna toimiva sähköpostiosoite.", "err.phone": "Anna puhelinnumero, esim. 040 123 4567 tai +358 40 123 4567.", "err.businessid": "Y-tunnus ei ole kelvollinen (muoto 1234567-8).",
		"err.payment": "Valitse kortti tai lasku.", "err.postcode": "Postinumerossa on viisi numeroa.", "err.hetu": "Henkilötunnus ei ole kelvollinen.", "err.hetu.need": "Yksityishenkilön laskua varten tarvitaan henkilötunnus (tai anna Y-tunnus).",
		"err.hetu.unasked": "Henkilötunnusta ei kysytä tälle maksutavalle; jätä kenttä tyhjäksi.", "err.long": "Teksti on liian pitkä.",
		"cancel.title": "Peru varaus", "cancel.body": "Haluatko perua varauksen %s (%s %s–%s)?", "cancel.button": "Peru varaus",
		"cancelled.title": "Varaus on peruttu", "cancelled.body": "Varaus %s on peruttu. Henkilökunnalle on ilmoitettu.",
		"link.title": "Linkki ei toimi", "link.invalid": "Linkki ei ole kelvollinen. Kopioi koko linkki viestistä.", "link.expired": "Linkki on vanhentunut.", "link.notfound": "Varausta ei löydy.",
		"toolate": "Varausta ei voi enää perua verkossa, koska varattu päivä on alkanut. Ota yhteys museoon.", "notcancelable": "Hylättyä varausta ei tarvitse perua.",
	},
	"sv": {
		"langs":      "Språk",
		"form.title": "Boka guide, lokal eller servering", "form.intro": "Bokningen är en förfrågan: vi bekräftar den per e-post. Personbeteckningen frågas bara om du vill ha faktura som privatperson.",
		"resource": "Vad bokar du?", "date": "Dag", "start": "Börjar", "end": "Slutar", "participants": "Deltagare",
		"first_name": "Förnamn", "last_name": "Efternamn", "email": "E-post", "phone": "Telefon (frivilligt)",
		"organisation": "Organisation (frivilligt)", "business_id": "FO-nummer (för organisationens faktura)",
		"payment": "Betalningssätt", "card": "Med kort på plats", "invoice": "Mot faktura", "street": "Faktureringsadress", "postcode": "Postnummer", "city": "Postanstalt",
		"hetu": "Personbeteckning (bara för faktura till privatperson; sparas krypterad)", "notes": "Tilläggsuppgifter", "submit": "Skicka bokningsförfrågan", "website": "Lämna detta fält tomt",
		"received.title": "Bokningsförfrågan mottagen", "received.body": "Din bokningskod är %s. Vi skickade en kvittering till din e-post; du får en bekräftelse när personalen har behandlat förfrågan.",
		"err.required": "Obligatorisk uppgift.", "err.resource": "Välj något som kan bokas.", "err.date": "Ange dagen som ÅÅÅÅ-MM-DD.", "err.past": "Dagen kan inte ha passerat.", "err.far": "Man kan boka högst ett år framåt.",
		"err.time": "Ange tiden som TT:MM.", "err.order": "Sluttiden ska vara efter starttiden.", "err.participants": "1–%d deltagare.",
		"err.email": "Ange en fungerande e-postadress.", "err.phone": "Ange ett telefonnummer, t.ex. 040 123 4567 eller +358 40 123 4567.", "err.businessid": "FO-numret är inte giltigt (formen 1234567-8).",
		"err.payment": "Välj kort eller faktura.", "err.postcode": "Postnumret har fem siffror.", "err.hetu": "Personbeteckningen är inte giltig.", "err.hetu.need": "För faktura till privatperson behövs personbeteckningen (eller ange FO-nummer).",
		"err.hetu.unasked": "Personbeteckningen frågas inte för detta betalningssätt; lämna fältet tomt.", "err.long": "Texten är för lång.",
		"cancel.title": "Avboka", "cancel.body": "Vill du avboka bokningen %s (%s %s–%s)?", "cancel.button": "Avboka",
		"cancelled.title": "Bokningen är avbokad", "cancelled.body": "Bokningen %s är avbokad. Personalen har fått besked.",
		"link.title": "Länken fungerar inte", "link.invalid": "Länken är inte giltig. Kopiera hela länken från meddelandet.", "link.expired": "Länken har gått ut.", "link.notfound": "Bokningen finns inte.",
		"toolate": "Bokningen kan inte längre avbokas på nätet eftersom dagen har börjat. Kontakta museet.", "notcancelable": "En avslagen bokning behöver inte avbokas.",
	},
	"en": {
		"langs":      "Language",
		"form.title": "Book a guide, a room or catering", "form.intro": "A booking is a request: we confirm it by e-mail. The personal identity code is asked only if you want an invoice as a private person.",
		"resource": "What are you booking?", "date": "Date", "start": "Starts", "end": "Ends", "participants": "Participants",
		"first_name": "First name", "last_name": "Last name", "email": "E-mail", "phone": "Phone (optional)",
		"organisation": "Organisation (optional)", "business_id": "Business ID (for an invoice to an organisation)",
		"payment": "Payment", "card": "By card on site", "invoice": "By invoice", "street": "Invoicing address", "postcode": "Postcode", "city": "City",
		"hetu": "Personal identity code (only for an invoice to a private person; stored encrypted)", "notes": "Notes", "submit": "Send the booking request", "website": "Leave this field empty",
		"received.title": "Booking request received", "received.body": "Your booking reference is %s. We sent a receipt to your e-mail; you will get a confirmation once staff have handled the request.",
		"err.required": "Required.", "err.resource": "Choose something that can be booked.", "err.date": "Give the date as YYYY-MM-DD.", "err.past": "The date cannot be in the past.", "err.far": "Bookings can be made at most a year ahead.",
		"err.time": "Give the time as HH:MM.", "err.order": "The end must be after the start.", "err.participants": "1–%d participants.",
		"err.email": "Please give a working e-mail address.", "err.phone": "Give a phone number, e.g. 040 123 4567 or +358 40 123 4567.", "err.businessid": "The business ID is not valid (form 1234567-8).",
		"err.payment": "Choose card or invoice.", "err.postcode": "A postcode has five digits.", "err.hetu": "The personal identity code is not valid.", "err.hetu.need": "An invoice to a private person needs the personal identity code (or give a business ID).",
		"err.hetu.unasked": "The identity code is not asked for this payment; leave the field empty.", "err.long": "The text is too long.",
		"cancel.title": "Cancel the booking", "cancel.body": "Do you want to cancel booking %s (%s %s–%s)?", "cancel.button": "Cancel the booking",
		"cancelled.title": "The booking is cancelled", "cancelled.body": "Booking %s is cancelled. Staff have been told.",
		"link.title": "The link does not work", "link.invalid": "The link is not valid. Copy the whole link from the message.", "link.expired": "The link has expired.", "link.notfound": "The booking cannot be found.",
		"toolate": "The booking can no longer be cancelled online because the day has begun. Please contact the museum.", "notcancelable": "A declined booking needs no cancelling.",
	},
}

func t(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return texts["fi"][key]
}
