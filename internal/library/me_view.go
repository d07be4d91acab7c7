package library

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/register"
	"rekisteri/internal/web"
)

// What /library/me shows: the patron's own record (never the identity code:
// only that one is held), their loans, reservations and fees (the loans
// table's partition of the patron, read as the circulation feed wrote it)
// and who answers for them or whom they answer for.

// meLine is one loan, reservation or fee as shown.
type meLine struct {
	Title   string `json:"title,omitempty"`
	Due     string `json:"due,omitempty"`
	Status  string `json:"status,omitempty"`
	Library string `json:"library,omitempty"`
	Amount  string `json:"amount,omitempty"`
	Reason  string `json:"reason,omitempty"`
	At      string `json:"at,omitempty"`
}

// meCirculation is a patron's current loans, reservations and fees.
type meCirculation struct {
	Loans        []meLine `json:"loans"`
	Reservations []meLine `json:"reservations"`
	Fees         []meLine `json:"fees"`
}

// mePerson is a guardian or dependant as shown: their name and number, and
// for a dependant their loans, reservations and fees (a guardian sees the
// child's data while the child is under 15, an institution's contact the
// institution's).
type mePerson struct {
	Customer string `json:"customer"`
	Name     string `json:"name"`
	*meCirculation
}

type meView struct {
	ss     *Session // the signed-in patron's session
	p      *Patron  // whose page it is: the signed-in patron, or a dependant they act for
	number string   // p's customer number
	Child  int      // the dependant's place in the signed-in patron's list (1, 2, …), 0 for their own page
	meCirculation
	Guardians, Dependants []mePerson
	HetuHeld              bool
	CSRF                  string
	Until                 time.Time
}

// meSKReservation is the circulation feed's sort key prefix of a
// reservation (loans.go); the page reads the items as the feed wrote them.
const meSKReservation = "resv#"

// meMaxLinks bounds how many guardians or dependants one page reads.
const meMaxLinks = 20

// readMe reads everything the page shows of ss's patron.
func (s *Service) readMe(ctx context.Context, ss *Session) (*meView, error) {
	v, err := s.readPage(ctx, ss, ss.Patron, ss.number)
	if err != nil {
		return nil, err
	}
	for _, l := range []struct {
		prefix string
		into   *[]mePerson
	}{{skGuardian, &v.Guardians}, {skDepend, &v.Dependants}} {
		links, err := s.meLinks(ctx, ss.number, ss.Patron, l.prefix)
		if err != nil {
			return nil, err
		}
		for _, o := range links {
			person := mePerson{Customer: o.number, Name: strings.TrimSpace(o.p.FirstName + " " + o.p.LastName)}
			if l.prefix == skDepend {
				if person.meCirculation, err = s.meCirculationOf(ctx, o.number); err != nil {
					return nil, err
				}
			}
			*l.into = append(*l.into, person)
		}
	}
	return v, nil
}

// readPage is the page of p (number) as ss's patron sees it, without links.
func (s *Service) readPage(ctx context.Context, ss *Session, p *Patron, number string) (*meView, error) {
	v := &meView{ss: ss, p: p, number: number, HetuHeld: p.IdentityCode != nil, CSRF: ss.CSRF, Until: ss.Until}
	c, err := s.meCirculationOf(ctx, number)
	if err != nil {
		return nil, err
	}
	v.meCirculation = *c
	return v, nil
}

// meLinked is the patron at the other end of a guardian link.
type meLinked struct {
	number string
	p      *Patron
}

// meLinks are who answers for number (prefix skGuardian) or whom number
// answers for (skDepend), in the order of their keys: those still patrons,
// and not a guardian's link to a child who has turned 15 (the link lapsed
// on the birthday, guardian-link-minor, though the sweep may not yet have
// deleted it).
func (s *Service) meLinks(ctx context.Context, number string, self *Patron, prefix string) ([]meLinked, error) {
	links, err := s.mePartition(ctx, s.tables.Patrons, number, prefix)
	if err != nil {
		return nil, err
	}
	today := s.now()
	var out []meLinked
	for i, it := range links {
		if i == meMaxLinks {
			break
		}
		other := strings.TrimPrefix(meField(it, "sk"), prefix)
		p, err := s.getPatron(ctx, other)
		if err != nil {
			continue // the link outlived the person: show nothing of it
		}
		child := p
		if prefix == skGuardian {
			child = self
		}
		if meField(it, "role") == RoleGuardian && Age(child.BirthDate, today) >= GuardianAge {
			continue
		}
		out = append(out, meLinked{number: other, p: p})
	}
	return out, nil
}

// meCirculationOf reads number's current loans, reservations and fees: the
// loans table's partition of the patron, read as the circulation feed wrote it.
func (s *Service) meCirculationOf(ctx context.Context, number string) (*meCirculation, error) {
	v := &meCirculation{Loans: []meLine{}, Reservations: []meLine{}, Fees: []meLine{}}
	items, err := s.mePartition(ctx, s.tables.Loans, number, "")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		sk := meField(it, "sk")
		switch {
		case strings.HasPrefix(sk, skLoan), strings.HasPrefix(sk, meSKReservation):
			st := meField(it, "status")
			if st == "closed" || st == "returned" || st == "cancelled" {
				continue // no longer current
			}
			l := meLine{Title: meField(it, "title"), Due: meField(it, "dueDate"), Status: st, Library: meField(it, "owner")}
			if meField(it, "type") == "reservation" || strings.HasPrefix(sk, meSKReservation) {
				l.At = meField(it, "reservedAt")
				v.Reservations = append(v.Reservations, l)
			} else {
				v.Loans = append(v.Loans, l)
			}
		case strings.HasPrefix(sk, skFee):
			v.Fees = append(v.Fees, meLine{Amount: meField(it, "amount"), Reason: meField(it, "reason"), Status: meField(it, "status"),
				Library: meField(it, "owner"), At: meField(it, "createdAt")})
		}
	}
	sort.SliceStable(v.Loans, func(i, j int) bool { return v.Loans[i].Due < v.Loans[j].Due })
	return v, nil
}

// mePartition reads the items of number's partition in table whose sort key
// begins with prefix (all with ""), as generic values.
func (s *Service) mePartition(ctx context.Context, table, number, prefix string) ([]map[string]any, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": lockS(PatronPK(number))},
	}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = lockS(prefix)
	}
	var out []map[string]any
	for page := 0; page < 10; page++ {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read %s partition: %w", prefix, err)
		}
		var items []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
			return nil, fmt.Errorf("read %s partition: %w", prefix, err)
		}
		out = append(out, items...)
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, nil
}

// meField is an item's attribute as text, whatever its type.
func meField(it map[string]any, name string) string {
	switch v := it[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// json is the page as a JSON client gets it.
func (v *meView) json() map[string]any {
	p := v.p
	people := func(l []mePerson) []mePerson {
		if l == nil {
			return []mePerson{}
		}
		return l
	}
	return map[string]any{
		"customer": v.number, "firstName": p.FirstName, "lastName": p.LastName, "birthDate": p.BirthDate, "customerGroup": p.CustomerGroup,
		"street": p.Street, "postcode": p.Postcode, "city": p.City, "phone": p.Phone, "email": p.Email, "lang": p.Lang, "channel": p.Delivery,
		"identityCodeHeld": v.HetuHeld, "loans": v.Loans, "reservations": v.Reservations, "fees": v.Fees,
		"guardians": people(v.Guardians), "dependants": people(v.Dependants),
		CSRFField: v.CSRF, "until": v.Until.UTC().Format(time.RFC3339),
	}
}

// contactForm is the patron's current contact details as the form's values.
func contactForm(p *Patron) web.Form {
	return web.NewForm(url.Values{"street": {p.Street}, "postcode": {p.Postcode}, "city": {p.City}, "phone": {p.Phone},
		"email": {p.Email}, "lang": {p.Lang}, "channel": {p.Delivery}})
}

var meTmpl = template.Must(template.New("me").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/library/me?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{if .Notice}}<p role="status">{{.Notice}}</p>{{end}}
{{.F.Summary}}
<p>{{.Session}}</p>
{{if .V.Child}}<p role="note">{{.T.me_acting}} <a href="/library/me?lang={{.Lang}}">{{.T.me_back}}</a></p>{{end}}
<h2>{{.T.me_you}}</h2>
<dl><dt>{{.T.me_name}}</dt><dd>{{.P.FirstName}} {{.P.LastName}}</dd>
<dt>{{.T.me_customer}}</dt><dd>{{.Number}}</dd>
<dt>{{.T.me_hetu}}</dt><dd>{{if .V.HetuHeld}}{{.T.me_hetu_held}}{{else}}–{{end}}</dd>
{{if .P.BirthDate}}<dt>{{.T.me_birth}}</dt><dd>{{.P.BirthDate}}</dd>{{end}}
{{if .Group}}<dt>{{.T.me_group}}</dt><dd>{{.Group}}</dd>{{end}}</dl>
{{template "circ" .Own}}
{{if .V.Guardians}}<h2>{{.T.me_guardians}}</h2><ul>{{range .V.Guardians}}<li>{{.Name}} ({{.Customer}})</li>{{end}}</ul>{{end}}
{{if .Dependants}}<h2>{{.T.me_dependants}}</h2>{{range $i, $d := .Dependants}}<h3>{{$d.Name}} ({{$d.Customer}})</h3>{{template "circ" $d}}
<p><a href="/library/me?lang={{$.Lang}}&amp;child={{inc $i}}">{{$.T.me_actfor}}: {{$d.Name}}</a></p>{{end}}{{end}}
<h2 id="contact-heading">{{.T.me_contact}}</h2>
<form method="post" action="/library/me?lang={{.Lang}}{{if .V.Child}}&amp;child={{.V.Child}}{{end}}" aria-labelledby="contact-heading" novalidate>
<input type="hidden" name="csrf" value="{{.V.CSRF}}">
<label for="street">{{.T.me_street}}</label>{{.F.Error "street"}}<input type="text" id="street" name="street" autocomplete="street-address" value="{{.F.Value "street"}}"{{.F.Attrs "street"}}>
<label for="postcode">{{.T.me_postcode}}</label>{{.F.Error "postcode"}}<input type="text" id="postcode" name="postcode" inputmode="numeric" autocomplete="postal-code" value="{{.F.Value "postcode"}}"{{.F.Attrs "postcode"}}>
<label for="city">{{.T.me_city}}</label>{{.F.Error "city"}}<input type="text" id="city" name="city" autocomplete="address-level2" value="{{.F.Value "city"}}"{{.F.Attrs "city"}}>
<label for="phone">{{.T.me_phone}}</label>{{.F.Error "phone"}}<input type="tel" id="phone" name="phone" autocomplete="tel" value="{{.F.Value "phone"}}"{{.F.Attrs "phone"}}>
<label for="email">{{.T.me_email}}</label>{{.F.Error "email"}}<input type="email" id="email" name="email" autocomplete="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
<fieldset><legend>{{.T.me_lang}}</legend>{{.F.Error "lang"}}
{{range .Langs}}<div class="check"><input type="radio" id="lang-{{.}}" name="lang" value="{{.}}"{{if $.F.Chosen "lang" .}} checked{{end}}{{$.F.Attrs "lang"}}><label for="lang-{{.}}">{{index $.LangName .}}</label></div>{{end}}</fieldset>
<fieldset><legend>{{.T.me_channel}}</legend>{{.F.Error "channel"}}
{{range .Channels}}<div class="check"><input type="radio" id="channel-{{.}}" name="channel" value="{{.}}"{{if $.F.Chosen "channel" .}} checked{{end}}{{$.F.Attrs "channel"}}><label for="channel-{{.}}">{{index $.ChannelName .}}</label></div>{{end}}</fieldset>
<button type="submit">{{.T.me_save}}</button>
</form>
<p><a href="/library/me/requests?lang={{.Lang}}">{{.T.me_requests}}</a></p>
<form method="post" action="/library/logout?lang={{.Lang}}"><input type="hidden" name="csrf" value="{{.V.CSRF}}"><button type="submit">{{.T.logout}}</button></form>`))

// The "circ" template is one patron's loans, reservations and fees: the signed-in
// patron's under h2 headings, a dependant's under h4 below their h3.
var _ = template.Must(meTmpl.New("circ").Parse(`{{$t := .T}}
{{if .Sub}}<h4>{{$t.me_loans}}</h4>{{else}}<h2>{{$t.me_loans}}</h2>{{end}}
{{if .C.Loans}}<table><thead><tr><th scope="col">{{$t.me_item}}</th><th scope="col">{{$t.me_due}}</th><th scope="col">{{$t.me_library}}</th></tr></thead><tbody>
{{range .C.Loans}}<tr><td>{{.Title}}</td><td>{{.Due}}</td><td>{{.Library}}</td></tr>{{end}}</tbody></table>{{else}}<p>{{$t.me_none}}</p>{{end}}
{{if .Sub}}<h4>{{$t.me_reservations}}</h4>{{else}}<h2>{{$t.me_reservations}}</h2>{{end}}
{{if .C.Reservations}}<table><thead><tr><th scope="col">{{$t.me_item}}</th><th scope="col">{{$t.me_reserved}}</th><th scope="col">{{$t.me_library}}</th></tr></thead><tbody>
{{range .C.Reservations}}<tr><td>{{.Title}}</td><td>{{.At}}</td><td>{{.Library}}</td></tr>{{end}}</tbody></table>{{else}}<p>{{$t.me_none}}</p>{{end}}
{{if .Sub}}<h4>{{$t.me_fees}}</h4>{{else}}<h2>{{$t.me_fees}}</h2>{{end}}
{{if .C.Fees}}<table><thead><tr><th scope="col">{{$t.me_reason}}</th><th scope="col">{{$t.me_amount}}</th><th scope="col">{{$t.me_status}}</th></tr></thead><tbody>
{{range .C.Fees}}<tr><td>{{.Reason}}</td><td>{{.Amount}} €</td><td>{{.Status}}</td></tr>{{end}}</tbody></table>{{else}}<p>{{$t.me_none}}</p>{{end}}`))

// meCircView is what the "circ" template shows of one patron.
type meCircView struct {
	C    *meCirculation
	T    map[string]string
	Sub  bool // a dependant's, below their heading
	Name string
	// Customer is the dependant's number, shown to their guardian.
	Customer string
}

// renderMe shows the page with the contact form's values f and its errors.
func (s *Service) renderMe(w http.ResponseWriter, lang string, v *meView, f web.Form, errs web.FieldErrors, status int, notice string) error {
	fields := []web.Field{
		{Name: "street", Label: sessionText(lang, "me.street")}, {Name: "postcode", Label: sessionText(lang, "me.postcode")},
		{Name: "city", Label: sessionText(lang, "me.city")}, {Name: "phone", Label: sessionText(lang, "me.phone")},
		{Name: "email", Label: sessionText(lang, "me.email")},
		{Name: "lang", ID: "lang-" + register.Languages[0], Label: sessionText(lang, "me.lang")},
		{Name: "channel", ID: "channel-" + Channels[0], Label: sessionText(lang, "me.channel")},
	}
	fl := web.NewFlow(lang, f, errs, fields)
	names := func(prefix string, ids []string) map[string]string {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = sessionText(lang, prefix+id)
		}
		return out
	}
	words := sessionWords(lang)
	// Fees' states in words where the words are known.
	circ := func(c *meCirculation, sub bool, name, customer string) meCircView {
		shown := *c
		shown.Fees = make([]meLine, len(c.Fees))
		for i, l := range c.Fees {
			if w := sessionText(lang, "status."+l.Status); w != "" {
				l.Status = w
			}
			shown.Fees[i] = l
		}
		return meCircView{C: &shown, T: words, Sub: sub, Name: name, Customer: customer}
	}
	var dependants []meCircView
	for _, d := range v.Dependants {
		dependants = append(dependants, circ(d.meCirculation, true, d.Name, d.Customer))
	}
	d := map[string]any{
		"Lang": lang, "Langs": register.Languages, "Channels": Channels, "T": words, "F": fl, "V": v, "Own": circ(&v.meCirculation, false, "", ""), "Dependants": dependants, "P": v.p,
		"Number": v.number, "Notice": notice, "LangName": names("lang.", register.Languages), "ChannelName": names("channel.", Channels),
		"Group":   sessionText(lang, "group."+v.p.CustomerGroup),
		"Session": strings.ReplaceAll(sessionText(lang, "me.session"), "{until}", helsinki.Local(v.Until).Format("15.04")),
	}
	if v.p.CustomerGroup == "" {
		d["Group"] = ""
	}
	title := sessionText(lang, "me.title")
	if fl.Failed() {
		title = sessionText(lang, "error.prefix") + title
	}
	return web.Render(w, status, lang, title, meTmpl, d)
}
