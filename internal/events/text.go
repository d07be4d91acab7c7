package events

var texts = map[string]map[string]string{
	"fi": {
		"langs": "Kieli", "form.title": "Ilmoittaudu: %s", "when": "Aika", "at": "klo", "place": "Paikka", "left": "Vapaita paikkoja",
		"form.name": "Nimi", "form.email": "Sähköposti", "form.guests": "Mukana tulevia seuralaisia (0–5)", "website": "Jätä tämä kenttä tyhjäksi",
		"submit": "Ilmoittaudu", "full": "Tapahtuma on täynnä.", "err.left": "Vapaita paikkoja on enää %d (sinä ja seuralaisesi).",
		"err.required": "Pakollinen tieto.", "err.long": "Teksti on liian pitkä.", "err.email": "Anna toimiva sähköpostiosoite.", "err.guests": "Seuralaisia 0–%d.",
		"registered.title": "Olet ilmoittautunut", "registered.body": "Paikkasi tapahtumaan %s (%s) on varattu. Lähetimme vahvistuksen sähköpostiisi; siinä on myös peruutuslinkki.",
		"cancel.title": "Peru ilmoittautuminen", "cancel.body": "Haluatko perua ilmoittautumisesi tapahtumaan %s (%s, %d paikkaa)?", "cancel.button": "Peru ilmoittautuminen",
		"cancelled.title": "Ilmoittautuminen on peruttu", "cancelled.body": "Ilmoittautumisesi tapahtumaan %s on peruttu, ja paikat vapautettiin muille.",
		"link.title": "Linkki ei toimi", "link.invalid": "Linkki ei ole kelvollinen. Kopioi koko linkki viestistä.", "link.expired": "Linkki on vanhentunut: tapahtuma on jo alkanut.",
		"notfound": "Tapahtumaa ei löydy.", "noplace": "Ilmoittautumista ei löydy.",
	},
	"sv": {
		"langs": "Språk", "form.title": "Anmäl dig: %s", "when": "Tid", "at": "kl.", "place": "Plats", "left": "Lediga platser",
		"form.name": "Namn", "form.email": "E-post", "form.guests": "Sällskap som kommer med (0–5)", "website": "Lämna detta fält tomt",
		"submit": "Anmäl dig", "full": "Evenemanget är fullt.", "err.left": "Det finns bara %d lediga platser kvar (du och ditt sällskap).",
		"err.required": "Obligatorisk uppgift.", "err.long": "Texten är för lång.", "err.email": "Ange en fungerande e-postadress.", "err.guests": "0–%d i sällskapet.",
		"registered.title": "Du är anmäld", "registered.body": "Din plats på %s (%s) är reserverad. Vi skickade en bekräftelse till din e-post; där finns också en länk för att avboka.",
		"cancel.title": "Avboka anmälan", "cancel.body": "Vill du avboka din anmälan till %s (%s, %d platser)?", "cancel.button": "Avboka anmälan",
		"cancelled.title": "Anmälan är avbokad", "cancelled.body": "Din anmälan till %s är avbokad och platserna har frigjorts för andra.",
		"link.title": "Länken fungerar inte", "link.invalid": "Länken är inte giltig. Kopiera hela länken från meddelandet.", "link.expired": "Länken har gått ut: evenemanget har redan börjat.",
		"notfound": "Evenemanget finns inte.", "noplace": "Anmälan finns inte.",
	},
	"en": {
		"langs": "Language", "form.title": "Sign up: %s", "when": "When", "at": "at", "place": "Place", "left": "Seats left",
		"form.name": "Name", "form.email": "E-mail", "form.guests": "Guests coming with you (0–5)", "website": "Leave this field empty",
		"submit": "Sign up", "full": "The event is full.", "err.left": "Only %d seats are left (you and your guests).",
		"err.required": "Required.", "err.long": "The text is too long.", "err.email": "Please give a working e-mail address.", "err.guests": "0–%d guests.",
		"registered.title": "You are signed up", "registered.body": "Your place at %s (%s) is kept. We sent a confirmation to your e-mail, with a link to cancel.",
		"cancel.title": "Cancel your place", "cancel.body": "Do you want to cancel your place at %s (%s, %d seats)?", "cancel.button": "Cancel my place",
		"cancelled.title": "Your place is cancelled", "cancelled.body": "Your place at %s is cancelled, and the seats are free for others.",
		"link.title": "The link does not work", "link.invalid": "The link is not valid. Copy the whole link from the message.", "link.expired": "The link has expired: the event has begun.",
		"notfound": "The event cannot be found.", "noplace": "The signup cannot be found.",
	},
}

func t(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return texts["fi"][key]
}
