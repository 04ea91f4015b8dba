// Command es-standin serves the Elasticsearch stand-in of
// search/elastic/estest on a port, so that RAGCHAT_SEARCH=elastic can be
// tried without a real node:
//
//	go run ./internal/cmd/es-standin -addr localhost:9200 &
//	RAGCHAT_SEARCH=elastic make run
//
// It keeps everything in memory: restarting it empties the index (the
// documents stay in the SQL store; `ragchat reindex` rebuilds it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"ragchat/search/elastic/estest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "es-standin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("es-standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:9200", "address to listen on")
	var opts estest.Options
	fs.BoolVar(&opts.Nori, "nori", false, "offer the nori analyzer, as if analysis-nori were installed")
	fs.StringVar(&opts.APIKey, "api-key", "", "require this API key (base64 id:key)")
	fs.StringVar(&opts.Username, "username", "", "require this basic-auth username")
	fs.StringVar(&opts.Password, "password", "", "with -username, require this password")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	standIn := estest.New(opts)
	var h http.Handler = standIn
	if *verbose {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.Info("request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery)
			standIn.ServeHTTP(w, r)
		})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("Elasticsearch stand-in listening (in memory, for trying ragchat; not a database)", "url", "http://"+ln.Addr().String(), "version", estest.Version, "nori", opts.Nori)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
