//go:build !js

package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openapi/ from the code")

// TestOpenAPIDrift fails when the committed spec differs from what the code
// generates. Run `make openapi` (or go test -run OpenAPI -update) to refresh.
func TestOpenAPIDrift(t *testing.T) {
	files := []struct{ path, format, version string }{
		{"openapi/openapi.yaml", "yaml", "3.1"},
		{"openapi/openapi-3.0.yaml", "yaml", "3.0"},
	}
	for _, f := range files {
		got, err := specBytes(f.format, f.version)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f.path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("%v (run make openapi)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with the code: run `make openapi` and commit it", f.path)
		}
	}
}
