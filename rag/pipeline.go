package rag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Pipeline answers one question: it retrieves passages, builds the prompt
// and streams the generator's answer, reporting each step as an event.
type Pipeline struct {
	Store     Store
	Embedder  Embedder
	Generator Generator
	// Rewriter, when set, turns follow-up questions into standalone search
	// queries; without it (or when it fails) the previous question's terms
	// widen the query instead.
	Rewriter QueryRewriter

	TopK         int // passages retrieved; default 5
	Budget       int // prompt tokens; default 3000 (see BuildPrompt)
	SnippetRunes int // length of source snippets; default 240
}

// Question is one question to answer.
type Question struct {
	Text    string
	Lang    string    // "ko" or "en"
	History []Message // earlier messages of the conversation, oldest first
}

// Answer is what a pipeline produced, complete or not.
type Answer struct {
	Text        string
	Passages    []Passage
	Sources     []Source
	Generation  Generation
	SearchQuery string        // the query retrieval used
	Retrieval   time.Duration // embedding + search
}

// Stage errors let the runner tell retrieval failures from generation ones.
var errRetrieval = errors.New("retrieval")

// Answer runs the pipeline. emit receives status, sources and token events
// (without Seq; the caller numbers them). On error the returned Answer holds
// what was produced before it.
func (p *Pipeline) Answer(ctx context.Context, q Question, emit func(Event)) (Answer, error) {
	var ans Answer
	emit(Event{Type: EventStatus, Status: &Status{Stage: StageRetrieving, Text: StatusText(q.Lang, StageRetrieving)}})

	start := time.Now()
	ans.SearchQuery = p.searchQuery(ctx, q)
	passages, err := p.retrieve(ctx, ans.SearchQuery)
	ans.Retrieval = time.Since(start)
	if err != nil {
		return ans, fmt.Errorf("%w: %w", errRetrieval, err)
	}
	ans.Passages = passages
	ans.Sources = p.sources(passages)
	emit(Event{Type: EventSources, Sources: ans.Sources})
	emit(Event{Type: EventStatus, Status: &Status{Stage: StageGenerating, Text: StatusText(q.Lang, StageGenerating)}})

	prompt, fit := BuildPrompt(PromptInput{Lang: q.Lang, Question: q.Text, Passages: passages, History: q.History, Budget: p.Budget})
	req := GenerateRequest{
		Lang:     q.Lang,
		Question: q.Text,
		Passages: passages[:fit.Passages],
		History:  q.History[len(q.History)-fit.HistoryMessages:],
		Prompt:   prompt,
	}
	var text strings.Builder
	gen, err := p.Generator.Generate(ctx, req, func(tok string) error {
		if tok == "" {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		text.WriteString(tok)
		emit(Event{Type: EventToken, Token: tok})
		return nil
	})
	ans.Text = text.String()
	ans.Generation = gen
	if err != nil {
		return ans, fmt.Errorf("generate: %w", err)
	}
	return ans, nil
}

func (p *Pipeline) retrieve(ctx context.Context, query string) ([]Passage, error) {
	k := p.TopK
	if k <= 0 {
		k = 5
	}
	vecs, err := p.Embedder.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(vecs) != 1 {
		return nil, fmt.Errorf("embed query: got %d vectors for 1 text: %w", len(vecs), ErrUpstream)
	}
	passages, err := p.Store.Search(ctx, Query{Text: query, Vector: vecs[0], K: k, Mode: ModeHybrid})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return passages, nil
}

func (p *Pipeline) sources(passages []Passage) []Source {
	n := p.SnippetRunes
	if n <= 0 {
		n = 240
	}
	out := make([]Source, len(passages))
	for i, ps := range passages {
		out[i] = Source{
			N:          i + 1,
			DocumentID: ps.Chunk.DocumentID,
			ChunkID:    ps.Chunk.ID,
			Title:      ps.Chunk.Title,
			URL:        ps.Chunk.URL,
			Snippet:    Snippet(ps.Chunk.Text, n),
			Score:      ps.Score,
		}
	}
	return out
}

// searchQuery is what retrieval looks for. A first question is used as
// is. A follow-up such as "and its memory use?" names its subject only in
// an earlier turn: the Rewriter (an LLM) makes it standalone; without one,
// or when it fails, the previous question widens the query.
func (p *Pipeline) searchQuery(ctx context.Context, q Question) string {
	if p.Rewriter != nil && hasUserTurn(q.History) {
		if query, err := p.Rewriter.RewriteQuery(ctx, q); err == nil {
			return query
		}
	}
	return widenedQuery(q)
}

func hasUserTurn(history []Message) bool {
	for _, m := range history {
		if m.Role == RoleUser {
			return true
		}
	}
	return false
}

func widenedQuery(q Question) string {
	for i := len(q.History) - 1; i >= 0; i-- {
		if m := q.History[i]; m.Role == RoleUser {
			return q.Text + "\n" + m.Content
		}
	}
	return q.Text
}
