//go:build !wasm

package app

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
	"ragchat/web"
)

// Paths of the wasm build outputs inside the embedded tree.
const (
	wasmPath = "wasm/app.wasm"
	gzipPath = wasmPath + ".gz"
	brPath   = wasmPath + ".br"
)

// contentSecurityPolicy lets the page run its own scripts and wasm and talk
// to its own origin, nothing else: even if model text got into the DOM as
// markup (it does not), it could neither run scripts nor load anything.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Handler returns the browser app's HTTP handler, to mount on "/" of the
// server's mux next to the API: the prerendered chat page on "/", go-app's
// app.js, wasm_exec.js, app-worker.js and manifest.webmanifest, and the
// embedded /web/ files (icons, stylesheet, app.wasm). It never touches the
// file system, so the binary serves the UI from any working directory.
//
// app.wasm is sent brotli- or gzip-compressed when the browser accepts it
// (Vary: Accept-Encoding). The go-app Version, which is the ETag of every
// response and the name of the service worker's cache, is a hash of version
// and the embedded files: a new build replaces the cached app, an unchanged
// one answers 304. Pass the server's build version (e.g. its VCS revision),
// or "" to let the assets alone decide.
func Handler(cfg Config) http.Handler {
	return newHandler(cfg, web.FS)
}

// Config is what the server tells the browser app.
type Config struct {
	// Version is the server's build version (e.g. its VCS revision), or "".
	Version string
	// MaxMessageChars is the server's limit on a question, which the
	// composer enforces and counts against (0: v1.DefaultMaxMessageChars).
	MaxMessageChars int
}

// WasmBuilt reports whether app.wasm was embedded; without it the page
// loads but the app cannot start (run `make wasm`, then rebuild).
func WasmBuilt() bool {
	_, err := fs.Stat(web.FS, wasmPath)
	return err == nil
}

func newHandler(cfg Config, files fs.FS) http.Handler {
	Routes()
	a := newAssets(files)
	if cfg.MaxMessageChars <= 0 {
		cfg.MaxMessageChars = v1.DefaultMaxMessageChars
	}
	limit := strconv.Itoa(cfg.MaxMessageChars)
	h := &app.Handler{
		Name:        "ragchat",
		ShortName:   "ragchat",
		Title:       "ragchat",
		Description: "Ask questions about your documents; answers stream in and cite their sources.",
		Lang:        "en",
		// Local icons: a remote default would make the service worker's
		// precache fail as a whole, and the app would not work offline.
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-512.png",
			SVG:      "/web/icon.svg",
		},
		Styles: []string{"/web/ragchat.css"},
		// The shell: the prerendered composer works before app.wasm
		// runs, and app.wasm starts at the first sign of use (boot.js).
		Scripts:            []string{"/web/boot.js defer"},
		CacheableResources: []string{"/web/icon.svg"},
		BackgroundColor:    "#ffffff",
		ThemeColor:         "#1f6feb",
		LoadingLabel:       "ragchat {progress}%",
		Resources:          a,
		// The environment is part of app.js, which the service worker
		// caches by Version: a new limit must make a new version.
		Env:                   map[string]string{envMaxMessageChars: limit},
		Version:               a.version(cfg.Version + "\x00max=" + limit),
		ServiceWorkerTemplate: serviceWorker(),
	}
	if raw, ok := a.wasm[""]; ok {
		// With Content-Encoding, Content-Length is the compressed size; the
		// loader's progress needs the size of what it reads.
		h.WasmContentLength = strconv.Itoa(len(raw))
	}
	next := &appJS{next: h}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// workerFetch is the fetch listener of go-app's service worker template.
const workerFetch = `self.addEventListener("fetch", (event) => {
  event.respondWith(fetchWithCache(event.request));
});`

// workerFetchAPI leaves the API to the browser: the worker would gain
// nothing there (it never caches the API), and an EventSource reconnect
// that goes through it loses its Last-Event-ID header in Chromium, which
// breaks resuming a dropped stream.
const workerFetchAPI = `self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin === self.location.origin && url.pathname.startsWith("/api/")) {
    return;
  }
  event.respondWith(fetchWithCache(event.request));
});`

// serviceWorker is go-app's worker with the API left out of it.
func serviceWorker() string {
	if !strings.Contains(app.DefaultAppWorkerJS, workerFetch) {
		// A go-app upgrade changed the template; TestServiceWorkerSkipsAPI
		// says so. Until then the default still works, minus resuming.
		slog.Warn("app: go-app's service worker template changed; the API goes through it")
		return app.DefaultAppWorkerJS
	}
	return strings.Replace(app.DefaultAppWorkerJS, workerFetch, workerFetchAPI, 1)
}

// assets is go-app's resource resolver over the embedded files: /web/...
// paths stay as they are and are served from here.
type assets struct {
	files  fs.FS             // the whole embedded tree
	static http.Handler      // /web/<name> from static/<name>
	wasm   map[string][]byte // app.wasm by content coding: "", "gzip", "br"
}

func newAssets(files fs.FS) *assets {
	a := &assets{files: files, wasm: map[string][]byte{}}
	if sub, err := fs.Sub(files, "static"); err == nil {
		a.static = http.StripPrefix("/web", http.FileServerFS(sub))
	}
	raw, err := fs.ReadFile(files, wasmPath)
	if err != nil {
		slog.Warn("app: app.wasm is not embedded; run `make wasm` and rebuild the server")
		return a
	}
	a.wasm[""] = raw
	if gz, err := fs.ReadFile(files, gzipPath); err == nil {
		// gzip's trailer holds the uncompressed size: a cheap check that
		// the .gz was made from this app.wasm and not left from an old build.
		if len(gz) >= 18 && binary.LittleEndian.Uint32(gz[len(gz)-4:]) == uint32(len(raw)) {
			a.wasm["gzip"] = gz
		} else {
			slog.Warn("app: app.wasm.gz does not match app.wasm; not serving it")
		}
	}
	if br, err := fs.ReadFile(files, brPath); err == nil && len(br) > 0 {
		a.wasm["br"] = br
	}
	return a
}

// Resolve keeps paths as they are: the files are served by this handler
// at the paths go-app asks for.
func (a *assets) Resolve(p string) string { return p }

// version hashes the server version and every embedded file.
func (a *assets) version(server string) string {
	h := sha256.New()
	h.Write([]byte(server))
	var paths []string
	_ = fs.WalkDir(a.files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	for _, p := range paths {
		b, err := fs.ReadFile(a.files, p)
		if err != nil {
			continue
		}
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/web/app.wasm":
		a.serveWasm(w, r)
	case strings.HasSuffix(p, "/") || a.static == nil:
		http.NotFound(w, r) // no directory listings
	default:
		a.static.ServeHTTP(w, r)
	}
}

func (a *assets) serveWasm(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	raw, ok := a.wasm[""]
	if !ok {
		http.Error(w, "app.wasm is not built: run `make wasm`, then rebuild the server", http.StatusServiceUnavailable)
		return
	}
	body, enc := raw, contentCoding(r.Header.Get("Accept-Encoding"), a.wasm)
	if enc != "" {
		body = a.wasm[enc]
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Type", "application/wasm")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// contentCoding picks the coding to send from an Accept-Encoding header:
// brotli (smallest) over gzip over none, among those available and
// accepted with a non-zero q.
func contentCoding(accept string, available map[string][]byte) string {
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		v := 1.0
		for _, p := range strings.Split(params, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					v = f
				}
			}
		}
		q[name] = v
	}
	for _, enc := range []string{"br", "gzip"} {
		if _, ok := available[enc]; !ok {
			continue
		}
		v, named := q[enc]
		if !named {
			v, named = q["*"]
		}
		if named && v > 0 {
			return enc
		}
	}
	return ""
}
