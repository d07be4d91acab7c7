package deploycheck

import (
	"encoding/json"
	"net/mail"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"rekisteri/internal/config"
)

// samOverride is the grammar SAM CLI reads --parameter-overrides (and
// samconfig.toml's parameter_overrides) with: space-separated Key=Value,
// where a value runs to the next space unless it is wrapped in double or
// single quotes; backslash escapes a character. Wrapping quotes are removed.
var samOverride = regexp.MustCompile(`(?: )([A-Za-z0-9"']+)=("(?:\\.|[^"\\]+)*"|'(?:\\.|[^'\\]+)*'|(?:\\.|[^ "\\]+)+)`)

// parseOverrides returns the parameters SAM CLI would pass for one
// parameter_overrides value (a string, or a list of strings).
func parseOverrides(v any) map[string]string {
	out := map[string]string{}
	for _, s := range Strings(v) {
		for _, m := range samOverride.FindAllStringSubmatch(" "+strings.TrimSpace(s), -1) {
			out[unquote(m[1])] = unquote(m[2])
		}
	}
	return out
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		v = v[1 : len(v)-1]
	}
	return strings.NewReplacer(`\ `, " ", `\"`, `"`, `\'`, "'").Replace(v)
}

func TestParseOverridesLikeSAM(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want map[string]string
	}{
		{"README's old command loses all but the first word", `MailDomain=museo.example.fi MailFrom=KAMU Espoon kaupunginmuseo <noreply@museo.example.fi> OpsEmail=it@example.fi`,
			map[string]string{"MailDomain": "museo.example.fi", "MailFrom": "KAMU", "OpsEmail": "it@example.fi"}},
		{"double quotes keep it whole", `MailFrom="KAMU Espoon kaupunginmuseo <noreply@museo.example.fi>" OpsEmail=it@example.fi`,
			map[string]string{"MailFrom": "KAMU Espoon kaupunginmuseo <noreply@museo.example.fi>", "OpsEmail": "it@example.fi"}},
		{"single quotes too", `MailFrom='KAMU <a@b.fi>'`, map[string]string{"MailFrom": "KAMU <a@b.fi>"}},
		{"escaped spaces", `MailFrom=KAMU\ Espoo\ <a@b.fi>`, map[string]string{"MailFrom": "KAMU Espoo <a@b.fi>"}},
		{"a list, each item parsed alone", []any{`A=1`, `MailFrom="KAMU <a@b.fi>"`}, map[string]string{"A": "1", "MailFrom": "KAMU <a@b.fi>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseOverrides(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestSamconfig reads samconfig.toml as SAM CLI does (TOML, then its
// parameter_overrides grammar) and checks the deploy it describes.
func TestSamconfig(t *testing.T) {
	out, err := exec.Command("python3", "-c", `import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))`, "../../samconfig.toml").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("read samconfig.toml: %v %s", err, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	env := Map(doc["default"])
	global := Map(Map(env["global"])["parameters"])
	build := Map(Map(env["build"])["parameters"])
	deploy := Map(Map(env["deploy"])["parameters"])
	param := func(name string) any {
		if v, ok := deploy[name]; ok {
			return v
		}
		return global[name]
	}
	if s := Str(param("stack_name")); s == "" {
		t.Error("no stack_name")
	}
	if r := Str(param("region")); r != "eu-north-1" || config.CheckRegion(r) != nil {
		t.Errorf("region %q, want eu-north-1", r)
	}
	caps := strings.Fields(strings.Join(Strings(param("capabilities")), " "))
	if !slices.Contains(caps, "CAPABILITY_IAM") {
		t.Errorf("capabilities %v lack CAPABILITY_IAM (SAM creates the functions' roles)", caps)
	}
	if param("confirm_changeset") != true {
		t.Error("confirm_changeset is not true: a deploy must show its change set first")
	}
	if build["build_in_source"] != true || build["cached"] != true {
		t.Errorf("build: build_in_source %v, cached %v; want both true (no copy of infra/emulators/node_modules per function)", build["build_in_source"], build["cached"])
	}

	tmpl := readTemplate(t)
	overrides := parseOverrides(param("parameter_overrides"))
	if len(overrides) == 0 {
		t.Fatal("no parameter_overrides")
	}
	for k := range overrides {
		if _, ok := tmpl.Parameters[k]; !ok {
			t.Errorf("parameter_overrides sets %s, which template.yaml does not declare", k)
		}
	}
	from := overrides["MailFrom"]
	pattern := Str(tmpl.Parameters["MailFrom"]["AllowedPattern"])
	if pattern == "" {
		t.Fatal("MailFrom has no AllowedPattern")
	}
	re := regexp.MustCompile("^(?:" + pattern + ")$") // CloudFormation matches the whole value
	addr, err := mail.ParseAddress(from)
	if err != nil || addr.Name == "" {
		t.Errorf("MailFrom arrives as %q, not a whole \"Name <address>\" (%v)", from, err)
	} else if !strings.HasSuffix(addr.Address, "@"+overrides["MailDomain"]) {
		t.Errorf("MailFrom %q is not in MailDomain %q", from, overrides["MailDomain"])
	}
	if !re.MatchString(from) {
		t.Errorf("MailFrom %q does not match its AllowedPattern %s", from, pattern)
	}
	// The pattern refuses what SAM makes of an unquoted value.
	for _, bad := range []string{"KAMU", "KAMU Espoon", "<noreply@museo.example.fi", ""} {
		if re.MatchString(bad) {
			t.Errorf("MailFrom's AllowedPattern accepts %q", bad)
		}
	}
	if def := Str(tmpl.Parameters["MailFrom"]["Default"]); !re.MatchString(def) {
		t.Errorf("MailFrom's Default %q does not match its AllowedPattern", def)
	}
}
