//go:build !js

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ragchat/api"
	"ragchat/eval"
	"ragchat/extract"
	"ragchat/rag"
	"ragchat/rag/offline"
)

// openCommand parses a data command's flags and opens the data directory
// for writing (locked, with crash recovery). It returns the positional
// arguments.
func openCommand(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) (*dataSession, []string, error) {
	var cfg config
	fset, env := cfg.flagSet(name, stderr)
	if err := parseFlags(fset, env, args, getenv); err != nil {
		return nil, nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return nil, nil, err
	}
	data, err := openForWriting(ctx, &cfg, "ragchat "+name, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, fset.Args(), nil
}

// ingestCmd adds files and folders (walked for the types package extract
// reads). Each file is one document, added whole or not at all; a failed
// file is named and the others go on. With the embedded index the data
// directory is locked, so that a running server's index is never written
// behind its back.
func ingestCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	data, paths, err := openCommand(ctx, "ingest", args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		data.Close()
		return errors.New("ingest: name at least one file or folder")
	}
	ingestErr := ingestPaths(ctx, data.ingester, data.extractor, paths, stdout, stderr)
	if err := data.Close(); err != nil {
		return errors.Join(ingestErr, fmt.Errorf("ingest: close: %w", err))
	}
	return ingestErr
}

// ingestPaths ingests every supported file under paths, reporting progress
// on a terminal and a summary on stdout.
func ingestPaths(ctx context.Context, in *rag.Ingester, x *extract.Extractor, paths []string, stdout, stderr io.Writer) error {
	var files, failed []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // .git and the like
				}
				return nil
			}
			// A file named on the command line is always tried (and fails
			// with the supported types if it has another); in folders only
			// supported files are picked.
			if path == p || extract.Extension(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", p, err))
		}
	}
	start := time.Now()
	progress := isTerminal(stderr)
	var created, unchanged, chunks int
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ingest: stopped after %d of %d files: %w", i, len(files), err)
		}
		doc, isNew, err := ingestFile(ctx, in, x, path)
		switch {
		case err != nil:
			failed = append(failed, fmt.Sprintf("%s: %v", path, err))
		case isNew:
			created++
			chunks += doc.ChunkCount
		default:
			unchanged++
		}
		if progress {
			secs := time.Since(start).Seconds()
			fmt.Fprintf(stderr, "\r\x1b[K%d/%d files, %d chunks, %.0f chunks/s, %d failed", i+1, len(files), chunks, float64(chunks)/max(secs, 1e-3), len(failed))
		}
	}
	if progress {
		fmt.Fprintln(stderr)
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "ingested %d files: %d new or changed (%d chunks), %d unchanged, %d failed in %.1fs (%.0f chunks/s)\n",
		len(files), created, chunks, unchanged, len(failed), secs, float64(chunks)/max(secs, 1e-3))
	if len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintln(stderr, "failed:", f)
		}
		return fmt.Errorf("ingest: %d failed: %s", len(failed), strings.Join(failedNames(failed), ", "))
	}
	return nil
}

// failedNames is the path part of each "path: reason".
func failedNames(failed []string) []string {
	out := make([]string, len(failed))
	for i, f := range failed {
		out[i] = f
		if j := strings.Index(f, ": "); j >= 0 {
			out[i] = f[:j]
		}
	}
	return out
}

// ingestFile extracts a file's text and adds it, with the file's absolute
// path as its source (so a changed file replaces its old version).
func ingestFile(ctx context.Context, in *rag.Ingester, x *extract.Extractor, path string) (rag.Document, bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return rag.Document{}, false, err
	}
	if st.Size() > maxIngestBytes {
		return rag.Document{}, false, fmt.Errorf("is larger than %d MiB", maxIngestBytes>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return rag.Document{}, false, err
	}
	res, err := x.File(ctx, path, "", b)
	if err != nil {
		var fe *rag.FieldError
		if errors.As(err, &fe) && fe.Field == "file" {
			err = errors.New(fe.Message) // the path already names the file
		}
		return rag.Document{}, false, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return in.Add(ctx, rag.Document{Title: res.Title, Text: res.Text, Source: "file:" + abs, ContentType: res.ContentType})
}

// maxIngestBytes bounds one file read into memory by the CLI (the API has
// its own, configurable upload limit).
const maxIngestBytes = 256 << 20

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs, env := cfg.flagSet("migrate", stderr)
	if err := parseFlags(fs, env, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("migrate: say up, down or version")
	}
	if cfg.DatabaseURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	db, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch fs.Arg(0) {
	case "up":
		err = db.MigrateUp(ctx)
	case "down":
		err = db.MigrateDown(ctx)
	case "version":
	default:
		return fmt.Errorf("migrate: %q is not up, down or version", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	v, dirty, err := db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema version %d (dirty: %v)\n", v, dirty)
	return nil
}

func reindexCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	data, rest, err := openCommand(ctx, "reindex", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer data.Close()
	if len(rest) > 0 {
		return fmt.Errorf("reindex: unexpected arguments %q", rest)
	}
	start := time.Now()
	if err := reindex(ctx, data.services, false); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	n, err := data.index.Count(ctx)
	if err != nil {
		return fmt.Errorf("reindex: count: %w", err)
	}
	fmt.Fprintf(stdout, "reindexed %d chunks in %.1fs\n", n, time.Since(start).Seconds())
	return nil
}

func openapiCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ragchat openapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "yaml", "yaml or json")
	version := fs.String("version", "3.1", "OpenAPI version: 3.1 or 3.0")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := specBytes(*format, *version)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// specBytes renders the API's OpenAPI document.
func specBytes(format, version string) ([]byte, error) {
	if (format != "yaml" && format != "json") || (version != "3.1" && version != "3.0") {
		return nil, fmt.Errorf("openapi: --format must be yaml or json and --version 3.1 or 3.0")
	}
	return api.SpecDocument(api.Document{Version: version, Format: format})
}

func evalCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return eval.Main(ctx, args, stdout, stderr, func(ctx context.Context, kind, dir string) (rag.Store, func() error, error) {
		if kind != "elastic" {
			return eval.OpenEmbedded(ctx, kind, dir)
		}
		// Elasticsearch settings come from the RAGCHAT_ELASTIC_* variables;
		// the evaluation gets an index of its own.
		var cfg config
		fs, env := cfg.flagSet("eval", stderr)
		if err := parseFlags(fs, env, nil, getenv); err != nil {
			return nil, nil, err
		}
		cfg.ElasticIndex = "ragchat-eval-" + rag.NewID()
		return openElastic(ctx, &cfg, offline.NewHashEmbedder(0).Dimensions(), slog.New(slog.NewTextHandler(stderr, nil)))
	})
}
