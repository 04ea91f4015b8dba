package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"ragchat/rag"
	"ragchat/store"
	"ragchat/store/storetest"
)

// latestVersion is the number of the newest migration in migrations/*/.
const latestVersion = 3

// eachDialect runs fn as a parallel subtest per dialect, each on a fresh,
// migrated store. This is the conformance suite: every test below holds for
// SQLite and PostgreSQL alike.
func eachDialect(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.Open(t, dialect))
		})
	}
}

// wantField fails t unless err is a *rag.FieldError of kind and field.
func wantField(t *testing.T, err error, kind error, field string) {
	t.Helper()
	var fe *rag.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, kind) || fe.Field != field {
		t.Fatalf("error = %v, want a %v error for field %q", err, kind, field)
	}
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.OpenUnmigrated(t, dialect)
			wantVersion := func(want uint) {
				t.Helper()
				v, dirty, err := db.Version(ctx)
				if err != nil || v != want || dirty {
					t.Fatalf("Version() = %d, %v, %v; want %d, false, nil", v, dirty, err, want)
				}
			}
			wantVersion(0)
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatalf("MigrateDown on an empty database: %v", err)
			}
			for range 2 { // the second run has nothing to do and must succeed
				if err := db.MigrateUp(ctx); err != nil {
					t.Fatalf("MigrateUp: %v", err)
				}
				wantVersion(latestVersion)
			}
			if _, _, err := db.SaveDocument(ctx, rag.Document{Title: "t", Text: "text"}, nil); err != nil {
				t.Fatalf("SaveDocument after MigrateUp: %v", err)
			}
			for v := latestVersion; v > 0; v-- {
				if err := db.MigrateDown(ctx); err != nil {
					t.Fatalf("MigrateDown: %v", err)
				}
				wantVersion(uint(v - 1))
			}
			if _, err := db.CountDocuments(ctx); err == nil {
				t.Fatal("CountDocuments succeeded with every migration reverted")
			}
			if err := db.MigrateUp(ctx); err != nil {
				t.Fatalf("MigrateUp after down: %v", err)
			}
			wantVersion(latestVersion)
			if n, err := db.CountDocuments(ctx); err != nil || n != 0 {
				t.Fatalf("CountDocuments after down and up = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

func TestMigrateCancelled(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := db.MigrateDown(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("MigrateDown(cancelled) = %v, want context.Canceled", err)
		}
		if v, _, err := db.Version(context.Background()); err != nil || v != latestVersion {
			t.Fatalf("Version() after a cancelled MigrateDown = %d, %v; want %d", v, err, latestVersion)
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new dir", "nested")
		for _, url := range []string{filepath.Join(dir, "a.db"), "sqlite://" + filepath.Join(dir, "b.db")} {
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatalf("Open(%q): %v", url, err)
			}
			if got := db.Dialect(); got != store.SQLite {
				t.Errorf("Dialect() = %q, want %q", got, store.SQLite)
			}
			if err := db.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		for _, name := range []string{"a.db", "b.db"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("database file not created: %v", err)
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := store.Open(ctx, storetest.URL(t, store.Postgres))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := db.Dialect(); got != store.Postgres {
			t.Errorf("Dialect() = %q, want %q", got, store.Postgres)
		}
	})
	t.Run("bad", func(t *testing.T) {
		for _, url := range []string{"", "  ", "sqlite://", "file:x.db", "x.db?mode=ro", ":memory:"} {
			if db, err := store.Open(ctx, url); !errors.Is(err, rag.ErrInvalid) {
				if db != nil {
					db.Close()
				}
				t.Errorf("Open(%q) = %v, want ErrInvalid", url, err)
			}
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
		if !errors.Is(err, rag.ErrUnavailable) {
			t.Fatalf("Open(unreachable) = %v, want ErrUnavailable", err)
		}
	})
}
