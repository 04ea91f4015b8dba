package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"ragchat/rag"
)

// Generator streams chat completions. It is safe for concurrent use.
type Generator struct {
	cfg    Config
	client *goopenai.Client
}

var _ rag.Generator = (*Generator)(nil)

// NewGenerator returns a Generator for cfg.ChatModel.
func NewGenerator(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	return &Generator{cfg: cfg, client: cfg.client()}
}

const opChat = "openai: chat stream"

// Generate streams the answer to req.Prompt, calling token with each
// content delta. Transient failures are retried only while no token has
// been emitted, so a retry never repeats text. A stream that breaks off or
// ends without a finish reason is an ErrInterrupted error, not a short
// answer.
func (g *Generator) Generate(ctx context.Context, req rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
	if len(req.Prompt) == 0 {
		return rag.Generation{}, fmt.Errorf("%s: %w: empty prompt", opChat, rag.ErrInvalid)
	}
	msgs := make([]goopenai.ChatCompletionMessage, len(req.Prompt))
	for i, m := range req.Prompt {
		msgs[i] = goopenai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	creq := goopenai.ChatCompletionRequest{
		Model:         g.cfg.ChatModel,
		Messages:      msgs,
		Temperature:   g.cfg.Temperature,
		MaxTokens:     g.cfg.MaxTokens,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
	}
	for attempt := 0; ; attempt++ {
		gen, emitted, err := g.stream(ctx, creq, token)
		if err == nil || emitted || attempt >= g.cfg.MaxRetries || !transient(err) {
			return gen, err
		}
		t := time.NewTimer(g.cfg.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return gen, g.cfg.classify(opChat, ctx, ctx, ctx.Err(), false)
		case <-t.C:
		}
	}
}

// stream makes one attempt; emitted reports whether token was called.
func (g *Generator) stream(parent context.Context, creq goopenai.ChatCompletionRequest, token func(string) error) (gen rag.Generation, emitted bool, err error) {
	gen.Model = g.cfg.ChatModel
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// One timer serves both limits: first the first-token timeout, then,
	// reset by each chunk, the idle timeout. Firing cancels the request.
	var gotToken atomic.Bool
	timer := time.AfterFunc(g.cfg.FirstTokenTimeout, func() {
		if gotToken.Load() {
			cancel(errIdle)
		} else {
			cancel(errFirstToken)
		}
	})
	defer timer.Stop()

	st, err := g.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		return gen, false, g.cfg.classify(opChat, parent, ctx, err, false)
	}
	defer st.Close()

	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) && ctx.Err() == nil {
			if gen.FinishReason == "" {
				// The body ended cleanly, yet the model never finished:
				// a proxy or server cut the answer short.
				return gen, emitted, fmt.Errorf("%s: %w: the stream ended without a finish reason (truncated answer)", opChat, rag.ErrInterrupted)
			}
			return gen, emitted, nil
		}
		if err != nil {
			if gen.FinishReason != "" && parent.Err() == nil {
				// The answer was complete; only the usage chunk or
				// [DONE] went missing.
				return gen, emitted, nil
			}
			return gen, emitted, g.cfg.classify(opChat, parent, ctx, err, true)
		}
		if resp.Model != "" {
			gen.Model = resp.Model
		}
		if resp.Usage != nil {
			gen.Usage = rag.Usage{
				PromptTokens:     resp.Usage.PromptTokens,
				CompletionTokens: resp.Usage.CompletionTokens,
				TotalTokens:      resp.Usage.TotalTokens,
			}
		}
		for _, ch := range resp.Choices {
			if ch.Index != 0 {
				continue
			}
			// A refusal is the model's answer too; show it.
			if text := ch.Delta.Content + ch.Delta.Refusal; text != "" {
				emitted = true
				gotToken.Store(true)
				if err := token(text); err != nil {
					return gen, emitted, err
				}
			} else if ch.Delta.ReasoningContent != "" && !emitted {
				// A reasoning model is thinking aloud before its answer:
				// the upstream is alive, so restart the first-token wait.
				timer.Reset(g.cfg.FirstTokenTimeout)
			}
			if ch.FinishReason != "" {
				gen.FinishReason = string(ch.FinishReason)
			}
		}
		if emitted {
			timer.Reset(g.cfg.IdleTimeout)
		}
	}
}
