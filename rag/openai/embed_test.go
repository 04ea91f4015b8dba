package openai

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/internal/fakellm"
)

func TestEmbed(t *testing.T) {
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprintf("text number %d", i)
	}
	tests := []struct {
		name      string
		script    fakellm.EmbedScript
		cfg       func(*Config)
		wantKind  string
		wantCalls int
		wantMsg   string
	}{
		{name: "batches in order", wantCalls: 3},
		{name: "reversed data is reordered", script: fakellm.EmbedScript{Reverse: true}, wantCalls: 3},
		{name: "one batch", cfg: func(c *Config) { c.BatchSize = 1000 }, wantCalls: 1},
		{name: "missing vectors", script: fakellm.EmbedScript{Drop: 1}, wantKind: "upstream", wantCalls: 1, wantMsg: "63 embeddings for 64"},
		{name: "ragged vectors", script: fakellm.EmbedScript{Ragged: true}, wantKind: "upstream", wantCalls: 1, wantMsg: "dimensions"},
		{name: "rate limited", script: fakellm.EmbedScript{FailStatus: 429}, wantKind: "unavailable", wantCalls: 3},
		{name: "key refused", script: fakellm.EmbedScript{FailStatus: 401}, wantKind: "upstream", wantCalls: 1, wantMsg: "API key"},
		{name: "hangs", script: fakellm.EmbedScript{Hang: true}, cfg: func(c *Config) { c.EmbedTimeout = 20 * time.Millisecond }, wantKind: "timeout", wantCalls: -1, wantMsg: "embedding timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakellm.New(fakellm.Options{Dimensions: 12})
			defer s.Close()
			s.SetEmbedScript(tt.script)
			cfg := testConfig(s)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			got, err := NewEmbedder(cfg).Embed(context.Background(), texts)
			if kindOf(err) != tt.wantKind {
				t.Fatalf("error kind = %q (%v), want %q", kindOf(err), err, tt.wantKind)
			}
			if tt.wantCalls >= 0 && s.EmbedCalls() != tt.wantCalls || tt.wantCalls < 0 && s.EmbedCalls() > 1 {
				t.Errorf("calls = %d, want %d", s.EmbedCalls(), tt.wantCalls)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "openai: embeddings: ") {
					t.Errorf("error %q: want prefix and %q", err, tt.wantMsg)
				}
				return
			}
			want := make([][]float32, len(texts))
			for i, text := range texts {
				want[i] = fakellm.Vector(text, 12)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vectors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmbedEdgeCases(t *testing.T) {
	s := fakellm.New(fakellm.Options{Dimensions: 4})
	defer s.Close()
	e := NewEmbedder(testConfig(s))
	got, err := e.Embed(context.Background(), nil)
	if err != nil || len(got) != 0 || s.EmbedCalls() != 0 {
		t.Fatalf("Embed(nil) = %v, %v with %d calls", got, err, s.EmbedCalls())
	}
	if _, err := e.Embed(context.Background(), []string{""}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{" "}, s.EmbedInputs()); diff != "" {
		t.Errorf("empty text sent as (-want +got):\n%s", diff)
	}
}

func TestDimensions(t *testing.T) {
	s := fakellm.New(fakellm.Options{Dimensions: 24})
	defer s.Close()
	e := NewEmbedder(testConfig(s))
	s.SetEmbedScript(fakellm.EmbedScript{FailStatus: 503})
	if _, err := e.Dimensions(context.Background()); kindOf(err) != "unavailable" {
		t.Fatalf("Dimensions with a failing server: err = %v", err)
	}
	s.SetEmbedScript(fakellm.EmbedScript{})
	for range 2 {
		d, err := e.Dimensions(context.Background())
		if err != nil || d != 24 {
			t.Fatalf("Dimensions = %d, %v; want 24", d, err)
		}
	}
	if s.EmbedCalls() != 3+1 { // three failing attempts, then one probe
		t.Errorf("calls = %d, want 4 (the probe is cached)", s.EmbedCalls())
	}
}
