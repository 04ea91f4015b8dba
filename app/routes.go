package app

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

var routesOnce sync.Once

// Routes registers the app's pages with go-app. The browser calls it
// before app.RunWhenOnBrowser; Handler calls it so that the server can
// prerender the same pages. Calling it again does nothing.
func Routes() {
	routesOnce.Do(func() {
		app.Route("/", func() app.Composer { return &chat{} })
	})
}
