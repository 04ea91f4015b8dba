package openai

import (
	"context"
	"strings"
	"testing"

	"ragchat/internal/fakellm"
	"ragchat/rag"
)

// TestErrorPaths drives every way an OpenAI-compatible server fails (HTTP
// statuses with JSON or HTML bodies, connections cut before the first byte
// or mid-answer, broken stream lines, error objects inside the stream,
// streams that end early) through Generate against fakellm, and checks
// what a run would report for it (rag.ErrorOf: code, retryable, the message
// users see), the detail that goes to the log, the text kept, and how many
// times the server was asked (retries happen only before the first token).
func TestErrorPaths(t *testing.T) {
	const (
		upstream    = rag.CodeUpstream
		unavailable = rag.CodeUnavailable
		interrupted = rag.CodeInterrupted
		timeout     = rag.CodeTimeout
	)
	tokens := []string{"SSE ", "streams ", "events."}
	tests := []struct {
		name      string
		script    fakellm.Script
		code      string
		retryable bool
		detail    string // in the logged error
		text      string // the tokens delivered before the failure
		calls     int
	}{
		{name: "400", script: fakellm.Script{FailStatus: 400, FailMessage: "model not found: chat-m"}, code: upstream, detail: "HTTP 400: model not found", calls: 1},
		{name: "401", script: fakellm.Script{FailStatus: 401, FailMessage: "Incorrect API key provided: " + secretKey}, code: upstream, detail: "refused the API key", calls: 1},
		{name: "403", script: fakellm.Script{FailStatus: 403}, code: upstream, detail: "permissions (HTTP 403)", calls: 1},
		{name: "404", script: fakellm.Script{FailStatus: 404}, code: upstream, detail: "check the base URL", calls: 1},
		{name: "408", script: fakellm.Script{FailStatus: 408}, code: timeout, retryable: true, detail: "timed out (HTTP 408)", calls: 1},
		{name: "409", script: fakellm.Script{FailStatus: 409}, code: upstream, detail: "HTTP 409", calls: 1},
		{name: "413", script: fakellm.Script{FailStatus: 413}, code: upstream, detail: "--prompt-budget", calls: 1},
		{name: "422", script: fakellm.Script{FailStatus: 422, FailMessage: "temperature out of range"}, code: upstream, detail: "HTTP 422: temperature out of range", calls: 1},
		{name: "429", script: fakellm.Script{FailStatus: 429}, code: unavailable, retryable: true, detail: "rate limiting", calls: 3},
		{name: "500", script: fakellm.Script{FailStatus: 500}, code: upstream, detail: "HTTP 500", calls: 3},
		{name: "502", script: fakellm.Script{FailStatus: 502}, code: unavailable, retryable: true, detail: "HTTP 502", calls: 3},
		{name: "503", script: fakellm.Script{FailStatus: 503}, code: unavailable, retryable: true, detail: "unavailable (HTTP 503)", calls: 3},
		{name: "504", script: fakellm.Script{FailStatus: 504}, code: timeout, retryable: true, detail: "timed out (HTTP 504)", calls: 1},
		{name: "HTML 502 page", script: fakellm.Script{FailStatus: 502, FailHTML: true}, code: unavailable, retryable: true, detail: "HTTP 502", calls: 3},
		{name: "HTML 500 page", script: fakellm.Script{FailStatus: 500, FailHTML: true}, code: upstream, detail: "HTTP 500", calls: 3},
		{name: "HTML 401 page", script: fakellm.Script{FailStatus: 401, FailHTML: true}, code: upstream, detail: "refused the API key", calls: 1},
		{name: "cut before the first byte", script: fakellm.Script{CutBeforeHeaders: true}, code: unavailable, retryable: true, detail: "cannot reach", calls: 3},
		{name: "cut before the first token", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakCut}, code: interrupted, retryable: true, detail: "broke off", calls: 3},
		{name: "cut mid-answer", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakCut, BreakAfter: 2}, code: interrupted, retryable: true, detail: "broke off", text: "SSE streams ", calls: 1},
		{name: "cut mid-chunk", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakCutMidChunk, BreakAfter: 1}, code: interrupted, retryable: true, detail: "broke off", text: "SSE ", calls: 1},
		{name: "data line not JSON", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakBadJSON, BreakAfter: 1}, code: upstream, detail: "not JSON", text: "SSE ", calls: 1},
		{name: "error object in the stream", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakError, BreakAfter: 2, FailMessage: "model overloaded"}, code: upstream, detail: "mid-stream: model overloaded", text: "SSE streams ", calls: 1},
		{name: "ends without finish or [DONE]", script: fakellm.Script{Tokens: tokens, Break: fakellm.BreakTruncate, BreakAfter: 2}, code: interrupted, retryable: true, detail: "without a finish reason", text: "SSE streams ", calls: 1},
		{name: "ends without [DONE] after finishing", script: fakellm.Script{Tokens: tokens, End: fakellm.BreakTruncate}, text: "SSE streams events.", calls: 1},
		{name: "cut after finishing", script: fakellm.Script{Tokens: tokens, End: fakellm.BreakCut}, text: "SSE streams events.", calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakellm.New(fakellm.Options{Script: tt.script})
			defer s.Close()
			var b strings.Builder
			_, err := NewGenerator(testConfig(s)).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(tok string) error {
				b.WriteString(tok)
				return nil
			})
			if b.String() != tt.text {
				t.Errorf("text = %q, want %q", b.String(), tt.text)
			}
			if s.Calls() != tt.calls {
				t.Errorf("calls = %d, want %d", s.Calls(), tt.calls)
			}
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Generate: %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Generate succeeded, want %s", tt.code)
			}
			for _, lang := range []string{"en", "ko"} {
				got := rag.ErrorOf(err, lang)
				want := rag.ErrorOf(kindError(tt.code), lang)
				if got.Code != tt.code || got.Retryable != tt.retryable || got.Message != want.Message || got.Message == "" {
					t.Errorf("%s: reported %+v, want code %s, retryable %v, message %q (error %v)", lang, got, tt.code, tt.retryable, want.Message, err)
				}
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not say %q", err, tt.detail)
			}
			if msg := err.Error(); strings.Contains(msg, secretKey) || strings.Contains(msg, "<html") || strings.Contains(msg, "nginx") {
				t.Errorf("error %q leaks the key or the HTML body", msg)
			}
		})
	}
}

// kindError is an error of the kind behind a run error code.
func kindError(code string) error {
	switch code {
	case rag.CodeUpstream:
		return rag.ErrUpstream
	case rag.CodeUnavailable:
		return rag.ErrUnavailable
	case rag.CodeInterrupted:
		return rag.ErrInterrupted
	case rag.CodeTimeout:
		return rag.ErrTimeout
	}
	return nil
}

// TestCutStreamsAreInterrupted is the scenario: with a fifth of the
// streams cut mid-answer, those runs (and only those) report
// upstream_interrupted, retryable, and keep the text so far; asking again
// works.
func TestCutStreamsAreInterrupted(t *testing.T) {
	s := fakellm.New(fakellm.Options{CutRate: 0.2, Script: fakellm.Script{Tokens: []string{"one ", "two ", "three ", "four"}}})
	defer s.Close()
	g := NewGenerator(testConfig(s))
	cut := 0
	for i := range 10 {
		var b strings.Builder
		_, err := g.Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(tok string) error {
			b.WriteString(tok)
			return nil
		})
		if err == nil {
			if b.String() != "one two three four" {
				t.Errorf("answer %d = %q", i, b.String())
			}
			continue
		}
		cut++
		if e := rag.ErrorOf(err, "en"); e.Code != rag.CodeInterrupted || !e.Retryable || b.String() != "one two " {
			t.Errorf("answer %d: %+v with text %q, want a retryable upstream_interrupted after \"one two \"", i, e, b.String())
		}
	}
	if cut != 2 || s.Calls() != 10 {
		t.Errorf("%d of %d answers cut, want 2 of 10", cut, s.Calls())
	}
}
