//go:build !js

package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfigFlagsAndEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(c config) bool
		wantErr string
	}{
		{"defaults", nil, nil, func(c config) bool {
			return c.Addr == "localhost:8080" && c.DataDir == "./data" && c.MaxMessageChars == 4000 && c.RunGrace == time.Minute && c.Generator == "extractive"
		}, ""},
		{"environment", nil, map[string]string{"RAGCHAT_ADDR": ":9000", "RAGCHAT_RUN_GRACE": "5s", "RAGCHAT_LOG_QUESTIONS": "true"}, func(c config) bool {
			return c.Addr == ":9000" && c.RunGrace == 5*time.Second && c.LogQuestions
		}, ""},
		{"a flag wins over its variable", []string{"--addr", ":7000"}, map[string]string{"RAGCHAT_ADDR": ":9000"}, func(c config) bool {
			return c.Addr == ":7000"
		}, ""},
		{"ingestion limits", []string{"--max-pdf-pages", "10", "--extract-timeout", "2s"}, map[string]string{
			"RAGCHAT_MAX_DOCUMENT_CHARS": "1000", "RAGCHAT_MAX_DOCUMENT_CHUNKS": "7", "RAGCHAT_UPLOAD_READ_TIMEOUT": "3s", "RAGCHAT_MAX_CONCURRENT_UPLOADS": "2",
		}, func(c config) bool {
			return c.MaxPDFPages == 10 && c.ExtractTimeout == 2*time.Second && c.MaxDocumentChars == 1000 && c.MaxDocumentChunks == 7 &&
				c.UploadReadTimeout == 3*time.Second && c.MaxConcurrentUploads == 2
		}, ""},
		{"bad variable names itself", nil, map[string]string{"RAGCHAT_RUN_GRACE": "soon"}, nil, "RAGCHAT_RUN_GRACE"},
		{"bad flag", []string{"--top-k", "many"}, nil, nil, "top-k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c config
			fs, env := c.flagSet("serve", io.Discard)
			err := parseFlags(fs, env, tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, bad := range []func(*config){
		func(c *config) { c.Generator = "gpt" },
		func(c *config) { c.Embedder = "bert" },
		func(c *config) { c.Search = "solr" },
		func(c *config) { c.MaxMessageChars = 0 },
		func(c *config) { c.MaxPDFPages = -1 },
		func(c *config) { c.MaxDocumentChars = -1 },
		func(c *config) { c.MaxDocumentChunks = -1 },
		func(c *config) { c.ExtractTimeout = -1 },
		func(c *config) { c.UploadReadTimeout = -1 },
		func(c *config) { c.MaxConcurrentUploads = -1 },
	} {
		c := config{Generator: "extractive", Embedder: "hash", Search: "embedded", MaxMessageChars: 1}
		if err := c.validate(); err != nil {
			t.Fatalf("valid config: %v", err)
		}
		bad(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%+v passed validation", c)
		}
	}
}

func TestEveryFlagHasAnEnvironmentTwin(t *testing.T) {
	var c config
	fs, env := c.flagSet("serve", io.Discard)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if env[f.Name] != envName(f.Name) {
			t.Errorf("--%s has no RAGCHAT_ twin", f.Name)
		}
	})
	if n < 20 {
		t.Errorf("only %d flags", n)
	}
}
