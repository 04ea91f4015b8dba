//go:build !wasm

package app

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

var fakeWasm = bytes.Repeat([]byte("\x00asm fake module "), 1000)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testFiles(t *testing.T, wasm []byte) fstest.MapFS {
	files := fstest.MapFS{
		"static/icon-192.png": {Data: []byte("png192")},
		"static/icon-512.png": {Data: []byte("png512")},
		"static/icon.svg":     {Data: []byte("<svg/>")},
		"static/ragchat.css":  {Data: []byte("body{}")},
		"static/boot.js":      {Data: []byte("")},
		"wasm/README.md":      {Data: []byte("build outputs")},
	}
	if wasm != nil {
		files["wasm/app.wasm"] = &fstest.MapFile{Data: wasm}
		files["wasm/app.wasm.gz"] = &fstest.MapFile{Data: gzipped(t, wasm)}
		files["wasm/app.wasm.br"] = &fstest.MapFile{Data: []byte("brotli bytes")}
	}
	return files
}

func get(t *testing.T, h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestWasmContentCoding(t *testing.T) {
	files := testFiles(t, fakeWasm)
	h := newHandler(Config{Version: "v1"}, files)
	tests := []struct {
		accept string
		enc    string
		body   []byte
	}{
		{"gzip, deflate, br, zstd", "br", files["wasm/app.wasm.br"].Data},
		{"gzip", "gzip", files["wasm/app.wasm.gz"].Data},
		{"br;q=0, gzip;q=0.5", "gzip", files["wasm/app.wasm.gz"].Data},
		{"*", "br", files["wasm/app.wasm.br"].Data},
		{"*;q=0", "", fakeWasm},
		{"identity", "", fakeWasm},
		{"", "", fakeWasm},
	}
	for _, path := range []string{"/web/app.wasm", "/app.wasm"} {
		for _, tt := range tests {
			w := get(t, h, http.MethodGet, path, map[string]string{"Accept-Encoding": tt.accept})
			if w.Code != http.StatusOK {
				t.Fatalf("%s %q: status %d", path, tt.accept, w.Code)
			}
			hd := w.Header()
			if got := hd.Get("Content-Encoding"); got != tt.enc {
				t.Errorf("%s %q: Content-Encoding %q, want %q", path, tt.accept, got, tt.enc)
			}
			if !strings.Contains(strings.Join(hd.Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("%s %q: Vary %q", path, tt.accept, hd.Values("Vary"))
			}
			if got := hd.Get("Content-Type"); got != "application/wasm" {
				t.Errorf("%s %q: Content-Type %q", path, tt.accept, got)
			}
			if !bytes.Equal(w.Body.Bytes(), tt.body) {
				t.Errorf("%s %q: wrong body (%d bytes)", path, tt.accept, w.Body.Len())
			}
		}
	}
	// The gzip twin really is app.wasm.
	zr, err := gzip.NewReader(bytes.NewReader(files["wasm/app.wasm.gz"].Data))
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := io.ReadAll(zr); !bytes.Equal(raw, fakeWasm) {
		t.Error("gzip body does not decode to app.wasm")
	}
}

func TestWasmHead(t *testing.T) {
	h := newHandler(Config{Version: ""}, testFiles(t, fakeWasm))
	w := get(t, h, http.MethodHead, "/web/app.wasm", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d body bytes, length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
	if w := get(t, h, http.MethodPost, "/web/app.wasm", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

// A .gz left over from an older build must not be sent as this app.wasm.
func TestStaleGzipIgnored(t *testing.T) {
	files := testFiles(t, fakeWasm)
	files["wasm/app.wasm.gz"] = &fstest.MapFile{Data: gzipped(t, []byte("an older, shorter build"))}
	delete(files, "wasm/app.wasm.br")
	h := newHandler(Config{Version: ""}, files)
	w := get(t, h, http.MethodGet, "/web/app.wasm", map[string]string{"Accept-Encoding": "gzip, br"})
	if enc := w.Header().Get("Content-Encoding"); enc != "" || !bytes.Equal(w.Body.Bytes(), fakeWasm) {
		t.Errorf("stale gzip served: encoding %q, %d bytes", enc, w.Body.Len())
	}
}

func TestVersionAndNotModified(t *testing.T) {
	h := newHandler(Config{Version: "rev1"}, testFiles(t, fakeWasm))
	w := get(t, h, http.MethodGet, "/web/app.wasm", map[string]string{"Accept-Encoding": "br"})
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := get(t, h, http.MethodGet, "/web/app.wasm", map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("unchanged build: status %d, want 304", w.Code)
	}
	if w := get(t, h, http.MethodGet, "/", map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("page of an unchanged build: status %d, want 304", w.Code)
	}

	same := get(t, newHandler(Config{Version: "rev1"}, testFiles(t, fakeWasm)), http.MethodGet, "/app.js", nil).Header().Get("ETag")
	if same != etag {
		t.Errorf("same build, different ETag: %s vs %s", same, etag)
	}
	for name, other := range map[string]http.Handler{
		"new wasm":     newHandler(Config{Version: "rev1"}, testFiles(t, append([]byte("changed"), fakeWasm...))),
		"new revision": newHandler(Config{Version: "rev2"}, testFiles(t, fakeWasm)),
		// app.js carries the limit, and the service worker caches app.js.
		"new question limit": newHandler(Config{Version: "rev1", MaxMessageChars: 8000}, testFiles(t, fakeWasm)),
	} {
		w := get(t, other, http.MethodGet, "/web/app.wasm", map[string]string{"If-None-Match": etag})
		if w.Code != http.StatusOK || w.Header().Get("ETag") == etag {
			t.Errorf("%s: status %d, ETag %s (old %s)", name, w.Code, w.Header().Get("ETag"), etag)
		}
	}
}

// TestQuestionLimitReachesTheApp: the server's limit is in app.js's
// environment, which the wasm app reads; without one, the API's default.
func TestQuestionLimitReachesTheApp(t *testing.T) {
	for _, tt := range []struct {
		limit int
		want  string
	}{
		{8000, `"RAGCHAT_MAX_MESSAGE_CHARS":"8000"`},
		{0, `"RAGCHAT_MAX_MESSAGE_CHARS":"4000"`},
	} {
		body := get(t, newHandler(Config{MaxMessageChars: tt.limit}, testFiles(t, fakeWasm)), http.MethodGet, "/app.js", nil).Body.String()
		if !strings.Contains(body, tt.want) {
			t.Errorf("limit %d: app.js lacks %s", tt.limit, tt.want)
		}
	}
}

// The service worker precaches with cache.addAll, which fails as a whole
// if one URL fails: every precached and manifest URL must be local.
func TestPWAResourcesAreLocal(t *testing.T) {
	h := newHandler(Config{Version: ""}, testFiles(t, fakeWasm))
	var manifest struct {
		StartURL string `json:"start_url"`
		Icons    []struct {
			Src string `json:"src"`
		} `json:"icons"`
	}
	w := get(t, h, http.MethodGet, "/manifest.webmanifest", nil)
	if err := json.Unmarshal(w.Body.Bytes(), &manifest); err != nil {
		t.Fatalf("manifest: %v: %s", err, w.Body.String())
	}
	if len(manifest.Icons) == 0 {
		t.Fatal("manifest has no icons")
	}
	for _, ic := range manifest.Icons {
		if !strings.HasPrefix(ic.Src, "/web/") {
			t.Errorf("manifest icon %q is not a local /web/ file", ic.Src)
		}
		if w := get(t, h, http.MethodGet, ic.Src, nil); w.Code != http.StatusOK {
			t.Errorf("manifest icon %q: status %d", ic.Src, w.Code)
		}
	}
	worker := get(t, h, http.MethodGet, "/app-worker.js", nil).Body.String()
	m := regexp.MustCompile(`resourcesToCache = (\[[^\]]*\])`).FindStringSubmatch(worker)
	if m == nil {
		t.Fatalf("no precache list in app-worker.js:\n%s", worker)
	}
	var urls []string
	if err := json.Unmarshal([]byte(m[1]), &urls); err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			t.Errorf("precached %q is not local", u)
			continue
		}
		if w := get(t, h, http.MethodGet, u, map[string]string{"Accept-Encoding": "gzip"}); w.Code != http.StatusOK {
			t.Errorf("precached %q: status %d", u, w.Code)
		}
	}
}

func TestPageAndStatic(t *testing.T) {
	h := newHandler(Config{Version: ""}, testFiles(t, fakeWasm))
	w := get(t, h, http.MethodGet, "/", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="chat"`) || !strings.Contains(body, "/web/ragchat.css") {
		t.Errorf("page: status %d:\n%s", w.Code, body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval'") {
		t.Errorf("CSP %q", csp)
	}
	if w := get(t, h, http.MethodGet, "/web/ragchat.css", nil); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("css: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, p := range []string{"/web/", "/web/wasm/README.md", "/web/missing.png", "/nope"} {
		if w := get(t, h, http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, w.Code)
		}
	}
}

func TestWithoutWasmBuild(t *testing.T) {
	h := newHandler(Config{Version: ""}, testFiles(t, nil))
	if w := get(t, h, http.MethodGet, "/web/app.wasm", nil); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make wasm") {
		t.Errorf("app.wasm without a build: %d %q", w.Code, w.Body.String())
	}
	if w := get(t, h, http.MethodGet, "/", nil); w.Code != http.StatusOK {
		t.Errorf("page without a build: %d", w.Code)
	}
}

func TestContentCoding(t *testing.T) {
	both := map[string][]byte{"br": nil, "gzip": nil}
	gzOnly := map[string][]byte{"gzip": nil}
	tests := []struct {
		accept string
		avail  map[string][]byte
		want   string
	}{
		{"br", both, "br"},
		{"BR;Q=1", both, "br"},
		{"br", gzOnly, ""},
		{"gzip;q=0.1, br;q=0", both, "gzip"},
		{"gzip ; q=0", both, ""},
		{"deflate", both, ""},
		{"*, br;q=0", both, "gzip"},
		{",,;", both, ""},
	}
	for _, tt := range tests {
		if got := contentCoding(tt.accept, tt.avail); got != tt.want {
			t.Errorf("contentCoding(%q) = %q, want %q", tt.accept, got, tt.want)
		}
	}
}

func TestServiceWorkerSkipsAPI(t *testing.T) {
	h := newHandler(Config{Version: ""}, testFiles(t, fakeWasm))
	worker := get(t, h, http.MethodGet, "/app-worker.js", nil).Body.String()
	if !strings.Contains(worker, `url.pathname.startsWith("/api/")`) || strings.Contains(worker, workerFetch) {
		t.Errorf("the service worker still handles /api/ requests:\n%s", worker)
	}
}

// TestAppJSPatched: app.js compiles the plain fetch Response of app.wasm
// and leaves starting it to boot.js, which the page loads; a go-app
// upgrade that changes the patched lines fails here, not silently.
func TestAppJSPatched(t *testing.T) {
	h := newHandler(Config{Version: "v1"}, testFiles(t, fakeWasm))
	w := get(t, h, http.MethodGet, "/app.js", nil)
	js := w.Body.String()
	if w.Code != http.StatusOK || strings.Contains(js, appJSFetch) || strings.Contains(js, appJSStart) ||
		!strings.Contains(js, `fetch("/web/app.wasm")`) || !strings.Contains(js, "var goappWasmDeferred = true;") {
		t.Fatalf("app.js (status %d) is not patched:\n%s", w.Code, js)
	}
	if got := w.Header().Get("Content-Length"); got != strconv.Itoa(len(js)) {
		t.Errorf("Content-Length %s for %d bytes", got, len(js))
	}
	if etag := w.Header().Get("ETag"); etag == "" {
		t.Error("no ETag")
	} else if w := get(t, h, http.MethodGet, "/app.js", map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("unchanged app.js: status %d, want 304", w.Code)
	}
	page := get(t, h, http.MethodGet, "/", nil).Body.String()
	if !strings.Contains(page, `src="/web/boot.js"`) {
		t.Errorf("the page does not load boot.js:\n%s", page)
	}
	if _, ok := patchAppJS([]byte("goappInitWebAssembly();")); ok {
		t.Error("patchAppJS reports success on an app.js it could not patch")
	}
}
