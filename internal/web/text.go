package web

import "strconv"

var texts = map[string]map[string]string{
	"fi": {
		"error.title": "Pyyntöä ei voitu käsitellä",
		"413":         "Lähetetty tieto on liian suuri.",
		"415":         "Lomakkeen muoto ei ole tuettu.",
		"429":         "Liian monta pyyntöä. Yritä hetken kuluttua uudelleen.",
		"500":         "Tapahtui virhe. Yritä myöhemmin uudelleen.",
		"503":         "Palvelu ei ole juuri nyt käytettävissä. Yritä hetken kuluttua uudelleen.",
	},
	"sv": {
		"error.title": "Begäran kunde inte behandlas",
		"413":         "Uppgifterna som skickades är för stora.",
		"415":         "Formatet stöds inte.",
		"429":         "För många förfrågningar. Försök igen om en stund.",
		"500":         "Ett fel inträffade. Försök igen senare.",
		"503":         "Tjänsten är inte tillgänglig just nu. Försök igen om en stund.",
	},
	"en": {
		"error.title": "The request could not be handled",
		"413":         "What was sent is too large.",
		"415":         "That format is not supported.",
		"429":         "Too many requests. Please try again in a moment.",
		"500":         "Something went wrong. Please try again later.",
		"503":         "The service is unavailable right now. Please try again shortly.",
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
