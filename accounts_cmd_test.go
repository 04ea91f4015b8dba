//go:build !js

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAccountsCommands: users and keys on the command line, and a refusal
// while another process holds the data directory.
func TestAccountsCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"RAGCHAT_DATA_DIR": dir, "RAGCHAT_SAMPLE_CORPUS": "false", "RAGCHAT_LOG_LEVEL": "error", passwordEnv: "a long enough password"}
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
		return out.String(), err
	}
	if _, err := cmd("users", "add", "ana@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd("users", "add", "ana@example.com"); err == nil {
		t.Error("a second account with the same email was added")
	}
	if out, err := cmd("keys", "create", "ana@example.com", "chat"); err != nil || !strings.Contains(out, "rck_") {
		t.Fatalf("keys create = %q, %v", out, err)
	}
	if out, err := cmd("users", "list"); err != nil || !strings.Contains(out, "ana@example.com  admin") {
		t.Fatalf("users list = %q, %v", out, err)
	}
	release, err := lockDataDir(&config{Search: "embedded", DataDir: dir}, "ragchat serve")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := cmd("users", "list"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("users list while the directory is locked: %v, want a refusal", err)
	}
}
