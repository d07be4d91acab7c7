package library

import "html/template"

// The pre-registration form: no script, every error at its field and in
// the summary (web.Flow), the identity codes never shown back.
var preregTmpl = template.Must(template.New("prereg").Parse(`
<nav aria-label="{{.T.langs}}">{{range .Langs}}<a href="/library/register?lang={{.}}" lang="{{.}}">{{.}}</a>{{end}}</nav>
{{.F.Summary}}
<p>{{index .T "form.intro"}} <a href="{{.Privacy}}">{{.T.privacy}}</a></p>
<form method="post" action="/library/register?lang={{.Lang}}" novalidate>
<input type="hidden" name="lang" value="{{.Lang}}">
<fieldset><legend>{{index .T "form.you"}}</legend>
<label for="first_name">{{.T.first_name}}</label>{{.F.Error "first_name"}}<input type="text" id="first_name" name="first_name" autocomplete="given-name" value="{{.F.Value "first_name"}}"{{.F.Attrs "first_name"}}>
<label for="last_name">{{.T.last_name}}</label>{{.F.Error "last_name"}}<input type="text" id="last_name" name="last_name" autocomplete="family-name" value="{{.F.Value "last_name"}}"{{.F.Attrs "last_name"}}>
<label for="hetu">{{.T.hetu}}</label>{{.F.Error "hetu"}}<input type="text" id="hetu" name="hetu" value="" autocomplete="off" spellcheck="false"{{.F.Attrs "hetu"}}>
</fieldset>
<fieldset><legend>{{.T.group}}</legend>{{.F.Error "group"}}
{{range .Groups}}<div class="check"><input type="radio" id="group-{{.}}" name="group" value="{{.}}"{{if $.F.Chosen "group" .}} checked{{end}}{{$.F.Attrs "group"}}><label for="group-{{.}}">{{index $.T (print "group." .)}}</label></div>
{{end}}</fieldset>
<fieldset><legend>{{index .T "form.contact"}}</legend>
<label for="street">{{.T.street}}</label>{{.F.Error "street"}}<input type="text" id="street" name="street" autocomplete="street-address" value="{{.F.Value "street"}}"{{.F.Attrs "street"}}>
<label for="postcode">{{.T.postcode}}</label>{{.F.Error "postcode"}}<input type="text" id="postcode" name="postcode" inputmode="numeric" autocomplete="postal-code" value="{{.F.Value "postcode"}}"{{.F.Attrs "postcode"}}>
<label for="city">{{.T.city}}</label>{{.F.Error "city"}}<input type="text" id="city" name="city" autocomplete="address-level2" value="{{.F.Value "city"}}"{{.F.Attrs "city"}}>
<label for="phone">{{.T.phone}}</label>{{.F.Error "phone"}}<input type="tel" id="phone" name="phone" autocomplete="tel" value="{{.F.Value "phone"}}"{{.F.Attrs "phone"}}>
<label for="email">{{.T.email}}</label>{{.F.Error "email"}}<input type="email" id="email" name="email" autocomplete="email" value="{{.F.Value "email"}}"{{.F.Attrs "email"}}>
</fieldset>
<fieldset><legend>{{.T.channel}}</legend>{{.F.Error "channel"}}
{{range .Channels}}<div class="check"><input type="radio" id="channel-{{.}}" name="channel" value="{{.}}"{{if $.F.Chosen "channel" .}} checked{{end}}{{$.F.Attrs "channel"}}><label for="channel-{{.}}">{{index $.T (print "channel." .)}}</label></div>
{{end}}</fieldset>
<fieldset><legend>{{index .T "form.guardian"}}</legend>
<p id="guardian-intro">{{index .T "form.guardian.intro"}}</p>
<label for="guardian_first_name">{{.T.guardian_first_name}}</label>{{.F.Error "guardian_first_name"}}<input type="text" id="guardian_first_name" name="guardian_first_name" autocomplete="off" value="{{.F.Value "guardian_first_name"}}"{{.F.Hinted "guardian-intro" "guardian_first_name"}}>
<label for="guardian_last_name">{{.T.guardian_last_name}}</label>{{.F.Error "guardian_last_name"}}<input type="text" id="guardian_last_name" name="guardian_last_name" autocomplete="off" value="{{.F.Value "guardian_last_name"}}"{{.F.Attrs "guardian_last_name"}}>
<label for="guardian_hetu">{{.T.guardian_hetu}}</label>{{.F.Error "guardian_hetu"}}<input type="text" id="guardian_hetu" name="guardian_hetu" value="" autocomplete="off" spellcheck="false"{{.F.Attrs "guardian_hetu"}}>
<label for="guardian_email">{{.T.guardian_email}}</label>{{.F.Error "guardian_email"}}<input type="email" id="guardian_email" name="guardian_email" autocomplete="off" value="{{.F.Value "guardian_email"}}"{{.F.Attrs "guardian_email"}}>
</fieldset>
<div class="hp" aria-hidden="true"><label for="website">{{.T.website}}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">{{.T.submit}}</button>
</form>`))

// The PIN link's page: the PIN twice, never shown back; the token rides in
// the form, not the URL of the POST.
var pinTmpl = template.Must(template.New("pin").Parse(`
{{.F.Summary}}
<p>{{index .T "pin.intro"}}</p>
<form method="post" action="/library/pin?lang={{.Lang}}" novalidate>
<input type="hidden" name="token" value="{{.Token}}">
<input type="hidden" name="lang" value="{{.Lang}}">
<label for="pin">{{.T.pin}}</label>{{.F.Error "pin"}}<input type="password" id="pin" name="pin" inputmode="numeric" autocomplete="new-password" minlength="4" maxlength="8" value=""{{.F.Attrs "pin"}}>
<label for="pin2">{{.T.pin2}}</label>{{.F.Error "pin2"}}<input type="password" id="pin2" name="pin2" inputmode="numeric" autocomplete="new-password" minlength="4" maxlength="8" value=""{{.F.Attrs "pin2"}}>
<button type="submit">{{index .T "pin.submit"}}</button>
</form>`))
