// Package elastic is the rag.Store on Elasticsearch 8, for deployments that
// outgrow one machine. Chunks live in an index behind an alias
// (<name> → <name>-vN) so that Reindex can rebuild and swap without
// downtime. Search sends a kNN and a BM25 query in one _msearch round trip
// and fuses them by reciprocal rank in Go (search/fusion), because
// Elasticsearch's own RRF needs a paid licence.
//
// Elasticsearch holds no data of its own: everything in it can be rebuilt
// from the SQL store with Reindex.
package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"ragchat/rag"
	"ragchat/wordvec"
)

// DefaultIndex is the alias name used when Config.Index is empty.
const DefaultIndex = "ragchat-chunks"

// Hybrid fusion methods (the same names as search/embedded's).
const (
	FusionRRF    = "rrf"
	FusionScores = "scores"
)

// DefaultWindow is how many hits each list contributes to hybrid fusion.
const DefaultWindow = 50

// Field names of the chunk documents.
const (
	fieldChunkID    = "chunk_id"
	fieldDocumentID = "document_id"
	fieldPosition   = "position"
	fieldTitle      = "title"
	fieldURL        = "url"
	fieldHeading    = "heading"
	fieldText       = "text"
	fieldTextKorean = "text.ko" // the Korean sub-field of text
	fieldVector     = "vector"
)

// Config says where the cluster is and how the index looks.
type Config struct {
	Addresses []string // node URLs; empty means http://localhost:9200

	// Credentials: an API key (base64 "id:key" as Elasticsearch prints it)
	// or a username and password.
	APIKey             string
	Username, Password string

	// TLS: a PEM CA certificate, or the SHA-256 fingerprint of the node's
	// certificate that Elasticsearch prints on first start.
	CACert                 []byte
	CertificateFingerprint string

	Index string // alias name; DefaultIndex when empty
	Dims  int    // the embedder's vector dimension (required)

	// KoreanAnalyzer names the analyzer of the Korean sub-field of new
	// indices. Empty means "nori" when the analysis-nori plugin answers,
	// else Elasticsearch's built-in "cjk" (bigrams).
	KoreanAnalyzer string

	// Fusion selects how hybrid search merges the kNN and BM25 lists:
	// FusionRRF (the default, reciprocal rank) or FusionScores (scores
	// scaled by each list's best, as search/embedded does by default).
	Fusion string
	// VectorWeight weighs the kNN list against BM25 (weight 1) in hybrid
	// search; 0 means 1. Pass the embedded store's value to rank alike.
	VectorWeight float64
	// Window is how many hits each list contributes to hybrid fusion
	// (at least the query's K); 0 means DefaultWindow.
	Window int
	// WordWeight, when > 0, reorders hybrid results by word matching with
	// English word vectors (package softmatch) at this weight, over the
	// best softmatch.DefaultDepth, as search/embedded does by default with
	// score fusion. Word weights come from the candidates
	// (softmatch.CandidateIDF): the index's own document frequencies would
	// cost another request per query.
	WordWeight float64

	// Timeout bounds each request to Elasticsearch; 0 means 30s, negative
	// means no bound beyond the caller's context.
	Timeout time.Duration
	// MaxRetries is how often a request is retried after a connection
	// error or a 502/503/504 answer; 0 means 3, negative means never.
	MaxRetries int

	// Transport replaces the HTTP transport (tests). CACert applies only
	// to the default transport.
	Transport http.RoundTripper
}

// Store is the Elasticsearch rag.Store. It is safe for concurrent use.
type Store struct {
	es       *client
	alias    string
	dims     int
	analyzer atomic.Pointer[string] // analyzer of text.ko in the live index (Reindex may change it)
	override string                 // Config.KoreanAnalyzer
	fusion   string
	vecW     float64
	window   int
	wordW    float64
	words    *wordvec.Table // nil when word matching is off
	timeout  time.Duration
}

var _ rag.Store = (*Store)(nil)

// Open connects to the cluster and creates the alias and its first index
// when they are missing. An existing index whose vector dimension differs
// from cfg.Dims is an error naming both numbers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Dims <= 0 {
		return nil, fmt.Errorf("elastic: open: %w", rag.Invalid("dims", "the vector dimension must be positive, got %d", cfg.Dims))
	}
	if cfg.Dims > 4096 {
		return nil, fmt.Errorf("elastic: open: %w", rag.Invalid("dims", "Elasticsearch indexes vectors of at most 4096 dimensions, got %d", cfg.Dims))
	}
	s := &Store{alias: cfg.Index, dims: cfg.Dims, timeout: cfg.Timeout, override: cfg.KoreanAnalyzer}
	if s.alias == "" {
		s.alias = DefaultIndex
	}
	switch cfg.Fusion {
	case "", FusionRRF:
		s.fusion = FusionRRF
	case FusionScores:
		s.fusion = FusionScores
	default:
		return nil, fmt.Errorf("elastic: open: %w", rag.Invalid("fusion", "unknown fusion %q (want %q or %q)", cfg.Fusion, FusionRRF, FusionScores))
	}
	s.vecW, s.window = cfg.VectorWeight, cfg.Window
	if s.vecW <= 0 {
		s.vecW = 1
	}
	if s.window <= 0 {
		s.window = DefaultWindow
	}
	if cfg.WordWeight > 0 {
		t, err := wordvec.Default()
		if err != nil {
			return nil, fmt.Errorf("elastic: open: %w", err)
		}
		s.wordW, s.words = cfg.WordWeight, t
	}
	if s.timeout == 0 {
		s.timeout = 30 * time.Second
	}
	es, err := newClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("elastic: open: %w", rag.Invalid("elastic-urls", "%v", err))
	}
	s.es = es
	if err := s.ensureIndex(ctx); err != nil {
		return nil, fmt.Errorf("elastic: open %s: %w", s.alias, err)
	}
	return s, nil
}

// Alias returns the alias the store reads and writes through.
func (s *Store) Alias() string { return s.alias }

// KoreanAnalyzer returns the analyzer of the Korean text sub-field of the
// live index ("nori", "cjk" or an override), for the start-up log.
func (s *Store) KoreanAnalyzer() string {
	if a := s.analyzer.Load(); a != nil {
		return *a
	}
	return ""
}

// Ping reports whether the cluster answers and the index is there, for
// /readyz. It asks about the index rather than the cluster root so that an
// API key limited to the index suffices.
func (s *Store) Ping(ctx context.Context) error {
	err := s.call(ctx, func(ctx context.Context) (*http.Response, error) {
		return s.es.Indices.Exists(s.alias).Perform(ctx)
	}, nil)
	if err != nil {
		return fmt.Errorf("elastic: ping: %w", err)
	}
	return nil
}

// call runs one request with the store's timeout, maps a non-2xx answer
// to an *Error and a transport failure to a rag error kind, and decodes a
// 2xx body into out (when out is not nil).
func (s *Store) call(ctx context.Context, perform func(context.Context) (*http.Response, error), out any) error {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	res, err := perform(ctx)
	if err != nil {
		return classify(ctx, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		if res.Request != nil && res.Request.Method == http.MethodHead {
			return &Error{Status: res.StatusCode, Reason: http.StatusText(res.StatusCode)}
		}
		return errorBody(res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		// A cut in the middle of the body, or an answer that is not ours.
		if ctx.Err() != nil || errors.Is(err, io.ErrUnexpectedEOF) {
			return classify(ctx, err)
		}
		return fmt.Errorf("%w: decoding the answer: %v", rag.ErrUpstream, err)
	}
	return nil
}

// notFound reports whether err is Elasticsearch's 404.
func notFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// esType returns the Elasticsearch error type of err, or "".
func esType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

// versionOf returns N of "<alias>-vN", or 0.
func (s *Store) versionOf(index string) int {
	rest, ok := strings.CutPrefix(index, s.alias+"-v")
	if !ok || rest == "" {
		return 0
	}
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' || n > 1e6 {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}
