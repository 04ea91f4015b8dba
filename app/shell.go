package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// takeOverShell carries over what the visitor did in the prerendered page
// before app.wasm ran (web/static/boot.js keeps it in window.ragchatShell):
// the draft, and a question already sent, which it asks now.
// go-app replaces the prerendered elements when it mounts the page, so
// without this the text would be lost.
func (c *chat) takeOverShell(ctx app.Context) {
	shell := app.Window().Get("ragchatShell")
	if !shell.Truthy() {
		return
	}
	draft, pending := shell.Get("draft").String(), shell.Get("pending").String()
	app.Window().Set("ragchatShell", nil)
	c.input = draft
	ctx.Defer(func(app.Context) {
		el := app.Window().GetElementByID("composer")
		if !el.Truthy() {
			return
		}
		el.Set("value", c.input)
	})
	if pending != "" {
		c.input = pending
		c.submit(ctx)
	}
}
