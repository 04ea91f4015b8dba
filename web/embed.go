//go:build !wasm

// Package web holds the browser app's static files, embedded so that the
// server is a single binary that serves the UI from any working directory.
//
// static/ is committed (icons, stylesheet). wasm/ receives the build outputs
// of `make wasm`: app.wasm and its precompressed twins app.wasm.gz and
// app.wasm.br. wasm/README.md is committed so that the embed pattern always
// matches and the server compiles before the first wasm build; the server
// then answers /web/app.wasm with 503 and a hint instead of the app.
//
// The package is excluded from wasm builds: the app must never embed itself.
package web

import "embed"

// FS is the embedded file tree: static/... and wasm/....
//
//go:embed static wasm
var FS embed.FS
