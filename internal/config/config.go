// Package config loads a function's typed configuration from its environment
// and holds the rules every function checks before it starts.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Lookup reads one variable; os.LookupEnv in Lambda, the template's
// environment in the local runner.
type Lookup func(name string) (string, bool)

// Map turns a map into a Lookup.
func Map(m map[string]string) Lookup {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

// EURegions are the regions rekisteri may run in (EU, with SES v2 for the
// mailer; eu-south-2 has none); template.yaml's Rules
// assertion lists the same ones.
var EURegions = []string{"eu-north-1", "eu-west-1", "eu-west-3", "eu-central-1", "eu-south-1"}

// CheckRegion refuses any region outside the EU allow-list: personal data
// must not be processed elsewhere (privacy notice §10).
func CheckRegion(region string) error {
	if !slices.Contains(EURegions, region) {
		return fmt.Errorf("region %q is not an allowed EU region %v", region, EURegions)
	}
	return nil
}

// Load fills the string and *url.URL fields of dst tagged `env:"NAME"`.
// Every tagged field is required unless the tag says `env:"NAME,optional"`;
// all missing names are reported at once.
func Load(lookup Lookup, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return errors.New("config: Load needs a pointer to a struct")
	}
	v = v.Elem()
	var problems []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		raw, found := lookup(name)
		raw = strings.TrimSpace(raw)
		if !found || raw == "" {
			if opt != "optional" {
				problems = append(problems, name+" is not set")
			}
			continue
		}
		switch field := v.Field(i); field.Interface().(type) {
		case string:
			field.SetString(raw)
		case *url.URL:
			u, err := url.Parse(strings.TrimRight(raw, "/"))
			if err != nil || u.Scheme == "" || u.Host == "" {
				problems = append(problems, name+" is not an absolute URL")
				continue
			}
			field.Set(reflect.ValueOf(u))
		default:
			return fmt.Errorf("config: field %s has unsupported type %s", f.Name, f.Type)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}
