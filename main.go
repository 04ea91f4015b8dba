//go:build !js

// Command ragchat is a retrieval-augmented chat server and its browser app.
// The same package builds twice: for the server (this file, serve.go and
// the subcommands) and, with GOOS=js GOARCH=wasm, for the browser
// (main_js.go), where it runs the go-app UI.
//
// Subcommands: serve (default), ingest, migrate, reindex, openapi, eval.
// Run `ragchat serve --help` for the configuration: every flag has a
// RAGCHAT_* environment twin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ragchat:", err)
		os.Exit(1)
	}
}

const usage = `ragchat — retrieval-augmented chat server

Usage:
  ragchat [serve] [flags]        serve the API and the app (default)
  ragchat ingest [flags] PATH... add Markdown, text, HTML and PDF files or folders
  ragchat migrate [flags] up|down|version
  ragchat reindex [flags]        rebuild the search index from the documents
  ragchat users [flags] add EMAIL [admin|member] | list | disable EMAIL | enable EMAIL | reset-password EMAIL
                                 accounts (password from $RAGCHAT_PASSWORD, else made and printed once)
  ragchat keys [flags] create EMAIL [SCOPE...] | list [EMAIL] | revoke ID
                                 API keys (scopes chat, documents:write, admin; the key is printed once)
  ragchat openapi [--format yaml|json] [--version 3.1|3.0]
  ragchat eval [flags]           measure retrieval quality (see ragchat eval --help)

Run "ragchat COMMAND --help" for a command's flags; each flag has a RAGCHAT_* environment twin.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and output, so tests can call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "ingest":
		return ingestCmd(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, getenv, stdout, stderr)
	case "reindex":
		return reindexCmd(ctx, args, getenv, stdout, stderr)
	case "users":
		return usersCmd(ctx, args, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, args, getenv, stdout, stderr)
	case "openapi":
		return openapiCmd(args, stdout, stderr)
	case "eval":
		return evalCmd(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
