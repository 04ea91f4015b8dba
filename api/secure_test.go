package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"ragchat/api"
)

// TestSecureHeaders: API responses, problems and /docs all carry the
// security headers; /docs has its own script policy.
func TestSecureHeaders(t *testing.T) {
	mux := http.NewServeMux()
	api.New(mux, api.Deps{}, api.Config{})
	srv := httptest.NewServer(api.SecureHeaders(mux))
	t.Cleanup(srv.Close)
	for path, script := range map[string]bool{"/openapi.json": false, "/api/v1/nope": false, "/docs/": true} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", path, h)
		}
		if got := strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self' 'sha256-"); got != script {
			t.Errorf("%s: CSP %q", path, h.Get("Content-Security-Policy"))
		}
	}
}
