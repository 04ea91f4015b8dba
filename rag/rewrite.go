package rag

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// QueryRewriter turns a follow-up question into a standalone search query,
// so that "and its memory use?" retrieves passages about the subject named
// a turn before.
type QueryRewriter interface {
	RewriteQuery(ctx context.Context, q Question) (string, error)
}

// LLMRewriter asks a generator (an LLM) for the standalone query.
type LLMRewriter struct {
	Generator Generator
	Timeout   time.Duration // default 10s; a slow rewrite falls back to the previous question's terms
}

// rewriteTurns is how many earlier messages the rewrite prompt shows.
const rewriteTurns = 4

// RewriteQuery implements QueryRewriter.
func (r LLMRewriter) RewriteQuery(ctx context.Context, q Question) (string, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out strings.Builder
	_, err := r.Generator.Generate(ctx, GenerateRequest{Lang: q.Lang, Question: q.Text, History: q.History, Prompt: rewritePrompt(q)}, func(tok string) error {
		if out.Len() > 2000 {
			return fmt.Errorf("rewrite: answer too long: %w", ErrUpstream)
		}
		out.WriteString(tok)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("rewrite query: %w", err)
	}
	query := cleanRewrite(out.String())
	if query == "" {
		return "", fmt.Errorf("rewrite query: empty answer: %w", ErrUpstream)
	}
	return query, nil
}

func rewritePrompt(q Question) []PromptMessage {
	system := "You turn a follow-up question into one standalone search query for a document search. " +
		"Use the conversation to replace pronouns and references (it, that, this, 그것, 이것) with what they mean. " +
		"Reply with the query only, in the language of the question: no quotes, no explanation."
	var b strings.Builder
	b.WriteString("Conversation:\n")
	history := q.History
	if len(history) > rewriteTurns {
		history = history[len(history)-rewriteTurns:]
	}
	for _, m := range history {
		role := "User"
		if m.Role == RoleAssistant {
			role = "Assistant"
		}
		fmt.Fprintf(&b, "%s: %s\n", role, Snippet(StripCitations(m.Content), 400))
	}
	fmt.Fprintf(&b, "\nFollow-up question: %s\n\nStandalone search query:", q.Text)
	return []PromptMessage{{Role: "system", Content: system}, {Role: "user", Content: b.String()}}
}

// cleanRewrite keeps the first non-empty line of the model's answer,
// without quotes or a "Query:" label, at most 300 characters.
func cleanRewrite(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, ":"); i >= 0 && i < 30 && strings.Contains(strings.ToLower(line[:i]), "query") {
			line = strings.TrimSpace(line[i+1:])
		}
		line = strings.Trim(line, "\"'`“”‘’「」")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > 300 {
			line = string([]rune(line)[:300])
		}
		return line
	}
	return ""
}
