// Package fakellm is a fake OpenAI-compatible server for tests. It speaks
// the real wire format of POST /v1/chat/completions (streaming
// chat.completion.chunk events ending in data: [DONE], or one JSON
// completion) and POST /v1/embeddings, so tests exercise the same client
// code as production. A Script makes it slow, fail, cut or hang on purpose,
// and the server records what it was asked and whether clients went away.
package fakellm

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Break is how a scripted chat stream stops early.
type Break int

const (
	// BreakNone streams every token, a finish_reason chunk, the usage chunk
	// (when asked for) and data: [DONE].
	BreakNone Break = iota
	// BreakError sends a data: {"error":{...}} line mid-stream and ends.
	BreakError
	// BreakTruncate ends the response with no finish_reason and no [DONE],
	// like a proxy or server that died mid-answer.
	BreakTruncate
	// BreakHang stops sending and waits until the client goes away (or the
	// server closes); an upstream that never answers.
	BreakHang
	// BreakCut drops the connection between two events, without ending
	// the chunked body: the connection to the model was lost.
	BreakCut
	// BreakCutMidChunk writes the first half of an event line and drops
	// the connection.
	BreakCutMidChunk
	// BreakBadJSON sends a data: line that is not JSON and ends.
	BreakBadJSON
)

// Script is how the server answers one chat request. The zero Script
// streams a deterministic answer built from the prompt at full speed.
type Script struct {
	// Tokens are the content deltas. Nil means the default answer: the
	// first sentence of source [1] in the last user message, followed by
	// " [1]" (or a no-answer sentence when the prompt has no [1]).
	Tokens []string
	// FinishReason of the final chunk; "" means "stop".
	FinishReason string
	// HeaderDelay waits before the response headers are written.
	HeaderDelay time.Duration
	// FirstTokenDelay waits after the role chunk, before the first token.
	FirstTokenDelay time.Duration
	// TokenDelay waits before every later token.
	TokenDelay time.Duration
	// FailStatus, when non-zero, answers with this HTTP status and an
	// OpenAI-style error body instead of a stream.
	FailStatus int
	// FailMessage is the error message of FailStatus or BreakError.
	// "" means a generic message.
	FailMessage string
	// FailHTML answers FailStatus with an HTML page (a proxy's), not
	// OpenAI's JSON error body.
	FailHTML bool
	// CutBeforeHeaders drops the connection before any byte of the
	// response.
	CutBeforeHeaders bool
	// Break and BreakAfter stop the stream early after BreakAfter content
	// tokens (0 = right after the role chunk).
	Break      Break
	BreakAfter int
	// End is how a stream that was not broken ends after its finish_reason
	// (and usage) chunk: BreakNone sends data: [DONE], the others close,
	// fail or hang instead.
	End Break
}

// EmbedScript is how the server answers embedding requests.
type EmbedScript struct {
	// FailStatus, when non-zero, answers with this HTTP status and an
	// OpenAI-style error body.
	FailStatus  int
	FailMessage string
	// Reverse returns the data items in reverse order (clients must
	// order them by index).
	Reverse bool
	// Drop leaves out the last Drop items (a broken server).
	Drop int
	// Ragged makes the last vector one element shorter (a broken server).
	Ragged bool
	// Hang waits until the client goes away.
	Hang bool
}

// Options configure a Server.
type Options struct {
	// Model is reported in responses when the request names none.
	// "" means "fake-model".
	Model string
	// Dimensions of embedding vectors; 0 means 16.
	Dimensions int
	// Script is the initial chat script (see SetScript).
	Script Script
	// CutRate is the share of streamed answers (0 to 1) whose connection
	// is dropped halfway through their tokens (BreakCut), like a flaky
	// network between ragchat and its model. The cut requests are spread
	// evenly and deterministically: at 0.2, the 5th, 10th, 15th, ...
	// Scripts that already break are left as they are.
	CutRate float64
}

// Message is one chat message of a recorded request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a decoded chat completion request as the server received it.
type ChatRequest struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	Stream        bool      `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options,omitempty"`
	Temperature *float32 `json:"temperature,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
	// Header is the request's HTTP header (Authorization included, so a
	// test can check the key was sent).
	Header http.Header `json:"-"`
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	ts      *httptest.Server
	cutRate float64
	streams int // streamed chat requests so far, for CutRate
	model   string
	dims    int
	closing chan struct{}
	seq     atomic.Int64 // completion ids, per server so output is reproducible

	mu          sync.Mutex
	script      Script
	queue       []Script
	embedScript EmbedScript
	requests    []ChatRequest
	embedCalls  int
	embedInputs []string
	gone        int
	active      int
	ended       chan struct{}
	endedOnce   sync.Once
	closeOnce   sync.Once
}

// New starts a fake server on a local port. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		model:   opts.Model,
		cutRate: min(max(opts.CutRate, 0), 1),
		dims:    opts.Dimensions,
		script:  opts.Script,
		closing: make(chan struct{}),
		ended:   make(chan struct{}),
	}
	if s.model == "" {
		s.model = "fake-model"
	}
	if s.dims <= 0 {
		s.dims = 16
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.ts = httptest.NewServer(mux)
	return s
}

// URL is the base URL clients configure, including /v1.
func (s *Server) URL() string { return s.ts.URL + "/v1" }

// Close ends hanging or delayed handlers and stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// SetScript sets how later chat requests are answered (after any queued scripts).
func (s *Server) SetScript(sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = sc
}

// QueueScripts makes the next chat requests use these scripts, one each,
// before falling back to the SetScript one; e.g. a failure, then success.
func (s *Server) QueueScripts(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, scripts...)
}

// SetEmbedScript sets how later embedding requests are answered.
func (s *Server) SetEmbedScript(sc EmbedScript) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedScript = sc
}

// Calls is how many chat completion requests arrived.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Requests returns the decoded chat requests, oldest first.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.requests...)
}

// EmbedCalls is how many embedding requests arrived.
func (s *Server) EmbedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.embedCalls
}

// EmbedInputs returns every embedded input, in arrival order.
func (s *Server) EmbedInputs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.embedInputs...)
}

// Gone is how many chat requests ended because the client went away
// (its request context ended) before the response was complete.
func (s *Server) Gone() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}

// Ended is closed the first time a chat request ends because its client
// went away before the response was complete. Tests wait on it (with a
// generous deadline) to prove cancellation reached the upstream.
func (s *Server) Ended() <-chan struct{} { return s.ended }

// Active is how many chat requests are being answered right now.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// next records a chat request and picks its script.
func (s *Server) next(req ChatRequest) Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	s.active++
	if len(s.queue) > 0 {
		sc := s.queue[0]
		s.queue = s.queue[1:]
		return sc
	}
	return s.script
}

// cutThis reports whether the next streamed answer is one CutRate cuts.
func (s *Server) cutThis() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams++
	n := float64(s.streams)
	return s.cutRate > 0 && math.Floor(n*s.cutRate+1e-9) > math.Floor((n-1)*s.cutRate+1e-9)
}

// finish records the end of a chat request.
func (s *Server) finish(clientGone bool) {
	s.mu.Lock()
	s.active--
	if clientGone {
		s.gone++
	}
	s.mu.Unlock()
	if clientGone {
		s.endedOnce.Do(func() { close(s.ended) })
	}
}
