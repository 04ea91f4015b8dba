//go:build !js

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestWasmDeps proves that app.wasm pulls in no server code: the browser
// build of this package imports neither the server's packages nor their
// SDKs (each would add megabytes, and none can run in a browser).
func TestWasmDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go list -deps .: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	forbidden := []string{
		"github.com/danielgtaylor/huma",
		"github.com/elastic/",
		"github.com/sashabaranov/go-openai",
		"modernc.org/sqlite",
		"modernc.org/libc",
		"github.com/jackc/pgx",
		"github.com/golang-migrate/",
		"github.com/prometheus/",
		"github.com/swaggest/",
		"github.com/chromedp/",
		"ragchat/api",
		"ragchat/store",
		"ragchat/search",
		"ragchat/rag",
		"ragchat/web",
		"ragchat/internal",
		"ragchat/eval",
		"ragchat/docs",
		"ragchat/tokenize",
	}
	allowed := map[string]bool{"ragchat/api/v1": true}
	have := map[string]bool{}
	for _, d := range deps {
		have[d] = true
		if allowed[d] {
			continue
		}
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
				t.Errorf("app.wasm depends on %s (forbidden: %s)", d, f)
			}
		}
	}
	// The list is the browser build's: it must hold the app itself.
	for _, want := range []string{"ragchat/app", "ragchat/api/v1", "github.com/maxence-charriere/go-app/v10/pkg/app", "syscall/js"} {
		if !have[want] {
			t.Errorf("app.wasm does not depend on %s; is this the browser build?", want)
		}
	}
}
