//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"ragchat/api"
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

// TestOpenAPIExamplesWork sends every request example of the served
// document, as Swagger UI's "Try it out" would fill it in, to a real server
// with the sample corpus: each must succeed as it is.
func TestOpenAPIExamplesWork(t *testing.T) {
	base, _ := startServer(t, map[string]string{"RAGCHAT_GENERATOR": "extractive"})
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody *struct {
				Content map[string]struct {
					Example json.RawMessage `json:"example"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for path, methods := range doc.Paths {
		for method, op := range methods {
			if op.RequestBody == nil {
				continue
			}
			mt, ok := op.RequestBody.Content["application/json"]
			if !ok {
				continue // the multipart upload: Swagger UI asks for a file
			}
			if len(mt.Example) == 0 {
				t.Errorf("%s: a JSON request body without an example", op.OperationID)
				continue
			}
			req, err := http.NewRequest(strings.ToUpper(method), base+path, bytes.NewReader(mt.Example))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The test server is in open mode with no account, so the
			// account operations' examples, valid as they are (no 400 or
			// 422), can only be refused for want of one.
			if refusal, ok := accountRefusals[op.OperationID]; ok {
				if resp.StatusCode != refusal {
					t.Errorf("%s with its example %s: %d %s, want %d", op.OperationID, mt.Example, resp.StatusCode, body, refusal)
				}
			} else if resp.StatusCode/100 != 2 {
				t.Errorf("%s with its example %s: %d %s", op.OperationID, mt.Example, resp.StatusCode, body)
			}
			tried++
		}
	}
	if tried < 4 {
		t.Errorf("tried %d examples, want at least 4 (chat, chat-stream-post, add-document, search)", tried)
	}
}

// accountRefusals are the statuses the account operations' examples get
// from a server in open mode without users: the setup token and the login
// are unknown, and the others need an account.
var accountRefusals = map[string]int{
	"auth-setup":  http.StatusUnauthorized,
	"auth-login":  http.StatusUnauthorized,
	"create-key":  http.StatusUnauthorized,
	"create-user": http.StatusUnauthorized,
	"update-user": http.StatusUnauthorized,
}

// TestOpenAPITags checks that every tag an operation uses is declared with
// a description (generators and Swagger UI show it as the group's text).
func TestOpenAPITags(t *testing.T) {
	spec := api.Spec()
	described := map[string]bool{}
	for _, tag := range spec.Tags {
		if tag.Description != "" {
			described[tag.Name] = true
		}
	}
	for path, item := range spec.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			if op.Description == "" {
				t.Errorf("%s %s has no description", op.Method, path)
			}
			for _, tag := range op.Tags {
				if !described[tag] {
					t.Errorf("%s %s: tag %q has no description (api/openapi.go tagDescriptions)", op.Method, path, tag)
				}
			}
		}
	}
}
