package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"rekisteri/internal/csvsafe"
	"rekisteri/internal/notice"
	"rekisteri/internal/register"
)

// loadRegister finds a register's declaration; a test replaces it.
var loadRegister = register.Load

// ropa prints the record of processing activities (GDPR Art. 30(1)) of a
// register, all of it from the register's declaration: the erasure time
// limits are the retention rules the sweep runs and the notice states.
//
//	staff ropa [-register museum|library] [-format md|csv] [-lang fi|sv|en] [-o FILE]
//
// md is a document a DPO reads; csv is one flat table, a row per purpose ×
// record kind × retention rule (a record kind serving no purpose, and each
// log, gets rows with the purpose columns empty), written formula-safe.
func ropa(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ropa", flag.ContinueOnError)
	id := fs.String("register", "museum", "the register whose record to print: museum or library")
	format := fs.String("format", "md", "md (a document) or csv (a row per purpose × record kind × retention rule)")
	lang := fs.String("lang", register.Languages[0], "language: "+strings.Join(register.Languages, ", "))
	out := fs.String("o", "", "write to this file (a new file, mode 0600) instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if !slices.Contains(register.Languages, *lang) {
		return fmt.Errorf("-lang %q: want one of %s", *lang, strings.Join(register.Languages, ", "))
	}
	reg, err := loadRegister(*id)
	if err != nil {
		return err
	}
	rp := ropaDoc{reg: reg, lang: *lang}
	var buf bytes.Buffer
	switch *format {
	case "md":
		rp.markdown(&buf)
	case "csv":
		if err := rp.csv(&buf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-format %q: want md or csv", *format)
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	f, err := csvsafe.Create(*out)
	if err != nil {
		return fmt.Errorf("the record must go to a new file only you can read: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "record of processing activities written to", *out)
	return nil
}

var ropaWords = map[string]register.Text{
	"title":       {"fi": "Seloste käsittelytoimista", "sv": "Register över behandling", "en": "Record of processing activities"},
	"law":         {"fi": "EU:n yleinen tietosuoja-asetus, 30 artiklan 1 kohta", "sv": "EU:s allmänna dataskyddsförordning, artikel 30.1", "en": "General Data Protection Regulation, Art. 30(1)"},
	"register":    {"fi": "Rekisteri", "sv": "Register", "en": "Register"},
	"version":     {"fi": "Versio (sama kuin tietosuojaselosteessa)", "sv": "Version (samma som i dataskyddsbeskrivningen)", "en": "Version (as in the privacy notice)"},
	"source":      {"fi": "Lähde: rekisterin ilmoitus", "sv": "Källa: registrets deklaration", "en": "Source: the register's declaration"},
	"a":           {"fi": "a) Rekisterinpitäjä, vastuu- ja yhteyshenkilöt, tietosuojavastaava", "sv": "a) Personuppgiftsansvarig, ansvarig person, kontaktpersoner, dataskyddsombud", "en": "a) Controller, persons responsible and contact persons, data protection officer"},
	"controller":  {"fi": "Rekisterinpitäjä", "sv": "Personuppgiftsansvarig", "en": "Controller"},
	"contact":     {"fi": "Yhteystiedot", "sv": "Kontaktuppgifter", "en": "Contact details"},
	"responsible": {"fi": "Vastuuhenkilö", "sv": "Ansvarig person", "en": "Person responsible"},
	"contacts":    {"fi": "Yhteyshenkilöt", "sv": "Kontaktpersoner", "en": "Contact persons"},
	"dpo":         {"fi": "Tietosuojavastaava", "sv": "Dataskyddsombud", "en": "Data protection officer"},
	"b":           {"fi": "b–d) Käsittelyn tarkoitukset, oikeusperusteet, rekisteröidyt, tiedot ja vastaanottajat", "sv": "b–d) Ändamål, rättslig grund, registrerade, uppgifter och mottagare", "en": "b–d) Purposes, legal bases, data subjects, data and recipients"},
	"purpose":     {"fi": "Tarkoitus", "sv": "Ändamål", "en": "Purpose"},
	"purposeId":   {"fi": "Tarkoituksen tunnus", "sv": "Ändamålets id", "en": "Purpose id"},
	"basis":       {"fi": "Oikeusperuste", "sv": "Rättslig grund", "en": "Legal basis"},
	"article":     {"fi": "Tietosuoja-asetuksen artikla", "sv": "Artikel i dataskyddsförordningen", "en": "GDPR article"},
	"subjects":    {"fi": "Rekisteröityjen ryhmät", "sv": "Kategorier av registrerade", "en": "Categories of data subjects"},
	"data":        {"fi": "Henkilötietoryhmät", "sv": "Kategorier av personuppgifter", "en": "Categories of personal data"},
	"sources":     {"fi": "Tietolähteet", "sv": "Källor", "en": "Sources"},
	"recipients":  {"fi": "Vastaanottajat", "sv": "Mottagare", "en": "Recipients"},
	"processors":  {"fi": "Käsittelijät", "sv": "Personuppgiftsbiträden", "en": "Processors"},
	"records":     {"fi": "Tietueet (poistamisen määräajat kohdassa f)", "sv": "Poster (tidsfrister för radering under f)", "en": "Record kinds (time limits for erasure under f)"},
	"d":           {"fi": "d) Vastaanottajat ja käsittelijät", "sv": "d) Mottagare och personuppgiftsbiträden", "en": "d) Recipients and processors"},
	"role":        {"fi": "Rooli", "sv": "Roll", "en": "Role"},
	"processor":   {"fi": "käsittelijä", "sv": "personuppgiftsbiträde", "en": "processor"},
	"recipient":   {"fi": "vastaanottaja", "sv": "mottagare", "en": "recipient"},
	"purposes":    {"fi": "Tarkoitukset", "sv": "Ändamål", "en": "Purposes"},
	"e":           {"fi": "e) Siirrot kolmansiin maihin", "sv": "e) Överföringar till tredjeländer", "en": "e) Transfers to third countries"},
	"transfers":   {"fi": "Siirrot kolmansiin maihin", "sv": "Överföringar till tredjeländer", "en": "Transfers to third countries"},
	"f":           {"fi": "f) Poistamisen määräajat", "sv": "f) Tidsfrister för radering", "en": "f) Time limits for erasure"},
	"f.intro":     {"fi": "Samat säännöt, joita poistoajo noudattaa ja jotka tietosuojaseloste kertoo.", "sv": "Samma regler som raderingskörningen följer och dataskyddsbeskrivningen anger.", "en": "The same rules the retention sweep runs and the privacy notice states."},
	"kind":        {"fi": "Tietue", "sv": "Post", "en": "Record kind"},
	"table":       {"fi": "Taulu", "sv": "Tabell", "en": "Table"},
	"rule":        {"fi": "Sääntö", "sv": "Regel", "en": "Rule"},
	"state":       {"fi": "Tila", "sv": "Tillstånd", "en": "State"},
	"keep":        {"fi": "Säilytysaika", "sv": "Lagringstid", "en": "Kept for"},
	"after":       {"fi": "Alkaen", "sv": "Räknat från", "en": "Counted from"},
	"action":      {"fi": "Toimenpide", "sv": "Åtgärd", "en": "Action"},
	"text":        {"fi": "Kuvaus", "sv": "Beskrivning", "en": "Description"},
	"logs":        {"fi": "Lokit", "sv": "Loggar", "en": "Logs"},
	"log":         {"fi": "Loki", "sv": "Logg", "en": "Log"},
	"holds":       {"fi": "Sisältö", "sv": "Innehåll", "en": "Holds"},
	"written":     {"fi": "kirjoitushetki", "sv": "skrivtidpunkten", "en": "when written"},
	"any":         {"fi": "kaikki", "sv": "alla", "en": "any"},
	"delete":      {"fi": "poisto", "sv": "radering", "en": "delete"},
	"anonymise":   {"fi": "anonymisointi", "sv": "anonymisering", "en": "anonymise"},
	"keepAction":  {"fi": "säilytys, tarkistetaan uudelleen", "sv": "sparas, kontrolleras på nytt", "en": "kept, checked again"},
	"untilEvent":  {"fi": "ei määräaikaa: kunnes tapahtuma (ks. kuvaus)", "sv": "ingen tidsgräns: tills en händelse (se beskrivningen)", "en": "no fixed period: until an event (see the description)"},
	"g":           {"fi": "g) Tekniset ja organisatoriset turvatoimet", "sv": "g) Tekniska och organisatoriska säkerhetsåtgärder", "en": "g) Technical and organisational security measures"},
	"security":    {"fi": "Turvatoimet", "sv": "Säkerhetsåtgärder", "en": "Security measures"},
	"phone":       {"fi": "puh.", "sv": "tfn", "en": "tel."},
}

// periodUnits are singular and plural of days, months and years.
var periodUnits = map[string][3][2]string{
	"fi": {{"vuorokausi", "vuorokautta"}, {"kuukausi", "kuukautta"}, {"vuosi", "vuotta"}},
	"sv": {{"dygn", "dygn"}, {"månad", "månader"}, {"år", "år"}},
	"en": {{"day", "days"}, {"month", "months"}, {"year", "years"}},
}

type ropaDoc struct {
	reg  *register.Register
	lang string
}

func (r ropaDoc) w(key string) string { return ropaWords[key].In(r.lang) }

// period says a rule's keep in words: "7 vuorokautta", "3 years".
func (r ropaDoc) period(p register.Period) string {
	if p.IsZero() {
		return r.w("untilEvent")
	}
	u := periodUnits[r.lang]
	var parts []string
	for i, n := range []int{p.Days, p.Months, p.Years} {
		if n == 1 {
			parts = append(parts, "1 "+u[i][0])
		} else if n > 1 {
			parts = append(parts, strconv.Itoa(n)+" "+u[i][1])
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, " ")
}

func (r ropaDoc) state(when string) string {
	if when == "any" {
		return r.w("any")
	}
	return when
}

// mdState is a rule's state in markdown: "any" in words, a record's
// status as the code stores it.
func (r ropaDoc) mdState(when string) string {
	if when == "any" {
		return r.w("any")
	}
	return mdCode(when)
}

func (r ropaDoc) action(a string) string {
	if a == register.ActionKeep {
		a = "keepAction" // not the column's "keep" (kept for)
	}
	if t, ok := ropaWords[a]; ok && a != "" {
		return t.In(r.lang)
	}
	return a
}

// after says what a rule counts from: the attribute, or nothing for a rule
// without a period.
func (r ropaDoc) after(rule register.Rule) string {
	if rule.Keep.IsZero() {
		return ""
	}
	return rule.After
}

func ropaNames(list []register.Named, ids []string, lang string) []string {
	var out []string
	for _, id := range ids {
		if i := slices.IndexFunc(list, func(n register.Named) bool { return n.ID == id }); i >= 0 {
			out = append(out, list[i].Name.In(lang))
		} else {
			out = append(out, id)
		}
	}
	return out
}

// recipients returns the purpose's recipients in role (processor or recipient).
func (r ropaDoc) recipients(ids []string, role string) []string {
	var out []string
	for _, id := range ids {
		if i := slices.IndexFunc(r.reg.Recipients, func(x register.Recipient) bool { return x.ID == id }); i >= 0 && r.reg.Recipients[i].Role == role {
			out = append(out, r.reg.Recipients[i].Name.In(r.lang))
		}
	}
	return out
}

// kinds returns the record kinds that serve purpose (all without a purpose
// when purpose is "").
func (r ropaDoc) kinds(purpose string) []register.RecordKind {
	var out []register.RecordKind
	for _, k := range r.reg.Records {
		if (purpose == "" && len(k.Purposes) == 0) || (purpose != "" && slices.Contains(k.Purposes, purpose)) {
			out = append(out, k)
		}
	}
	return out
}

func (r ropaDoc) measures() []string {
	var out []string
	for _, m := range r.reg.SecurityMeasures {
		out = append(out, m.Text.In(r.lang))
	}
	return append(out, r.reg.Security.In(r.lang))
}

func (r ropaDoc) basis(p register.Purpose) string {
	return notice.LegalBasis(p.LegalBasis).In(r.lang)
}

// cell makes s safe inside a markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func mdDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func mdCode(s string) string {
	if s == "" {
		return "–"
	}
	return "`" + s + "`"
}

func (r ropaDoc) markdown(w io.Writer) {
	reg := r.reg
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# %s — %s\n\n", r.w("title"), reg.Name.In(r.lang))
	p("%s. %s: `%s`. %s: `%s`.\n\n", r.w("law"), r.w("register"), reg.ID, r.w("version"), reg.Version())

	p("## %s\n\n", r.w("a"))
	r.controllersMD(w)

	p("## %s\n\n", r.w("b"))
	for _, pu := range reg.Purposes {
		p("### %s (`%s`)\n\n%s\n\n", pu.Name.In(r.lang), pu.ID, pu.Description.In(r.lang))
		p("- **%s:** %s — GDPR %s\n", r.w("basis"), r.basis(pu), register.LegalBases[pu.LegalBasis])
		if len(pu.Laws) > 0 {
			p("- **%s:** %s\n", r.w("laws"), strings.Join(ropaNames(reg.Laws, pu.Laws, r.lang), "; "))
		}
		p("- **%s:** %s\n", r.w("subjects"), strings.Join(ropaNames(reg.DataSubjects, pu.DataSubjects, r.lang), "; "))
		p("- **%s:** %s\n", r.w("data"), strings.Join(ropaNames(reg.DataCategories, pu.DataCategories, r.lang), "; "))
		p("- **%s:** %s\n", r.w("sources"), strings.Join(ropaNames(reg.Sources, pu.Sources, r.lang), "; "))
		if rs := r.recipients(pu.Recipients, "recipient"); len(rs) > 0 {
			p("- **%s:** %s\n", r.w("recipients"), strings.Join(rs, "; "))
		}
		if ps := r.recipients(pu.Recipients, "processor"); len(ps) > 0 {
			p("- **%s:** %s\n", r.w("processors"), strings.Join(ps, "; "))
		}
		var ks []string
		for _, k := range r.kinds(pu.ID) {
			ks = append(ks, mdCode(k.Kind))
		}
		p("- **%s:** %s\n\n", r.w("records"), strings.Join(ks, ", "))
	}

	p("## %s\n\n| %s | %s | %s |\n|---|---|---|\n", r.w("d"), r.w("recipients"), r.w("role"), r.w("purposes"))
	for _, x := range reg.Recipients {
		var ps []string
		for _, pu := range reg.Purposes {
			if slices.Contains(pu.Recipients, x.ID) {
				ps = append(ps, pu.Name.In(r.lang))
			}
		}
		p("| %s | %s | %s |\n", mdCell(x.Name.In(r.lang)), r.w(x.Role), mdCell(strings.Join(ps, "; ")))
	}
	p("\n## %s\n\n%s\n\n", r.w("e"), reg.Transfers.In(r.lang))

	p("## %s\n\n%s\n\n", r.w("f"), r.w("f.intro"))
	head := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", r.w("rule"), r.w("state"), r.w("keep"), r.w("after"), r.w("action"), r.w("text"))
	for _, k := range reg.Records {
		ps := ropaNames(purposeNames(reg), k.Purposes, r.lang)
		if len(ps) == 0 {
			ps = []string{"–"}
		}
		p("### %s\n\n%s: %s · %s: %s\n\n%s", mdCode(k.Kind), r.w("table"), mdCode(k.Table), r.w("purposes"), strings.Join(ps, "; "), head)
		for _, rule := range k.Retention {
			p("| %s | %s | %s | %s | %s | %s |\n", mdCode(rule.ID), r.mdState(rule.When), r.period(rule.Keep), mdCode(r.after(rule)),
				mdDash(r.action(rule.Action)), mdCell(rule.Text.In(r.lang)))
		}
		p("\n")
	}
	if len(reg.Logs) > 0 {
		p("### %s\n\n| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", r.w("logs"), r.w("log"), r.w("holds"), r.w("keep"), r.w("after"), r.w("action"), r.w("text"))
		for _, l := range reg.Logs {
			p("| %s | %s | %s | %s | %s | %s |\n", mdCode(l.ID), mdCell(l.Holds.In(r.lang)), r.period(l.Keep), r.w("written"), r.w("delete"), mdCell(l.Text.In(r.lang)))
		}
		p("\n")
	}

	p("## %s\n\n", r.w("g"))
	for _, m := range r.measures() {
		p("- %s\n", m)
	}
}

func purposeNames(reg *register.Register) []register.Named {
	out := make([]register.Named, len(reg.Purposes))
	for i, p := range reg.Purposes {
		out[i] = register.Named{ID: p.ID, Name: p.Name}
	}
	return out
}

// csv writes the record as one flat table: the controller columns repeat on
// every row, then a row per purpose × record kind × retention rule.
func (r ropaDoc) csv(w io.Writer) error {
	reg := r.reg
	cw := csvsafe.NewWriter(w)
	header := []string{r.w("register"), r.w("controller"), r.w("contact"), r.w("responsible"), r.w("contacts"), r.w("dpo"),
		r.w("purposeId"), r.w("purpose"), r.w("basis"), r.w("article"), r.w("subjects"), r.w("data"), r.w("recipients"), r.w("processors"),
		r.w("transfers"), r.w("kind"), r.w("table"), r.w("rule"), r.w("state"), r.w("keep"), r.w("after"), r.w("action"), r.w("text"), r.w("security")}
	if err := cw.Write(header); err != nil {
		return err
	}
	common := []string{reg.Name.In(r.lang), r.controller(), r.contact(), r.responsible(), strings.Join(r.contacts(), "; "), reg.DPO.Email}
	security := strings.Join(r.measures(), " ")
	row := func(purpose []string, kind, table string, rule []string) error {
		rec := slices.Concat(common, purpose, []string{reg.Transfers.In(r.lang), kind, table}, rule, []string{security})
		return cw.Write(rec)
	}
	ruleCells := func(rule register.Rule) []string {
		return []string{rule.ID, r.state(rule.When), r.period(rule.Keep), r.after(rule), r.action(rule.Action), rule.Text.In(r.lang)}
	}
	noPurpose := make([]string, 8)
	for _, pu := range reg.Purposes {
		cells := []string{pu.ID, pu.Name.In(r.lang), r.basisAndLaws(pu), register.LegalBases[pu.LegalBasis],
			strings.Join(ropaNames(reg.DataSubjects, pu.DataSubjects, r.lang), "; "), strings.Join(ropaNames(reg.DataCategories, pu.DataCategories, r.lang), "; "),
			strings.Join(r.recipients(pu.Recipients, "recipient"), "; "), strings.Join(r.recipients(pu.Recipients, "processor"), "; ")}
		kinds := r.kinds(pu.ID)
		if len(kinds) == 0 {
			if err := row(cells, "", "", make([]string, 6)); err != nil {
				return err
			}
		}
		for _, k := range kinds {
			for _, rule := range k.Retention {
				if err := row(cells, k.Kind, k.Table, ruleCells(rule)); err != nil {
					return err
				}
			}
		}
	}
	for _, k := range r.kinds("") {
		for _, rule := range k.Retention {
			if err := row(noPurpose, k.Kind, k.Table, ruleCells(rule)); err != nil {
				return err
			}
		}
	}
	for _, l := range reg.Logs {
		cells := []string{l.ID, r.w("any"), r.period(l.Keep), r.w("written"), r.w("delete"), l.Holds.In(r.lang) + " " + l.Text.In(r.lang)}
		if err := row(noPurpose, l.ID, r.w("logs"), cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
