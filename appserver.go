//go:build !js

package main

import (
	"net/http"
	"runtime/debug"

	"ragchat/app"
)

// appHandler serves the browser app (prerendered pages, app.wasm and the
// PWA files), versioned by the build so browsers replace a stale app, and
// tells it the server's question limit.
func appHandler(maxMessageChars int) http.Handler {
	return app.Handler(app.Config{Version: buildVersion(), MaxMessageChars: maxMessageChars})
}

// buildVersion is the VCS revision the binary was built from, or "" (the
// app's own assets then decide its version).
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		return "" // a dirty tree's revision does not identify the build
	}
	return rev
}
