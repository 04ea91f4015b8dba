package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
)

// SecureHeaders sets the headers every response carries: no MIME
// sniffing, no referrer beyond the origin, and no framing by other sites
// (frame-ancestors, with X-Frame-Options for older browsers). Pages with
// a fuller Content-Security-Policy (/docs) replace the one set here.
func SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// inlineScript matches the page's inline scripts (those without src).
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// withDocsCSP serves the Swagger UI page under a Content-Security-Policy
// that allows only its own files and, by their hashes, the inline scripts
// of the page as swgui renders it (computed once, here, so an upgrade of
// swgui cannot silently break the page). Swagger UI sets inline styles at
// run time, hence style-src 'unsafe-inline'.
func withDocsCSP(ui http.Handler) http.Handler {
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs/", nil))
	hashes := []string{}
	for _, m := range inlineScript.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	csp := "default-src 'self'; script-src 'self' " + strings.Join(hashes, " ") +
		"; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		ui.ServeHTTP(w, r)
	})
}
