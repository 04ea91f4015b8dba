package rag_test

import (
	"context"
	"strings"
	"testing"

	"ragchat/rag"
	"ragchat/rag/ragtest"
)

func TestCleanRewrite(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SSE memory use", "SSE memory use"},
		{"  \"SSE memory use\"  ", "SSE memory use"},
		{"\n\nQuery: SSE memory use\nbecause the user asked", "SSE memory use"},
		{"Standalone search query: 「SSE 메모리 사용량」", "SSE 메모리 사용량"},
		{"   \n  ", ""},
		{strings.Repeat("가", 400), strings.Repeat("가", 300)},
	}
	for _, tt := range tests {
		if got := rag.CleanRewriteForTest(tt.in); got != tt.want {
			t.Errorf("cleanRewrite(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLLMRewriterInPipeline(t *testing.T) {
	history := []rag.Message{
		{Role: rag.RoleUser, Content: "What is SSE?"},
		{Role: rag.RoleAssistant, Content: "SSE streams events [1]."},
	}
	tests := []struct {
		name string
		llm  func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error)
		want string
	}{
		{"rewritten", ragtest.Tokens("SSE ", "memory use"), "SSE memory use"},
		{"rewriter fails: previous question widens", ragtest.TokensThenFail(rag.ErrUnavailable), "and its memory use?\nWhat is SSE?"},
		{"empty rewrite: previous question widens", ragtest.Tokens("  "), "and its memory use?\nWhat is SSE?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rewriter := &ragtest.Generator{Func: tt.llm}
			var prompt []rag.PromptMessage
			rec := &ragtest.Generator{Func: func(ctx context.Context, req rag.GenerateRequest, tok func(string) error) (rag.Generation, error) {
				return rag.Generation{FinishReason: "stop"}, nil
			}}
			spy := &ragtest.Generator{Func: func(ctx context.Context, req rag.GenerateRequest, tok func(string) error) (rag.Generation, error) {
				prompt = req.Prompt
				return rewriter.Generate(ctx, req, tok)
			}}
			p := &rag.Pipeline{Store: &ragtest.Store{}, Embedder: &ragtest.Embedder{}, Generator: rec, Rewriter: rag.LLMRewriter{Generator: spy}}
			ans, err := p.Answer(context.Background(), rag.Question{Text: "and its memory use?", Lang: "en", History: history}, func(rag.Event) {})
			if err != nil {
				t.Fatal(err)
			}
			if ans.SearchQuery != tt.want {
				t.Errorf("search query %q, want %q", ans.SearchQuery, tt.want)
			}
			if len(prompt) != 2 || !strings.Contains(prompt[1].Content, "What is SSE?") || strings.Contains(prompt[1].Content, "[1]") {
				t.Errorf("rewrite prompt = %+v", prompt)
			}
		})
	}
	// A first question is not rewritten.
	calls := &ragtest.Generator{Func: ragtest.Tokens("x")}
	p := &rag.Pipeline{Store: &ragtest.Store{}, Embedder: &ragtest.Embedder{}, Generator: &ragtest.Generator{Func: ragtest.Tokens("a")}, Rewriter: rag.LLMRewriter{Generator: calls}}
	if _, err := p.Answer(context.Background(), rag.Question{Text: "What is SSE?", Lang: "en"}, func(rag.Event) {}); err != nil {
		t.Fatal(err)
	}
	if calls.Calls() != 0 {
		t.Error("a first question was sent to the rewriter")
	}
}
