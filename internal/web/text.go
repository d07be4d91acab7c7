package web

import "strconv"

var texts = map[string]map[string]string{
	"fi": {
		"flow.title":     "Lomakkeessa on korjattavaa",
		"flow.intro":     "Tietoja ei lähetetty. Korjaa nämä kohdat ja lähetä lomake uudelleen:",
		"flow.prefix":    "Virhe: ",
		"flow.secret":    "{field}: tietoa ei näytetä uudelleen tietosuojasi vuoksi, joten kenttä on tyhjä. Kirjoita se uudelleen.",
		"footer.label":   "Tietoa palvelusta",
		"footer.privacy": "Tietosuojaseloste",
		"footer.a11y":    "Saavutettavuusseloste",
		"error.title":    "Pyyntöä ei voitu käsitellä",
		"413":            "Lähetetty tieto on liian suuri.",
		"415":            "Lomakkeen muoto ei ole tuettu.",
		"429":            "Liian monta pyyntöä. Yritä hetken kuluttua uudelleen.",
		"500":            "Tapahtui virhe. Yritä myöhemmin uudelleen.",
		"503":            "Palvelu ei ole juuri nyt käytettävissä. Yritä hetken kuluttua uudelleen.",
	},
	"sv": {
		"flow.title":     "Formuläret behöver rättas",
		"flow.intro":     "Uppgifterna skickades inte. Rätta de här punkterna och skicka formuläret på nytt:",
		"flow.prefix":    "Fel: ",
		"flow.secret":    "{field}: uppgiften visas inte på nytt för ditt dataskydds skull, så fältet är tomt. Skriv in den igen.",
		"footer.label":   "Om tjänsten",
		"footer.privacy": "Dataskyddsbeskrivning",
		"footer.a11y":    "Tillgänglighetsutlåtande",
		"error.title":    "Begäran kunde inte behandlas",
		"413":            "Uppgifterna som skickades är för stora.",
		"415":            "Formatet stöds inte.",
		"429":            "För många förfrågningar. Försök igen om en stund.",
		"500":            "Ett fel inträffade. Försök igen senare.",
		"503":            "Tjänsten är inte tillgänglig just nu. Försök igen om en stund.",
	},
	"en": {
		"flow.title":     "Some answers need correcting",
		"flow.intro":     "Nothing was sent. Correct these and send the form again:",
		"flow.prefix":    "Error: ",
		"flow.secret":    "{field}: not shown again, to protect your privacy, so the field is empty. Please type it again.",
		"footer.label":   "About this service",
		"footer.privacy": "Privacy notice",
		"footer.a11y":    "Accessibility statement",
		"error.title":    "The request could not be handled",
		"413":            "What was sent is too large.",
		"415":            "That format is not supported.",
		"429":            "Too many requests. Please try again in a moment.",
		"500":            "Something went wrong. Please try again later.",
		"503":            "The service is unavailable right now. Please try again shortly.",
	},
}

func text(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return texts["fi"][key]
}

// localized prefers our own wording for well-known statuses, else msg.
func localized(lang string, status int, msg string) string {
	if s, ok := texts[lang][strconv.Itoa(status)]; ok {
		return s
	}
	return msg
}
