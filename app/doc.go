// Package app is ragchat's browser app: a go-app v10 PWA that asks the
// server questions and shows the answers as they stream in.
//
// The same package runs twice. Compiled to app.wasm (main_js.go), it is the
// UI: the chat page, its message components and a small Markdown renderer
// that builds elements, never HTML. Compiled into the server (handler.go,
// !wasm), it prerenders the page and serves the embedded web assets; see
// Handler.
//
// Transport: the page feature-tests EventSource. With it, a question is a
// GET /api/v1/chat/stream EventSource whose events ({"type","content"},
// ids "<run_id>:<seq>") are applied in sequence order, so the browser's own
// reconnect (Last-Event-ID) never duplicates text. Without it, or with
// ?transport=rest, it is one POST /api/v1/chat. The chat root carries
// data-transport="sse" or "rest" and a badge says which.
//
// The package imports go-app, the standard library and api/v1 only: no
// server package may end up in app.wasm (the root package's
// TestWasmDeps checks it). Inside this package, "app" names go-app's
// package, as in go-app's own examples.
package app
