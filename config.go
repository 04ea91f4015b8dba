//go:build !js

package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"ragchat/extract"
	"ragchat/rag"
)

// config is the server's configuration: flags, each with a RAGCHAT_*
// environment twin (a flag given on the command line wins).
type config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	LogLevel        string
	LogQuestions    bool
	SampleCorpus    bool
	MaxMessageChars int
	MaxUploadBytes  int64

	MaxPDFPages          int
	MaxDocumentChars     int
	MaxDocumentChunks    int
	ExtractTimeout       time.Duration
	UploadReadTimeout    time.Duration
	MaxConcurrentUploads int

	RunGrace        time.Duration
	RunRetention    time.Duration
	MaxFinishedRuns int
	TopK            int
	PromptBudget    int
	Heartbeat       time.Duration

	Generator       string
	Embedder        string
	OpenAIBaseURL   string
	OpenAIAPIKey    string
	ChatModel       string
	EmbeddingModel  string
	LLMIdleTimeout  time.Duration
	LLMFirstToken   time.Duration
	ExtractiveDelay time.Duration

	Search             string
	ElasticURLs        string
	ElasticAPIKey      string
	ElasticUsername    string
	ElasticPassword    string
	ElasticCACert      string
	ElasticFingerprint string
	ElasticIndex       string

	RedisURL string

	TrustProxy             bool
	AdminReadConversations bool
	SessionIdle            time.Duration
	SessionMax             time.Duration
}

// flagSet returns the flag set of a command with every configuration flag
// registered. env maps each flag to its environment variable.
func (c *config) flagSet(name string, stderr io.Writer) (*flag.FlagSet, map[string]string) {
	fs := flag.NewFlagSet("ragchat "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := map[string]string{}
	str := func(p *string, flagName, def, help string) {
		fs.StringVar(p, flagName, def, help)
		env[flagName] = envName(flagName)
	}
	dur := func(p *time.Duration, flagName string, def time.Duration, help string) {
		fs.DurationVar(p, flagName, def, help)
		env[flagName] = envName(flagName)
	}
	integer := func(p *int, flagName string, def int, help string) {
		fs.IntVar(p, flagName, def, help)
		env[flagName] = envName(flagName)
	}
	boolean := func(p *bool, flagName string, def bool, help string) {
		fs.BoolVar(p, flagName, def, help)
		env[flagName] = envName(flagName)
	}
	str(&c.Addr, "addr", "localhost:8080", "address to listen on")
	str(&c.DataDir, "data-dir", "./data", "directory for the SQLite database and the embedded search index")
	str(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://...); empty: SQLite file ragchat.db in the data directory")
	str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	boolean(&c.LogQuestions, "log-questions", false, "log question text (off by default: questions are user data)")
	boolean(&c.SampleCorpus, "sample-corpus", true, "ingest the bundled sample documents when there are no documents yet")
	integer(&c.MaxMessageChars, "max-message-chars", 4000, "longest question, in characters")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", 20<<20, "largest document upload, in bytes")
	env["max-upload-bytes"] = envName("max-upload-bytes")
	integer(&c.MaxPDFPages, "max-pdf-pages", extract.DefaultMaxPages, "most pages read from one PDF; a longer one is refused (413)")
	integer(&c.MaxDocumentChars, "max-document-chars", rag.DefaultMaxChars, "most characters of text in one document (upload or JSON); more is refused (413)")
	integer(&c.MaxDocumentChunks, "max-document-chunks", rag.DefaultMaxChunks, "most chunks one document may make; more is refused (413)")
	dur(&c.ExtractTimeout, "extract-timeout", extract.DefaultTimeout, "time budget for reading one uploaded file's text; past it the work stops and the upload is refused (422)")
	dur(&c.UploadReadTimeout, "upload-read-timeout", 60*time.Second, "an upload body not received within this time is refused (408)")
	integer(&c.MaxConcurrentUploads, "max-concurrent-uploads", 4, "uploads read and ingested at once; more get 503 with Retry-After")
	dur(&c.RunGrace, "run-grace", 60*time.Second, "a run nobody listens to for this long is cancelled")
	dur(&c.RunRetention, "run-retention", 10*time.Minute, "how long finished runs can be resumed")
	integer(&c.MaxFinishedRuns, "max-finished-runs", 1000, "at most this many finished runs are kept for resume")
	integer(&c.TopK, "top-k", 5, "passages retrieved per question")
	integer(&c.PromptBudget, "prompt-budget", 3000, "prompt size limit in tokens (sources and history are trimmed to fit)")
	dur(&c.Heartbeat, "heartbeat", 15*time.Second, "SSE heartbeat interval")

	str(&c.Generator, "generator", "extractive", "answer generator: extractive (offline, not an LLM) or openai (any OpenAI-compatible server)")
	str(&c.Embedder, "embedder", "hash", "embedder: hash (offline) or openai")
	str(&c.OpenAIBaseURL, "openai-base-url", "https://api.openai.com/v1", "OpenAI-compatible base URL, including /v1 (Ollama: http://localhost:11434/v1)")
	str(&c.OpenAIAPIKey, "openai-api-key", "", "API key for the OpenAI-compatible server (empty: no Authorization header)")
	str(&c.ChatModel, "chat-model", "gpt-4o-mini", "chat model for --generator openai")
	str(&c.EmbeddingModel, "embedding-model", "text-embedding-3-small", "embedding model for --embedder openai")
	dur(&c.LLMIdleTimeout, "llm-idle-timeout", 30*time.Second, "give up when the LLM stream is silent this long")
	dur(&c.LLMFirstToken, "llm-first-token-timeout", 60*time.Second, "give up when the LLM's first token takes this long")
	dur(&c.ExtractiveDelay, "extractive-delay", 20*time.Millisecond, "pause between the extractive answerer's tokens, so its answers stream visibly")

	str(&c.Search, "search", "embedded", "retrieval store: embedded (in-process, in the data directory) or elastic")
	str(&c.ElasticURLs, "elastic-urls", "http://localhost:9200", "comma-separated Elasticsearch node URLs")
	str(&c.ElasticAPIKey, "elastic-api-key", "", "Elasticsearch API key")
	str(&c.ElasticUsername, "elastic-username", "", "Elasticsearch user")
	str(&c.ElasticPassword, "elastic-password", "", "Elasticsearch password")
	str(&c.ElasticCACert, "elastic-ca-cert", "", "path of a PEM CA certificate for Elasticsearch")
	str(&c.ElasticFingerprint, "elastic-fingerprint", "", "SHA-256 fingerprint of the Elasticsearch certificate")
	str(&c.ElasticIndex, "elastic-index", "ragchat-chunks", "Elasticsearch index alias")

	str(&c.RedisURL, "redis-url", "", "Redis (redis://host:port/db) where instances share their runs' events, so that any instance can resume or stop any run (empty: runs stay in this process)")

	boolean(&c.TrustProxy, "trust-proxy", false, "a reverse proxy in front: trust its X-Forwarded-Proto (Secure cookies behind https) and X-Forwarded-For (client address)")
	boolean(&c.AdminReadConversations, "admin-read-conversations", false, "let admins read other users' conversations and follow their runs (they may always delete and stop them)")
	dur(&c.SessionIdle, "session-idle", 7*24*time.Hour, "a browser session unused this long ends")
	dur(&c.SessionMax, "session-max", 30*24*time.Hour, "a browser session ends this long after sign-in")

	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage of ragchat %s (every flag has an environment twin, shown in brackets):\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(stderr, "  --%s [%s]\n    \t%s%s\n", f.Name, env[f.Name], f.Usage, def)
		})
	}
	return fs, env
}

// parse parses args, then fills each flag not given on the command line
// from its environment variable.
func parseFlags(fs *flag.FlagSet, env map[string]string, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, variable := range env {
		if given[name] {
			continue
		}
		if v := getenv(variable); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", variable, v, err)
			}
		}
	}
	return nil
}

func envName(flagName string) string {
	return "RAGCHAT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// databaseURL is the configured database, defaulting to SQLite in the data directory.
func (c *config) databaseURL() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "ragchat.db")
}

// extractLimits are the limits of reading uploaded and ingested files.
func (c *config) extractLimits() extract.Limits {
	return extract.Limits{MaxPages: c.MaxPDFPages, MaxChars: c.MaxDocumentChars, Timeout: c.ExtractTimeout}
}

func (c *config) validate() error {
	switch c.Generator {
	case "extractive", "openai":
	default:
		return fmt.Errorf("--generator: %q is not extractive or openai", c.Generator)
	}
	switch c.Embedder {
	case "hash", "openai":
	default:
		return fmt.Errorf("--embedder: %q is not hash or openai", c.Embedder)
	}
	switch c.Search {
	case "embedded", "elastic":
	default:
		return fmt.Errorf("--search: %q is not embedded or elastic", c.Search)
	}
	if c.MaxMessageChars <= 0 {
		return fmt.Errorf("--max-message-chars must be positive")
	}
	// Zero takes the built-in default; a negative limit is a mistake.
	for name, v := range map[string]int64{
		"max-pdf-pages": int64(c.MaxPDFPages), "max-document-chars": int64(c.MaxDocumentChars),
		"max-document-chunks": int64(c.MaxDocumentChunks), "max-concurrent-uploads": int64(c.MaxConcurrentUploads),
		"extract-timeout": int64(c.ExtractTimeout), "upload-read-timeout": int64(c.UploadReadTimeout),
	} {
		if v < 0 {
			return fmt.Errorf("--%s must not be negative", name)
		}
	}
	return nil
}
