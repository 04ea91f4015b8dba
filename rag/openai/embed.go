package openai

import (
	"context"
	"fmt"
	"sync"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"ragchat/rag"
)

// Embedder calls the embeddings endpoint. It is safe for concurrent use.
type Embedder struct {
	cfg    Config
	client *goopenai.Client

	mu   sync.Mutex
	dims int // the dimension seen so far; 0 before the first success
}

var _ rag.Embedder = (*Embedder)(nil)

// NewEmbedder returns an Embedder for cfg.EmbeddingModel.
func NewEmbedder(cfg Config) *Embedder {
	cfg = cfg.withDefaults()
	return &Embedder{cfg: cfg, client: cfg.client()}
}

const opEmbed = "openai: embeddings"

// probeText is embedded to learn the dimension.
const probeText = "dimension probe"

// Embed returns one vector per text, in order, sending cfg.BatchSize texts
// per request. Every vector has the same dimension, or it is an error.
// Empty texts are sent as a single space, which servers accept.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		end := min(start+e.cfg.BatchSize, len(texts))
		vecs, err := e.batch(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		copy(out[start:], vecs)
	}
	return out, nil
}

// Identity names what makes this embedder's vectors comparable: the model
// and its dimension (known after Dimensions or Embed succeeded; until then
// the dimension reads 0).
func (e *Embedder) Identity() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("openai/%s/%d", e.cfg.EmbeddingModel, e.dims)
}

// Dimensions returns the vector dimension of the model, embedding a probe
// text the first time (a failed probe is tried again on the next call).
func (e *Embedder) Dimensions(ctx context.Context) (int, error) {
	e.mu.Lock()
	d := e.dims
	e.mu.Unlock()
	if d > 0 {
		return d, nil
	}
	if _, err := e.batch(ctx, []string{probeText}); err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dims, nil
}

// batch embeds texts in one request, retrying transient failures.
func (e *Embedder) batch(ctx context.Context, texts []string) ([][]float32, error) {
	input := make([]string, len(texts))
	for i, t := range texts {
		if t == "" {
			t = " "
		}
		input[i] = t
	}
	req := goopenai.EmbeddingRequest{Input: input, Model: goopenai.EmbeddingModel(e.cfg.EmbeddingModel)}
	for attempt := 0; ; attempt++ {
		vecs, err := e.once(ctx, req, len(texts))
		if err == nil || attempt >= e.cfg.MaxRetries || !transient(err) {
			return vecs, err
		}
		t := time.NewTimer(e.cfg.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, e.cfg.classify(opEmbed, ctx, ctx, ctx.Err(), false)
		case <-t.C:
		}
	}
}

// once makes one request and checks the answer's shape.
func (e *Embedder) once(parent context.Context, req goopenai.EmbeddingRequest, n int) ([][]float32, error) {
	ctx, cancel := context.WithTimeoutCause(parent, e.cfg.EmbedTimeout, errEmbedSlow)
	defer cancel()
	res, err := e.client.CreateEmbeddings(ctx, req)
	if err != nil {
		return nil, e.cfg.classify(opEmbed, parent, ctx, err, false)
	}
	if len(res.Data) != n {
		return nil, fmt.Errorf("%s: %w: got %d embeddings for %d inputs", opEmbed, rag.ErrUpstream, len(res.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, fmt.Errorf("%s: %w: bad or repeated embedding index %d", opEmbed, rag.ErrUpstream, d.Index)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("%s: %w: empty embedding at index %d", opEmbed, rag.ErrUpstream, d.Index)
		}
		out[d.Index] = d.Embedding
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	want := e.dims
	if want == 0 {
		want = len(out[0])
	}
	for i, v := range out {
		if len(v) != want {
			return nil, fmt.Errorf("%s: %w: embedding %d has %d dimensions, want %d", opEmbed, rag.ErrUpstream, i, len(v), want)
		}
	}
	e.dims = want
	return out, nil
}
