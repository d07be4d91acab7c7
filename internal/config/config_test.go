package config

import (
	"net/url"
	"strings"
	"testing"
)

type testConfig struct {
	Table   string   `env:"TABLE"`
	Queue   string   `env:"QUEUE_URL"`
	Base    *url.URL `env:"PUBLIC_BASE_URL"`
	Sender  string   `env:"SENDER,optional"`
	Site    *url.URL `env:"SITE_URL,optional"`
	Ignored string
}

func TestLoad(t *testing.T) {
	full := map[string]string{
		"TABLE":           "subscribers",
		"QUEUE_URL":       "https://sqs.eu-north-1.amazonaws.com/1/mail",
		"PUBLIC_BASE_URL": "https://museo.example.fi/",
		"SENDER":          " noreply@museo.example.fi ",
		"SITE_URL":        "http://localhost:8080",
		"Ignored":         "should not be read",
	}
	with := func(changes map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		// wantErr lists substrings the error must contain; none means success.
		wantErr []string
		// notInErr lists names the error must not mention.
		notInErr []string
		check    func(t *testing.T, c testConfig)
	}{
		{
			name: "all set",
			env:  full,
			check: func(t *testing.T, c testConfig) {
				if c.Table != "subscribers" || c.Queue != full["QUEUE_URL"] {
					t.Errorf("strings: %+v", c)
				}
				if c.Sender != "noreply@museo.example.fi" {
					t.Errorf("Sender = %q, want it trimmed", c.Sender)
				}
				if c.Base == nil || c.Base.String() != "https://museo.example.fi" {
					t.Errorf("Base = %v, want the URL without its trailing slash", c.Base)
				}
				if c.Site == nil || c.Site.Host != "localhost:8080" || c.Site.Scheme != "http" {
					t.Errorf("Site = %v", c.Site)
				}
				if c.Ignored != "" {
					t.Errorf("an untagged field was filled: %q", c.Ignored)
				}
			},
		},
		{
			name: "optional ones missing",
			env:  with(nil, "SENDER", "SITE_URL"),
			check: func(t *testing.T, c testConfig) {
				if c.Sender != "" || c.Site != nil {
					t.Errorf("optional fields set: %q %v", c.Sender, c.Site)
				}
				if c.Table == "" || c.Base == nil {
					t.Errorf("required fields not set: %+v", c)
				}
			},
		},
		{
			name:     "one required missing",
			env:      with(nil, "TABLE"),
			wantErr:  []string{"TABLE is not set"},
			notInErr: []string{"QUEUE_URL", "PUBLIC_BASE_URL", "SENDER"},
		},
		{
			name:     "all required missing are reported together",
			env:      with(nil, "TABLE", "QUEUE_URL", "PUBLIC_BASE_URL"),
			wantErr:  []string{"TABLE is not set", "QUEUE_URL is not set", "PUBLIC_BASE_URL is not set"},
			notInErr: []string{"SENDER", "SITE_URL"},
		},
		{
			name:    "blank counts as missing",
			env:     with(map[string]string{"TABLE": "   ", "QUEUE_URL": ""}),
			wantErr: []string{"TABLE is not set", "QUEUE_URL is not set"},
		},
		{
			name:    "empty environment",
			env:     map[string]string{},
			wantErr: []string{"TABLE", "QUEUE_URL", "PUBLIC_BASE_URL"},
		},
		{
			name:    "relative URL",
			env:     with(map[string]string{"PUBLIC_BASE_URL": "/newsletter"}),
			wantErr: []string{"PUBLIC_BASE_URL is not an absolute URL"},
		},
		{
			name:    "URL without host",
			env:     with(map[string]string{"PUBLIC_BASE_URL": "https://"}),
			wantErr: []string{"PUBLIC_BASE_URL is not an absolute URL"},
		},
		{
			name:    "unparsable URL",
			env:     with(map[string]string{"PUBLIC_BASE_URL": "http://[::1"}),
			wantErr: []string{"PUBLIC_BASE_URL is not an absolute URL"},
		},
		{
			name:    "bad optional URL is still checked",
			env:     with(map[string]string{"SITE_URL": "localhost:8080/x"}),
			wantErr: []string{"SITE_URL is not an absolute URL"},
		},
		{
			name:    "missing and bad reported together",
			env:     with(map[string]string{"PUBLIC_BASE_URL": "nope"}, "TABLE"),
			wantErr: []string{"TABLE is not set", "PUBLIC_BASE_URL is not an absolute URL"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c testConfig
			err := Load(Map(tc.env), &c)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tc.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			for _, s := range tc.notInErr {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q mentions %s", err, s)
				}
			}
		})
	}
}

func TestLoadRefusesBadTargets(t *testing.T) {
	var notPointer testConfig
	var s string
	type badField struct {
		N int `env:"N"`
	}
	tests := []struct {
		name string
		dst  any
	}{
		{"struct value", notPointer},
		{"pointer to non-struct", &s},
		{"nil", nil},
		{"unsupported field type", &badField{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Load(Map(map[string]string{"N": "1"}), tc.dst); err == nil {
				t.Fatal("Load accepted it")
			}
		})
	}
}

func TestMap(t *testing.T) {
	l := Map(map[string]string{"A": "1", "EMPTY": ""})
	if v, ok := l("A"); v != "1" || !ok {
		t.Errorf("A = %q %v", v, ok)
	}
	if v, ok := l("EMPTY"); v != "" || !ok {
		t.Errorf("EMPTY = %q %v, want present and empty", v, ok)
	}
	if _, ok := l("B"); ok {
		t.Error("B found")
	}
}

func TestCheckRegion(t *testing.T) {
	tests := []struct {
		region string
		ok     bool
	}{
		{"eu-north-1", true},
		{"eu-west-1", true},
		{"eu-central-1", true},
		{"us-east-1", false},
		{"eu-west-2", false},  // London: outside the EU
		{"eu-south-2", false}, // Spain: no SES v2, the mailer could not send
		{"", false},
		{"EU-NORTH-1", false},
		{" eu-north-1", false},
	}
	for _, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			err := CheckRegion(tc.region)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckRegion(%q) = %v, want ok=%v", tc.region, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "eu-north-1") {
				t.Errorf("error %q does not list the allowed regions", err)
			}
		})
	}
}
