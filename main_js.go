//go:build js && wasm

package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	ragapp "ragchat/app"
)

// main is the browser side of the binary (app.wasm): it registers the
// pages and runs the UI. The server side's main is in main.go.
func main() {
	ragapp.Routes()
	app.RunWhenOnBrowser()
}
