// Package openai adapts any OpenAI-compatible server (OpenAI, Ollama,
// vLLM, the llama.cpp server) to rag.Generator and rag.Embedder through
// go-openai. It owns the failure policy at that boundary: retries only
// before the first token, idle and first-token timers instead of a client
// timeout, truncated streams reported as errors, and every failure
// classified with the rag error kinds.
package openai

import (
	"math/rand/v2"
	"net/http"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
)

// Defaults for zero Config fields.
const (
	DefaultBaseURL           = "https://api.openai.com/v1"
	DefaultIdleTimeout       = 30 * time.Second
	DefaultFirstTokenTimeout = 60 * time.Second
	DefaultEmbedTimeout      = 60 * time.Second
	DefaultMaxRetries        = 2
	DefaultRetryBackoff      = 500 * time.Millisecond
	DefaultBatchSize         = 64
)

// Config configures a Generator or an Embedder. The zero value of every
// field means its default.
type Config struct {
	// BaseURL of the API including the version path, e.g.
	// "http://localhost:11434/v1" for Ollama. "" means OpenAI.
	BaseURL string
	// APIKey is sent as a bearer token; "" sends no Authorization header
	// (local servers). It never appears in errors.
	APIKey         string
	ChatModel      string
	EmbeddingModel string
	// Temperature of chat completions; 0 leaves it to the server (the
	// client library omits a zero value).
	Temperature float32
	// MaxTokens bounds the answer (max_tokens); 0 leaves it to the server.
	MaxTokens int
	// IdleTimeout is the longest wait between stream chunks once the
	// first token arrived (default 30s).
	IdleTimeout time.Duration
	// FirstTokenTimeout is the longest wait from sending the request to
	// the first content token (default 60s).
	FirstTokenTimeout time.Duration
	// EmbedTimeout bounds one embeddings request (default 60s).
	EmbedTimeout time.Duration
	// MaxRetries is how often a request is retried when it fails before
	// the first token with a transient error (default 2; negative: never).
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled each time, with
	// jitter (default 500ms).
	RetryBackoff time.Duration
	// BatchSize is how many texts go into one embeddings request (default 64).
	BatchSize int
	// HTTPClient sends the requests. nil means a client with no overall
	// timeout: a Timeout would cut long streams, so deadlines come from
	// the context and the timers above.
	HTTPClient *http.Client
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.FirstTokenTimeout <= 0 {
		c.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if c.EmbedTimeout <= 0 {
		c.EmbedTimeout = DefaultEmbedTimeout
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return c
}

func (c Config) client() *goopenai.Client {
	cfg := goopenai.DefaultConfig(c.APIKey)
	cfg.BaseURL = c.BaseURL
	cfg.HTTPClient = c.HTTPClient
	return goopenai.NewClientWithConfig(cfg)
}

// backoff is the delay before retry number attempt (0-based): doubling,
// with up to 50% jitter so many clients do not retry in step.
func (c Config) backoff(attempt int) time.Duration {
	d := c.RetryBackoff << min(attempt, 10)
	return d/2 + rand.N(d/2+1)
}
