//go:build !wasm

package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// go-app's app.js, as the pieces this package changes in it.
const (
	// appJSStart runs app.wasm as soon as app.js runs.
	appJSStart = "\ngoappInitWebAssembly();\n"
	// appJSFetch wraps the wasm response in a JavaScript ReadableStream to
	// count its bytes for the loader's percentage. That costs the streaming
	// compiler its native input: every chunk then goes through the main
	// thread (hundreds of milliseconds of main-thread work, measured with a
	// Chromium trace), and the browser cannot keep the compiled code for
	// the next visit, which it does only for a plain fetch Response.
	appJSFetch = `fetchWithProgress("/web/app.wasm", showProgress)`
)

// appJSDeferred leaves starting app.wasm to boot.js (goappWasmDeferred
// tells it that it must), and compiles the plain fetch Response.
var appJSPatches = []struct{ old, new string }{
	{appJSStart, "\nvar goappWasmDeferred = true;\n"},
	{appJSFetch, `fetch("/web/app.wasm")`},
}

// patchAppJS applies appJSPatches to go-app's app.js. If a go-app upgrade
// changed what they replace, it returns app.js as it is (the app then
// starts as go-app starts it) and false; TestAppJSPatched says so.
func patchAppJS(js []byte) ([]byte, bool) {
	s := string(js)
	for _, p := range appJSPatches {
		if strings.Count(s, p.old) != 1 {
			return js, false
		}
		s = strings.Replace(s, p.old, p.new, 1)
	}
	return []byte(s), true
}

// appJS serves go-app's app.js with patchAppJS applied; everything else
// goes to next (go-app's handler) unchanged.
type appJS struct {
	next http.Handler
	once sync.Once
	body []byte
	head http.Header
}

func (a *appJS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/app.js" && r.URL.Path != "/goapp.js" {
		a.next.ServeHTTP(w, r)
		return
	}
	a.once.Do(func() {
		rec := &recorder{header: http.Header{}}
		a.next.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: r.URL, Header: http.Header{}})
		body, ok := patchAppJS(rec.body.Bytes())
		if !ok {
			slog.Warn("app: go-app's app.js changed; app.wasm starts at once, with go-app's loader")
		}
		a.body, a.head = body, rec.header
	})
	if etag := a.head.Get("ETag"); etag != "" && r.Header.Get("If-None-Match") == etag {
		a.next.ServeHTTP(w, r) // go-app answers 304
		return
	}
	for k, v := range a.head {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// recorder keeps one response in memory.
type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(int)             {}
