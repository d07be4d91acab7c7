package newsletter

import (
	"errors"
	"net/http"

	"rekisteri/internal/register"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// keepTexts are the re-permission answer's pages.
var keepTexts = map[string]register.Text{
	"title":      {"fi": "Jatka tilausta", "sv": "Fortsätt prenumerationen", "en": "Stay subscribed"},
	"body":       {"fi": "Haluatko yhä saada postiamme? Vahvista painamalla nappia.", "sv": "Vill du fortfarande få vår post? Bekräfta med knappen.", "en": "Do you still want our mail? Confirm with the button."},
	"button":     {"fi": "Kyllä, jatka tilausta", "sv": "Ja, fortsätt prenumerationen", "en": "Yes, keep me subscribed"},
	"done.title": {"fi": "Tilaus jatkuu", "sv": "Prenumerationen fortsätter", "en": "You stay subscribed"},
	"done.body":  {"fi": "Kiitos! Tilauksesi jatkuu.", "sv": "Tack! Din prenumeration fortsätter.", "en": "Thank you! Your subscription goes on."},
	"gone.title": {"fi": "Tilausta ei enää ole", "sv": "Prenumerationen finns inte längre", "en": "The subscription is gone"},
	"gone.body":  {"fi": "Tilaus on jo poistettu tai peruttu. Voit tilata uudelleen lomakkeella.", "sv": "Prenumerationen är redan raderad eller avbeställd. Du kan prenumerera på nytt med formuläret.", "en": "The subscription was deleted or cancelled already. You can subscribe again with the form."},
}

func (s *Service) keepPage(w http.ResponseWriter, r *http.Request) error {
	f, _ := web.Decode(w, r, bodyLimit)
	lang := web.Lang(r, f)
	tok := f.Get("token")
	if err := s.CheckLink(r.Context(), tok, token.Keep); err != nil {
		return s.linkError(w, r, lang, err)
	}
	return web.LinkPage{Body: keepTexts["body"].In(lang), Action: "/newsletter/keep", Token: tok, Lang: lang,
		Buttons: []web.Button{{Label: keepTexts["button"].In(lang)}}}.Render(w, keepTexts["title"].In(lang))
}

func (s *Service) keep(w http.ResponseWriter, r *http.Request) error {
	f, err := web.Decode(w, r, bodyLimit)
	if err != nil {
		return err
	}
	lang := web.Lang(r, f)
	err = s.Keep(r.Context(), f.Get("token"))
	if errors.Is(err, ErrNotAsked) {
		if web.WantsJSON(r) {
			web.JSON(w, http.StatusGone, map[string]string{"error": keepTexts["gone.body"].In("en")})
			return nil
		}
		web.Message(w, http.StatusGone, lang, keepTexts["gone.title"].In(lang), keepTexts["gone.body"].In(lang))
		return nil
	}
	if err != nil {
		return s.linkError(w, r, lang, err)
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "active"})
		return nil
	}
	web.Message(w, http.StatusOK, lang, keepTexts["done.title"].In(lang), keepTexts["done.body"].In(lang))
	return nil
}
