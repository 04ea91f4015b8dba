package openai

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/internal/fakellm"
	"ragchat/rag"
)

const secretKey = "sk-test-secret-123"

var prompt = []rag.PromptMessage{
	{Role: "system", Content: "Answer from the sources; cite them as [n]."},
	{Role: "user", Content: "Sources:\n[1] SSE streams events over HTTP. It reconnects.\n\nQuestion: What is SSE?"},
}

const wantAnswer = "SSE streams events over HTTP. [1]"

func testConfig(s *fakellm.Server) Config {
	return Config{
		BaseURL:           s.URL(),
		APIKey:            secretKey,
		ChatModel:         "chat-m",
		EmbeddingModel:    "embed-m",
		RetryBackoff:      time.Millisecond,
		IdleTimeout:       time.Minute,
		FirstTokenTimeout: time.Minute,
	}
}

// kindOf names the rag error kind of err for table comparisons.
func kindOf(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, rag.ErrTimeout):
		return "timeout"
	case errors.Is(err, rag.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, rag.ErrInterrupted):
		return "interrupted"
	case errors.Is(err, rag.ErrUpstream):
		return "upstream"
	case errors.Is(err, rag.ErrInvalid):
		return "invalid"
	}
	return "other: " + err.Error()
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		name      string
		scripts   []fakellm.Script // queued in order; the last one stays
		cfg       func(*Config)
		wantText  string
		wantKind  string
		wantCalls int    // -1: at most one (a timer may fire before the request arrives)
		wantMsg   string // a substring of the error
		finish    string
	}{
		{name: "default answer", scripts: []fakellm.Script{{}}, wantText: wantAnswer, wantCalls: 1, finish: "stop"},
		{name: "length", scripts: []fakellm.Script{{Tokens: []string{"a", "b"}, FinishReason: "length"}}, wantText: "ab", wantCalls: 1, finish: "length"},
		{name: "401 key refused", scripts: []fakellm.Script{{FailStatus: 401, FailMessage: "Incorrect API key provided: " + secretKey}}, wantKind: "upstream", wantCalls: 1, wantMsg: "API key"},
		{name: "403 forbidden", scripts: []fakellm.Script{{FailStatus: 403}}, wantKind: "upstream", wantCalls: 1, wantMsg: "permissions"},
		{name: "400 bad request", scripts: []fakellm.Script{{FailStatus: 400, FailMessage: "bad model"}}, wantKind: "upstream", wantCalls: 1, wantMsg: "bad model"},
		{name: "404 hints at base URL", scripts: []fakellm.Script{{FailStatus: 404}}, wantKind: "upstream", wantCalls: 1, wantMsg: "/v1"},
		{name: "429 retried then unavailable", scripts: []fakellm.Script{{FailStatus: 429}}, wantKind: "unavailable", wantCalls: 3},
		{name: "503 retried then unavailable", scripts: []fakellm.Script{{FailStatus: 503}}, wantKind: "unavailable", wantCalls: 3},
		{name: "500 retried then upstream", scripts: []fakellm.Script{{FailStatus: 500}}, wantKind: "upstream", wantCalls: 3},
		{name: "408 timeout", scripts: []fakellm.Script{{FailStatus: 408}}, wantKind: "timeout", wantCalls: 1},
		{name: "504 timeout", scripts: []fakellm.Script{{FailStatus: 504}}, wantKind: "timeout", wantCalls: 1},
		{name: "no retries configured", scripts: []fakellm.Script{{FailStatus: 503}}, cfg: func(c *Config) { c.MaxRetries = -1 }, wantKind: "unavailable", wantCalls: 1},
		{name: "503 then success", scripts: []fakellm.Script{{FailStatus: 503}, {FailStatus: 429}, {Tokens: []string{"ok"}}}, wantText: "ok", wantCalls: 3, finish: "stop"},
		{name: "error mid-stream not retried", scripts: []fakellm.Script{{Tokens: []string{"a", "b", "c"}, Break: fakellm.BreakError, BreakAfter: 2, FailMessage: "overloaded"}}, wantText: "ab", wantKind: "upstream", wantCalls: 1, wantMsg: "overloaded"},
		{name: "error before first token", scripts: []fakellm.Script{{Break: fakellm.BreakError}}, wantKind: "upstream", wantCalls: 1},
		{name: "truncated", scripts: []fakellm.Script{{Tokens: []string{"a", "b"}, Break: fakellm.BreakTruncate, BreakAfter: 1}}, wantText: "a", wantKind: "interrupted", wantCalls: 1, wantMsg: "truncated"},
		{name: "truncated before first token retried", scripts: []fakellm.Script{{Break: fakellm.BreakTruncate}}, wantKind: "interrupted", wantCalls: 3, wantMsg: "truncated"},
		{name: "no [DONE] after finish", scripts: []fakellm.Script{{Tokens: []string{"a"}, End: fakellm.BreakTruncate}}, wantText: "a", wantCalls: 1, finish: "stop"},
		{name: "hang after finish", scripts: []fakellm.Script{{Tokens: []string{"a"}, End: fakellm.BreakHang}}, cfg: func(c *Config) { c.IdleTimeout = 20 * time.Millisecond }, wantText: "a", wantCalls: 1, finish: "stop"},
		{name: "idle timeout", scripts: []fakellm.Script{{Tokens: []string{"a", "b"}, Break: fakellm.BreakHang, BreakAfter: 1}}, cfg: func(c *Config) { c.IdleTimeout = 20 * time.Millisecond }, wantText: "a", wantKind: "timeout", wantCalls: 1, wantMsg: "idle"},
		{name: "first token timeout after headers", scripts: []fakellm.Script{{Break: fakellm.BreakHang}}, cfg: func(c *Config) { c.FirstTokenTimeout = 100 * time.Millisecond }, wantKind: "timeout", wantCalls: -1, wantMsg: "first-token"},
		{name: "first token timeout before headers", scripts: []fakellm.Script{{HeaderDelay: time.Hour}}, cfg: func(c *Config) { c.FirstTokenTimeout = 100 * time.Millisecond }, wantKind: "timeout", wantCalls: -1, wantMsg: "first-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakellm.New(fakellm.Options{})
			defer s.Close()
			s.SetScript(tt.scripts[len(tt.scripts)-1])
			s.QueueScripts(tt.scripts[:len(tt.scripts)-1]...)
			cfg := testConfig(s)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			var b strings.Builder
			gen, err := NewGenerator(cfg).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(tok string) error {
				b.WriteString(tok)
				return nil
			})
			if got := kindOf(err); got != tt.wantKind {
				t.Fatalf("error kind = %q (%v), want %q", got, err, tt.wantKind)
			}
			if b.String() != tt.wantText {
				t.Errorf("text = %q, want %q", b.String(), tt.wantText)
			}
			if tt.wantCalls >= 0 && s.Calls() != tt.wantCalls || tt.wantCalls < 0 && s.Calls() > 1 {
				t.Errorf("calls = %d, want %d", s.Calls(), tt.wantCalls)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not mention %q", err, tt.wantMsg)
				}
				if strings.Contains(err.Error(), secretKey) {
					t.Errorf("error %q leaks the API key", err)
				}
				if !strings.HasPrefix(err.Error(), "openai: chat stream: ") {
					t.Errorf("error %q lacks the operation prefix", err)
				}
				return
			}
			if gen.FinishReason != tt.finish || gen.Model != "chat-m" || gen.Usage.CompletionTokens == 0 || gen.Usage.TotalTokens == 0 {
				t.Errorf("generation = %+v", gen)
			}
		})
	}
}

func TestGenerateSendsRequest(t *testing.T) {
	s := fakellm.New(fakellm.Options{})
	defer s.Close()
	cfg := testConfig(s)
	cfg.Temperature = 0.5
	cfg.MaxTokens = 100
	if _, err := NewGenerator(cfg).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if got := r.Header.Get("Authorization"); got != "Bearer "+secretKey {
		t.Errorf("Authorization = %q", got)
	}
	if r.Model != "chat-m" || !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage || r.MaxTokens != 100 || r.Temperature == nil || *r.Temperature != 0.5 {
		t.Errorf("request = %+v", r)
	}
	want := []fakellm.Message{{Role: "system", Content: prompt[0].Content}, {Role: "user", Content: prompt[1].Content}}
	if diff := cmp.Diff(want, r.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestGenerateNoKeyNoAuthorization(t *testing.T) {
	s := fakellm.New(fakellm.Options{})
	defer s.Close()
	cfg := testConfig(s)
	cfg.APIKey = ""
	if _, err := NewGenerator(cfg).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

// TestCancelEndsUpstream proves that cancelling the caller's context ends
// the fake's request, and that the error is context.Canceled, not a failure.
func TestCancelEndsUpstream(t *testing.T) {
	s := fakellm.New(fakellm.Options{Script: fakellm.Script{Tokens: []string{"a", "b"}, Break: fakellm.BreakHang, BreakAfter: 1}})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := NewGenerator(testConfig(s)).Generate(ctx, rag.GenerateRequest{Prompt: prompt}, func(string) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || rag.Retryable(err) {
		t.Fatalf("err = %v, want context.Canceled and not retryable", err)
	}
	<-s.Ended()
	if s.Gone() != 1 || s.Calls() != 1 {
		t.Errorf("Gone, Calls = %d, %d; want 1, 1", s.Gone(), s.Calls())
	}
}

func TestParentDeadline(t *testing.T) {
	s := fakellm.New(fakellm.Options{Script: fakellm.Script{Break: fakellm.BreakHang}})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := NewGenerator(testConfig(s)).Generate(ctx, rag.GenerateRequest{Prompt: prompt}, func(string) error { return nil })
	if !errors.Is(err, rag.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
	}
	<-s.Ended()
}

func TestTokenErrorStops(t *testing.T) {
	s := fakellm.New(fakellm.Options{Script: fakellm.Script{Tokens: []string{"a", "b", "c"}}})
	defer s.Close()
	stop := errors.New("subscriber gone")
	n := 0
	_, err := NewGenerator(testConfig(s)).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(string) error {
		n++
		return stop
	})
	if err != stop || n != 1 || s.Calls() != 1 {
		t.Errorf("err, tokens, calls = %v, %d, %d; want the token error as is, 1, 1", err, n, s.Calls())
	}
}

func TestUnreachable(t *testing.T) {
	s := fakellm.New(fakellm.Options{})
	cfg := testConfig(s)
	s.Close() // nothing listens there any more
	_, err := NewGenerator(cfg).Generate(context.Background(), rag.GenerateRequest{Prompt: prompt}, func(string) error { return nil })
	if kindOf(err) != "unavailable" || !rag.Retryable(err) {
		t.Fatalf("err = %v, want unavailable", err)
	}
	_, err = NewEmbedder(cfg).Embed(context.Background(), []string{"x"})
	if kindOf(err) != "unavailable" {
		t.Fatalf("embed err = %v, want unavailable", err)
	}
}

func TestEmptyPrompt(t *testing.T) {
	_, err := NewGenerator(Config{}).Generate(context.Background(), rag.GenerateRequest{}, func(string) error { return nil })
	if kindOf(err) != "invalid" {
		t.Fatalf("err = %v, want invalid", err)
	}
}
