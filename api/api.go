// Package api defines ragchat's HTTP API v1 with Huma: one file per
// resource, each registering its operations; the OpenAPI document (3.1 and
// 3.0) is generated from these definitions. errors.go holds the single
// mapping from domain errors to HTTP problems.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/swaggest/swgui/v5emb"

	"ragchat/extract"
	"ragchat/rag"
)

// Runs starts and finds answer runs (rag.Runner).
type Runs interface {
	Start(ctx context.Context, a rag.Ask) (*rag.Run, error)
	Get(ctx context.Context, id string) (*rag.Run, error)
}

// Conversations reads and deletes stored conversations.
type Conversations interface {
	// ListConversations lists owner's conversations (every owner's for rag.AnyOwner).
	ListConversations(ctx context.Context, owner, cursor string, limit int) ([]rag.Conversation, string, error)
	Conversation(ctx context.Context, id string) (rag.Conversation, []rag.Message, error)
	ConversationOwner(ctx context.Context, id string) (string, error)
	DeleteConversation(ctx context.Context, id string) error
}

// Documents adds, lists and deletes documents (rag.Ingester over the SQL store).
type Documents interface {
	Add(ctx context.Context, doc rag.Document) (rag.Document, bool, error) // bool: created (false: the same text was already there)
	Document(ctx context.Context, id string) (rag.Document, error)
	ListDocuments(ctx context.Context, cursor string, limit int) ([]rag.Document, string, error)
	Delete(ctx context.Context, id string) error
}

// Searcher runs retrieval alone.
type Searcher interface {
	Search(ctx context.Context, query string, k int, mode rag.SearchMode) ([]rag.Passage, error)
}

// Deps are the services the API calls. Any may be nil when only the
// OpenAPI document is wanted.
type Deps struct {
	Runs          Runs
	Conversations Conversations
	Documents     Documents
	Search        Searcher
	// Accounts signs people in and manages users and keys; nil serves
	// every route without credentials (open mode).
	Accounts Accounts
	// Ready lists named readiness checks for /readyz (database, search store, ...).
	Ready   map[string]func(context.Context) error
	Metrics *Metrics
	Logger  *slog.Logger
	// Streams, when set, counts open event streams, so that a shutdown can
	// wait for them to deliver their last event (streams that took their
	// connection over are not tracked by http.Server.Shutdown).
	Streams *sync.WaitGroup
	// Conns, when set, takes back the connections of finished streams
	// (which take their connections over from net/http), so that clients
	// can reuse them; without it they close.
	Conns Conns
	// Extract reads uploaded files; nil: extract.New with default limits.
	Extract Extractor
}

// Extractor turns an uploaded file into text (extract.Extractor).
type Extractor interface {
	File(ctx context.Context, name, declared string, data []byte) (extract.Result, error)
}

// Config sets the API's limits and defaults.
type Config struct {
	Version         string        // the API document version; default APIVersion
	Heartbeat       time.Duration // SSE comment interval; default 15s
	RetryMS         int           // EventSource reconnect delay; default 1000
	MaxMessageChars int           // documented limit of a question; default 4000
	MaxBodyBytes    int64         // JSON request bodies; default 1 MiB
	MaxUploadBytes  int64         // document uploads; default 20 MiB
	LogQuestions    bool          // log question text (off by default: it is user data)
	// UploadReadTimeout bounds reading an upload's body; default 60s.
	UploadReadTimeout time.Duration
	// MaxConcurrentUploads is how many uploads are read and ingested at
	// once; more get 503 with Retry-After. Default 4.
	MaxConcurrentUploads int
	// AdminReadConversations lets admins read other users' conversations
	// and follow their runs (they may always delete and stop them).
	AdminReadConversations bool
}

func (c *Config) setDefaults() {
	if c.Version == "" {
		c.Version = APIVersion
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.RetryMS <= 0 {
		c.RetryMS = 1000
	}
	if c.MaxMessageChars <= 0 {
		c.MaxMessageChars = 4000
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 20 << 20
	}
	if c.UploadReadTimeout <= 0 {
		c.UploadReadTimeout = 60 * time.Second
	}
	if c.MaxConcurrentUploads <= 0 {
		c.MaxConcurrentUploads = 4
	}
}

type server struct {
	deps    Deps
	cfg     Config
	log     *slog.Logger
	uploads chan struct{} // one token per upload in progress
}

// New registers the API, its OpenAPI documents (/openapi.json, .yaml and
// the 3.0 variants) and the offline Swagger UI (/docs) on mux.
func New(mux *http.ServeMux, deps Deps, cfg Config) huma.API {
	cfg.setDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics()
	}
	hc := huma.DefaultConfig("ragchat API", cfg.Version)
	hc.Info.Description = "Retrieval-augmented chat: ask a question, get a streamed answer (Server-Sent Events) that cites the passages it was built from. " +
		"Errors are RFC 9457 problem+json before a stream starts and an `error` event after."
	hc.DocsPath = ""    // the built-in docs page loads from a CDN; /docs is served from embedded assets instead
	hc.OpenAPIPath = "" // served by serveDocuments, with a valid 3.0 variant
	hc.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	hc.CreateHooks = nil
	humaAPI := humago.New(mux, hc)

	if deps.Extract == nil {
		deps.Extract = extract.New(extract.Limits{})
	}
	limitProblems()
	s := &server{deps: deps, cfg: cfg, log: deps.Logger, uploads: make(chan struct{}, cfg.MaxConcurrentUploads)}
	s.registerChat(humaAPI)
	s.registerRuns(humaAPI)
	s.registerConversations(humaAPI)
	s.registerDocuments(humaAPI)
	s.registerSearch(humaAPI)
	s.registerHealth(humaAPI)
	s.registerAuth(humaAPI)
	s.registerKeys(humaAPI)
	s.registerUsers(humaAPI)
	securitySchemes(humaAPI.OpenAPI())
	polish(humaAPI.OpenAPI())
	serveDocuments(mux, &documents{spec: humaAPI.OpenAPI()}, deps.Logger)

	// A GET pattern also answers HEAD; for a stream that would start a run
	// (an LLM call) whose answer nobody can read.
	for path, allow := range map[string]string{"/api/v1/chat/stream": "GET, POST", "/api/v1/chat/runs/{run_id}/events": "GET"} {
		mux.HandleFunc("HEAD "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			w.WriteHeader(http.StatusMethodNotAllowed)
		})
	}
	mux.Handle("GET /docs/", withDocsCSP(v5emb.New("ragchat API", "/openapi.json", "/docs/")))
	mux.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	return humaAPI
}

// Spec returns the OpenAPI document of the API without serving it.
func Spec() *huma.OpenAPI {
	return New(http.NewServeMux(), Deps{}, Config{}).OpenAPI()
}

// APIVersion is the version of the API document (info.version).
const APIVersion = "1.0.0"
