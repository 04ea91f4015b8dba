//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

const (
	// lockName is the lock file in the data directory (see lockDataDir).
	lockName = "ragchat.lock"
	// dirtyName marks an embedded index that a process is writing to. It
	// is removed after the index was closed cleanly, so finding it means
	// the last writer died mid-way (killed, power loss): the index may then
	// lack chunks of a document the database already committed, and it is
	// rebuilt from the database.
	dirtyName = "index.dirty"
)

// lockedError says that another process holds the data directory.
type lockedError struct{ dir, holder string }

func (e *lockedError) Error() string {
	who := "another ragchat process"
	if e.holder != "" {
		who += " (" + e.holder + ")"
	}
	return fmt.Sprintf("the data directory %s is in use by %s. The embedded search index allows one writer: "+
		"while the server runs, add documents through its API (POST /api/v1/documents, or POST /api/v1/documents/upload for files), "+
		"or stop it first", e.dir, who)
}

// lockDataDir takes the data directory's exclusive lock when the embedded
// search index (a single-process store in the data directory) is used; with
// Elasticsearch (and SQLite, which locks for itself) several processes may
// share the directory, and nothing is locked. serve, ingest and reindex
// take it; it is held until release.
func lockDataDir(cfg *config, holder string) (release func() error, err error) {
	if cfg.Search != "embedded" {
		return func() error { return nil }, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return lockFile(cfg.DataDir, holder)
}

// markIndexDirty is called with the data directory locked, before the
// embedded index is opened for writing. When the last writer did not finish
// cleanly it removes the index, so that rebuildIfEmpty restores it from the
// database; then it marks the index as being written. clean removes the
// mark; call it only after the index was closed without error.
func markIndexDirty(cfg *config, log *slog.Logger) (clean func() error, err error) {
	if cfg.Search != "embedded" {
		return func() error { return nil }, nil
	}
	mark := filepath.Join(cfg.DataDir, dirtyName)
	if _, err := os.Stat(mark); err == nil {
		log.Warn("the last writer of the search index stopped mid-way; rebuilding the index from the documents")
		if err := os.RemoveAll(filepath.Join(cfg.DataDir, "index")); err != nil {
			return nil, fmt.Errorf("remove the unfinished search index: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.Create(mark)
	if err != nil {
		return nil, fmt.Errorf("mark the search index: %w", err)
	}
	err = errors.Join(f.Sync(), f.Close(), syncDir(cfg.DataDir))
	if err != nil {
		return nil, fmt.Errorf("mark the search index: %w", err)
	}
	return func() error { return os.Remove(mark) }, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// rebuildIfEmpty restores an empty search index from the documents (after
// markIndexDirty removed it, or a lost Elasticsearch index).
func rebuildIfEmpty(ctx context.Context, s *services, log *slog.Logger) error {
	ndocs, err := s.db.CountDocuments(ctx)
	if err != nil {
		return fmt.Errorf("count documents: %w", err)
	}
	nchunks, err := s.index.Count(ctx)
	if err != nil {
		return fmt.Errorf("count indexed chunks: %w", err)
	}
	if ndocs == 0 || nchunks > 0 {
		return nil
	}
	log.Info("rebuilding the search index from the documents", "documents", ndocs)
	return reindex(ctx, s, false)
}

// embedderKey is the settings key under which the identity of the embedder
// that made the stored vectors is kept.
const embedderKey = "embedder"

// checkEmbedder makes sure the stored vectors were made by the configured
// embedder. Vectors of two embedders (two models, or two builds of the hash
// embedder) cannot be compared even when their dimensions agree, and
// searching one with the other quietly returns the wrong passages. When
// the recorded identity differs, or none was recorded (data from a build
// before identities), every chunk is embedded again and the index rebuilt.
func checkEmbedder(ctx context.Context, s *services, log *slog.Logger) error {
	e, ok := s.embedder.(interface{ Identity() string })
	if !ok {
		return nil
	}
	id := e.Identity()
	stored, recorded, err := s.db.Setting(ctx, embedderKey)
	if err != nil {
		return fmt.Errorf("read the embedder of the stored vectors: %w", err)
	}
	if recorded && stored == id {
		return nil
	}
	ndocs, err := s.db.CountDocuments(ctx)
	if err != nil {
		return fmt.Errorf("count documents: %w", err)
	}
	if ndocs > 0 {
		was := stored
		if !recorded {
			was = "not recorded"
		}
		log.Warn("the stored vectors were made by another embedder: embedding every chunk again", "was", was, "now", id, "documents", ndocs)
		if err := reindex(ctx, s, true); err != nil {
			return fmt.Errorf("re-embed for %s: %w", id, err)
		}
	}
	if err := s.db.SetSetting(ctx, embedderKey, id); err != nil {
		return fmt.Errorf("record the embedder: %w", err)
	}
	return nil
}

// dataSession is the data directory opened for writing by a command:
// locked, the index marked dirty, the services open and the index
// consistent with the database.
type dataSession struct {
	*services
	release func() error
	clean   func() error
}

// openForWriting locks the data directory, recovers an index left
// unfinished by a killed writer, and opens the services.
func openForWriting(ctx context.Context, cfg *config, holder string, log *slog.Logger) (_ *dataSession, err error) {
	release, err := lockDataDir(cfg, holder)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	clean, err := markIndexDirty(cfg, log)
	if err != nil {
		return nil, err
	}
	svc, err := openServices(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := checkEmbedder(ctx, svc, log); err != nil {
		svc.Close()
		return nil, err
	}
	if err := rebuildIfEmpty(ctx, svc, log); err != nil {
		svc.Close()
		return nil, err
	}
	return &dataSession{services: svc, release: release, clean: clean}, nil
}

// Close closes the services; only when that succeeded (the index is
// written out) is the dirty mark removed. The lock goes last.
func (d *dataSession) Close() error {
	err := d.services.Close()
	if err == nil {
		err = d.clean()
	}
	return errors.Join(err, d.release())
}
