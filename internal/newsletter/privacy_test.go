package newsletter

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"rekisteri/internal/config"
	"rekisteri/internal/register"
)

// TestFunctionServesBothPrivacyNotices: the newsletter function serving the
// museum publishes the museum's and the libraries' notices, each its own,
// without calling AWS.
func TestFunctionServesBothPrivacyNotices(t *testing.T) {
	cfg, probe := probedConfig(t)
	fn, err := Function(context.Background(), config.Map(functionEnv()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ register, lang string }{
		{"museum", "fi"}, {"library", "fi"}, {"library", "sv"}, {"library", "en"},
	}
	for _, tc := range tests {
		t.Run(tc.register+"/"+tc.lang, func(t *testing.T) {
			reg := register.MustLoad(tc.register)
			rec := httptest.NewRecorder()
			fn.HTTP.ServeHTTP(rec, httptest.NewRequest("GET", "/privacy?register="+tc.register+"&lang="+tc.lang, nil))
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, reg.Version()) || !strings.Contains(body, `<html lang="`+tc.lang+`"`) {
				t.Errorf("not the %s notice in %s (version %s)", tc.register, tc.lang, reg.Version())
			}
			for _, name := range reg.ControllerNames(tc.lang) {
				if !strings.Contains(body, name) {
					t.Errorf("the notice does not name the controller %q", name)
				}
			}
		})
	}
	if c := probe.Snapshot(); c.Total() != 0 {
		t.Errorf("serving the notices called AWS: %v", c)
	}
}
