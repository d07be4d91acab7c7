package requests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/record"
	"rekisteri/internal/register"
)

// Copy is an access copy (GDPR Art. 15): a machine-readable JSON file (the
// consent- and contract-based parts are portable, Art. 20) and a readable
// page in the request's language.
type Copy struct {
	JSON, HTML []byte
}

// CopyFormat names the JSON file's layout; its field names are stable.
const CopyFormat = "rekisteri-access-copy/1"

// SealedText stands in the JSON for a masked attribute's value (a sealed
// identity code), which a copy never shows.
const SealedText = "held, sealed – shown only in the invoicing export"

// MaskedText stands in the JSON for a masked attribute's value in any other
// register's records (the libraries' identity code and PIN hash): held,
// never shown.
const MaskedText = "held, encrypted – not shown in a copy"

// maskedTexts are the page's and the JSON's text for a masked value of reg:
// the museum's sealed identity codes open only in the invoicing export.
func maskedTexts(reg *register.Register, lang string) (page, json string) {
	if reg.ID == "museum" {
		return copyTexts["sealed"][langIndex(lang)], SealedText
	}
	return copyTexts["masked"][langIndex(lang)], MaskedText
}

// portableBases are the legal bases whose data Art. 20 makes portable.
var portableBases = []string{"consent", "contract"}

// tri is a text in fi, sv and en (register.Languages' order).
type tri [3]string

func langIndex(lang string) int {
	if i := slices.Index(register.Languages, lang); i >= 0 {
		return i
	}
	return 0
}

var copyTexts = map[string]tri{
	"title":      {"Jäljennös henkilötiedoistasi", "Kopia av dina personuppgifter", "A copy of your personal data"},
	"intro":      {"%s: tässä ovat tiedot, jotka sinusta on tallennettu rekisteriin, ja tiedot niiden käsittelystä (EU:n yleinen tietosuoja-asetus, 15 artikla).", "%s: här är uppgifterna om dig i registret och information om hur de behandlas (EU:s allmänna dataskyddsförordning, artikel 15).", "%s: here is the data about you in the register, and how it is processed (EU General Data Protection Regulation, Article 15)."},
	"request":    {"Pyynnön tunnus", "Begärans kod", "Request id"},
	"generated":  {"Laadittu", "Upprättad", "Generated"},
	"controller": {"Rekisterinpitäjä", "Personuppgiftsansvarig", "Controller"},
	"dpo":        {"Tietosuojavastaava", "Dataskyddsombud", "Data protection officer"},
	"held":       {"Tiedot sinusta", "Uppgifter om dig", "Data held about you"},
	"none":       {"Rekisterissä ei ole sinusta tietoja.", "Registret innehåller inga uppgifter om dig.", "No data about you is held in this register."},
	"general":    {"Mitä tietoja rekisterissä käsitellään", "Vilka uppgifter registret behandlar", "What this register processes"},
	"purposes":   {"Käyttötarkoitukset ja oikeusperuste", "Ändamål och rättslig grund", "Purposes and legal basis"},
	"noPurpose":  {"Ylläpitotieto ilman omaa käyttötarkoitusta", "Driftuppgift utan eget ändamål", "An operational record without a purpose of its own"},
	"basis":      {"Oikeusperuste", "Rättslig grund", "Legal basis"},
	"article":    {"tietosuoja-asetuksen artikla", "dataskyddsförordningen artikel", "GDPR Article"},
	"categories": {"Tietoryhmät", "Kategorier av uppgifter", "Categories of data"},
	"recipients": {"Vastaanottajat", "Mottagare", "Recipients"},
	"retention":  {"Säilytysaika", "Lagringstid", "Retention"},
	"sources":    {"Mistä tiedot saadaan", "Varifrån uppgifterna kommer", "Source"},
	"automated":  {"Automaattista päätöksentekoa tai profilointia ei käytetä.", "Automatiserat beslutsfattande eller profilering används inte.", "No automated decision-making, including profiling, is used."},
	"rights":     {"Oikeutesi", "Dina rättigheter", "Your rights"},
	"guide":      {"Lisätietoa oikeuksistasi ja niiden käyttämisestä", "Mer om dina rättigheter och hur du använder dem", "More about your rights and how to use them"},
	"complaint":  {"Valitusoikeus", "Rätt att klaga", "Right to complain"},
	"authority":  {"Voit tehdä valituksen valvontaviranomaiselle:", "Du kan klaga hos tillsynsmyndigheten:", "You may complain to the supervisory authority:"},
	"transfers":  {"Siirrot EU:n ja ETA:n ulkopuolelle", "Överföringar utanför EU och EES", "Transfers outside the EU and EEA"},
	"records":    {"Tietueet", "Poster", "Records"},
	"record":     {"Tietue", "Post", "Record"},
	"portable":   {"Nämä tiedot ovat koneluettavassa JSON-tiedostossa, jonka voit siirtää toiselle (20 artikla).", "Dessa uppgifter finns i den maskinläsbara JSON-filen, som du kan föra över (artikel 20).", "These are in the machine-readable JSON file, which you may take elsewhere (Article 20)."},
	"keptUntil":  {"Säilytetään asti", "Sparas till", "Kept until"},
	"sealed":     {"tallessa, salattuna – näytetään vain laskutusviennissä", "sparad, krypterad – visas bara i faktureringsexporten", SealedText},
	"masked":     {"tallessa salattuna – ei näytetä jäljennöksessä", "sparad krypterad – visas inte i kopian", MaskedText},
	"joint":      {"Yhteisrekisterinpitäjät (tietosuoja-asetuksen 26 artikla)", "Gemensamt personuppgiftsansvariga (artikel 26 i dataskyddsförordningen)", "Joint controllers (GDPR Article 26)"},
	"office":     {"kirjaamo", "registratorskontor", "registry office"},
	"yes":        {"kyllä", "ja", "yes"},
	"no":         {"ei", "nej", "no"},
}

var basisTexts = map[string]tri{
	"consent":             {"suostumus", "samtycke", "consent"},
	"contract":            {"sopimus", "avtal", "contract"},
	"legal-obligation":    {"lakisääteinen velvoite", "rättslig förpliktelse", "legal obligation"},
	"vital-interest":      {"elintärkeä etu", "grundläggande intresse", "vital interests"},
	"public-task":         {"yleistä etua koskeva tehtävä tai julkinen valta", "uppgift av allmänt intresse eller myndighetsutövning", "public task"},
	"legitimate-interest": {"oikeutettu etu", "berättigat intresse", "legitimate interests"},
}

// rightTexts are the data subject's rights; "portability" and "withdraw"
// are listed only where they apply.
var rightTexts = []struct {
	id   string
	text tri
}{
	{"access", tri{"Oikeus saada pääsy tietoihin (15 artikla)", "Rätt till tillgång (artikel 15)", "Right of access (Article 15)"}},
	{"rectification", tri{"Oikeus tietojen oikaisemiseen (16 artikla)", "Rätt till rättelse (artikel 16)", "Right to rectification (Article 16)"}},
	{"erasure", tri{"Oikeus tietojen poistamiseen (17 artikla)", "Rätt till radering (artikel 17)", "Right to erasure (Article 17)"}},
	{"restriction", tri{"Oikeus käsittelyn rajoittamiseen (18 artikla)", "Rätt till begränsning av behandling (artikel 18)", "Right to restriction of processing (Article 18)"}},
	{"objection", tri{"Oikeus vastustaa käsittelyä (21 artikla)", "Rätt att invända mot behandling (artikel 21)", "Right to object (Article 21)"}},
	{"portability", tri{"Oikeus siirtää tiedot järjestelmästä toiseen (20 artikla)", "Rätt till dataportabilitet (artikel 20)", "Right to data portability (Article 20)"}},
	{"withdraw", tri{"Oikeus peruuttaa suostumus milloin tahansa (7 artiklan 3 kohta)", "Rätt att när som helst återkalla samtycke (artikel 7.3)", "Right to withdraw consent at any time (Article 7(3))"}},
}

// copyJSON is the JSON file; its field names are stable (CopyFormat).
type copyJSON struct {
	Format      string     `json:"format"`
	RequestID   string     `json:"requestId"`
	GeneratedAt string     `json:"generatedAt"`
	Register    string     `json:"register"`
	Controller  string     `json:"controller"`
	HoldsData   bool       `json:"holdsData"`
	Records     []kindJSON `json:"records"`
}

type kindJSON struct {
	Kind string `json:"kind"`
	// Register is the declaration of the kind, where it is not the copy's own.
	Register string           `json:"register,omitempty"`
	Table    string           `json:"table"`
	Portable bool             `json:"portable"`
	Purposes []purposeJSON    `json:"purposes"`
	Items    []map[string]any `json:"items"`
}

type purposeJSON struct {
	ID         string `json:"id"`
	LegalBasis string `json:"legalBasis"`
	Article    string `json:"article"`
}

// BuildCopy is the access copy of req from holdings (Collect), made at now.
// For each kind held it gives the Art. 15(1)(a)–(h) information from the
// declaration, then the records; with nothing held, it says so and gives the
// register's general information. Masked attributes are never shown.
func BuildCopy(reg *register.Register, req Request, holdings []Holding, now time.Time) (Copy, error) {
	lang := register.Languages[langIndex(req.Lang)]
	doc := copyJSON{Format: CopyFormat, RequestID: req.ID(), GeneratedAt: now.UTC().Format(time.RFC3339),
		Register: reg.ID, Controller: strings.Join(reg.ControllerNames(lang), ", "), Records: []kindJSON{}}
	pg := newPage(reg, lang, req.ID(), now)
	for _, h := range holdings {
		kr := h.Register
		if kr == nil {
			kr = reg
		}
		k, ok := kr.Record(h.Kind)
		if !ok {
			return Copy{}, fmt.Errorf("requests: copy %s: undeclared kind %q in table %s", req.ID(), h.Kind, h.Table)
		}
		if len(h.Items) == 0 {
			continue
		}
		kj := kindJSON{Kind: k.Kind, Table: h.Table, Portable: portableOf(kr, k.Purposes), Purposes: []purposeJSON{}}
		if kr.ID != reg.ID {
			kj.Register = kr.ID
		}
		for _, id := range k.Purposes {
			p, _ := kr.Purpose(id)
			kj.Purposes = append(kj.Purposes, purposeJSON{ID: p.ID, LegalBasis: p.LegalBasis, Article: register.LegalBases[p.LegalBasis]})
		}
		maskedPage, maskedJSON := maskedTexts(kr, lang)
		view := pg.kind(kr, k)
		columns := columnsOf(k, h.Items)
		for _, a := range columns {
			view.Columns = append(view.Columns, label(a, lang))
		}
		for _, it := range h.Items {
			plainItem, row := map[string]any{}, make([]string, len(columns))
			for i, a := range columns {
				var v any
				switch {
				case a == keptUntil:
					if n, ok := it[record.AttrExpiresAt].(*types.AttributeValueMemberN); ok {
						if sec, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
							v = time.Unix(sec, 0).UTC().Format(time.RFC3339)
						}
					}
				case slices.Contains(k.Masked, a):
					if _, held := it[a]; held {
						plainItem[a], row[i] = maskedJSON, maskedPage
						continue
					}
				default:
					if av, held := it[a]; held {
						v = plain(av)
					}
				}
				if v != nil {
					plainItem[a] = v
					row[i] = pg.text(v)
				}
			}
			kj.Items = append(kj.Items, plainItem)
			view.Rows = append(view.Rows, row)
		}
		doc.Records = append(doc.Records, kj)
		pg.Kinds = append(pg.Kinds, view)
	}
	doc.HoldsData = len(doc.Records) > 0
	if !doc.HoldsData {
		pg.generalPurposes()
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Copy{}, fmt.Errorf("requests: copy %s: json: %w", req.ID(), err)
	}
	var html bytes.Buffer
	if err := copyPage.Execute(&html, pg); err != nil {
		return Copy{}, fmt.Errorf("requests: copy %s: page: %w", req.ID(), err)
	}
	return Copy{JSON: append(js, '\n'), HTML: html.Bytes()}, nil
}

// portableOf: Art. 20 covers data processed on consent or on a contract.
func portableOf(reg *register.Register, purposes []string) bool {
	return slices.ContainsFunc(purposes, func(id string) bool {
		p, _ := reg.Purpose(id)
		return slices.Contains(portableBases, p.LegalBasis)
	})
}

func label(attr, lang string) string {
	if attr == keptUntil {
		return copyTexts["keptUntil"][langIndex(lang)]
	}
	return attr
}
