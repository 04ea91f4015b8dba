package client_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientDrift regenerates the client from the committed spec and fails
// when it differs from the committed client.gen.go. `make openapi` fixes it.
func TestClientDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it builds oapi-codegen")
	}
	// The same configuration, writing to standard output instead of the
	// committed file.
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(cfg), "\n") {
		if !strings.HasPrefix(l, "output:") {
			lines = append(lines, l)
		}
	}
	tmp := filepath.Join(t.TempDir(), "oapi-codegen.yaml")
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", tmp, "../openapi-3.0.yaml")
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, stderr.Bytes())
	}
	want, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("client.gen.go is out of date with openapi/openapi-3.0.yaml: run `make openapi` and commit it")
	}
}
