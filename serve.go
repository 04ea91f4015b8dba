//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"ragchat/api"
	"ragchat/auth"
	"ragchat/internal/takeback"
	"ragchat/rag"
	"ragchat/redisruns"
)

// serve runs the HTTP server until ctx ends.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs, env := cfg.flagSet("serve", stderr)
	if err := parseFlags(fs, env, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}

	// The data session holds the data directory's lock (with the embedded
	// index, one process writes it at a time) and its crash marker.
	data, err := openForWriting(ctx, &cfg, "ragchat serve", log)
	if err != nil {
		return err
	}
	defer data.Close()
	svc := data.services
	share, closeShare, err := openShare(ctx, &cfg)
	if err != nil {
		return err
	}
	defer closeShare()
	if share != nil {
		svc.ready["runs"] = share.Ping
	}
	if n, err := svc.db.MarkInterrupted(ctx, liveRuns(ctx, share)); err != nil {
		return fmt.Errorf("recover interrupted answers: %w", err)
	} else if n > 0 {
		log.Warn("answers interrupted by the last shutdown were marked as failed", "messages", n)
	}
	if err := svc.ingestSampleIfEmpty(ctx, &cfg, log); err != nil {
		return err
	}

	metrics := api.NewMetrics()
	pipeline := &rag.Pipeline{Store: svc.index, Embedder: svc.embedder, Generator: svc.generator, TopK: cfg.TopK, Budget: cfg.PromptBudget}
	if cfg.Generator == "openai" {
		// With an LLM, follow-ups are rewritten into standalone queries.
		pipeline.Rewriter = rag.LLMRewriter{Generator: svc.generator}
	}
	runner := rag.NewRunner(pipeline, svc.db, rag.RunnerConfig{
		Grace:           cfg.RunGrace,
		Retention:       cfg.RunRetention,
		MaxFinished:     cfg.MaxFinishedRuns,
		MaxMessageChars: cfg.MaxMessageChars,
		Logger:          log,
		OnFinish:        metrics.ObserveRun,
		Share:           runShare(share),
	})
	defer runner.Close()

	var streams sync.WaitGroup
	mux := http.NewServeMux()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Streams take their connections over; finished ones come back here.
	conns := takeback.Wrap(ln)
	accounts, err := auth.New(ctx, svc.db, auth.Config{
		Loopback:    auth.Loopback(ln.Addr().String()),
		TrustProxy:  cfg.TrustProxy,
		SessionIdle: cfg.SessionIdle,
		SessionMax:  cfg.SessionMax,
	})
	if err != nil {
		ln.Close()
		return err
	}
	api.New(mux, api.Deps{
		Runs:          runner,
		Conversations: svc.db,
		Documents:     documentService{Ingester: svc.ingester, db: svc.db},
		Search:        searcher{embedder: svc.embedder, index: svc.index},
		Accounts:      accounts,
		Ready:         svc.ready,
		Metrics:       metrics,
		Logger:        log,
		Streams:       &streams,
		Conns:         conns,
		Extract:       svc.extractor,
	}, api.Config{
		Heartbeat:       cfg.Heartbeat,
		MaxMessageChars: cfg.MaxMessageChars,
		MaxUploadBytes:  cfg.MaxUploadBytes,
		LogQuestions:    cfg.LogQuestions,

		UploadReadTimeout:      cfg.UploadReadTimeout,
		MaxConcurrentUploads:   cfg.MaxConcurrentUploads,
		AdminReadConversations: cfg.AdminReadConversations,
	})
	mux.Handle("GET /metrics", metrics.Handler())
	mux.Handle("/", appHandler(cfg.MaxMessageChars))

	srv := &http.Server{
		Handler:           api.LogRequests(log, api.SecureHeaders(api.AcceptCurlJSON(accounts.Middleware(mux)))),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: it would cut long answer streams. Each stream
		// ends with its run, its client or the shutdown below.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "ragchat listening on http://%s (generator %s, embedder %s, search %s)\n", ln.Addr(), cfg.Generator, cfg.Embedder, cfg.Search)
	log.Info("listening", "addr", ln.Addr().String())
	if err := printSetup(ctx, accounts, ln.Addr().String(), stdout); err != nil {
		ln.Close()
		return err
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(conns) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Ending the runs first ends their streams (with an error event), so
	// Shutdown does not wait for them.
	runner.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Shutdown stops accepting and waits for the requests it tracks; a
	// stream that took its connection over has counted itself in streams
	// before leaving net/http's tracking, so after Shutdown none is added
	// and waiting for them is safe.
	err = srv.Shutdown(shutdownCtx)
	streamsDone := make(chan struct{})
	go func() { streams.Wait(); close(streamsDone) }()
	select {
	case <-streamsDone:
	case <-shutdownCtx.Done():
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// printSetup prints the one-time link that makes the first admin, while no
// user exists, and says whether the server is open.
func printSetup(ctx context.Context, accounts *auth.Service, addr string, stdout io.Writer) error {
	open, err := accounts.Open(ctx)
	if err != nil {
		return err
	}
	token, err := accounts.SetupToken(ctx)
	if err != nil || token == "" {
		if err == nil && !open {
			fmt.Fprintln(stdout, "sign-in required: every /api/v1 route needs a session or an API key")
		}
		return err
	}
	if open {
		fmt.Fprintln(stdout, "open mode: listening on loopback with no user, so no sign-in is needed")
	} else {
		fmt.Fprintln(stdout, "sign-in required, and no user exists yet")
	}
	fmt.Fprintf(stdout, "make the first admin (valid once, until restart): http://%s/setup#%s\n", addr, token)
	return nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// openShare connects to the Redis where instances share their runs, when
// --redis-url is set; otherwise it returns nil and runs stay in-process.
func openShare(ctx context.Context, cfg *config) (*redisruns.Share, func() error, error) {
	if cfg.RedisURL == "" {
		return nil, func() error { return nil }, nil
	}
	s, err := redisruns.New(ctx, cfg.RedisURL, redisruns.Options{Retention: cfg.RunRetention})
	if err != nil {
		return nil, nil, fmt.Errorf("--redis-url: %w", err)
	}
	return s, s.Close, nil
}

// runShare avoids handing the runner a typed nil.
func runShare(s *redisruns.Share) rag.RunShare {
	if s == nil {
		return nil
	}
	return s
}

// liveRuns tells MarkInterrupted which streaming answers are still being
// written by other instances: those whose shared log has not ended and
// whose owner's heartbeat is current. With
// no share (one instance), none are. A run the share cannot be asked about
// counts as live: marking it failed could not be undone.
func liveRuns(ctx context.Context, share *redisruns.Share) func(runID string) bool {
	if share == nil {
		return nil
	}
	return func(runID string) bool {
		var last rag.Event
		for {
			events, found, err := share.Read(ctx, runID, last.Seq, 0)
			switch {
			case err != nil:
				return true
			case !found:
				return false
			case len(events) == 0:
				if last.Seq == 0 || last.Final() {
					return false
				}
				alive, err := share.Alive(ctx, runID)
				return alive || err != nil
			}
			last = events[len(events)-1]
		}
	}
}
