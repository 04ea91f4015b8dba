// Package storetest gives tests a fresh, migrated store on SQLite or
// PostgreSQL that is removed when the test ends.
//
// PostgreSQL needs RAGCHAT_TEST_DATABASE_URL (for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); without it the
// PostgreSQL cases are skipped with a message saying so. Each store lives in
// a schema of its own (search_path), dropped at cleanup.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" database/sql driver

	"ragchat/rag"
	"ragchat/store"
)

// EnvDatabaseURL names the variable holding the PostgreSQL test server.
const EnvDatabaseURL = "RAGCHAT_TEST_DATABASE_URL"

// Dialects lists the dialects every store test runs against.
var Dialects = []string{store.SQLite, store.Postgres}

// URL returns the URL of a fresh, empty database of dialect for t: a SQLite
// file in t.TempDir(), or a new PostgreSQL schema dropped when t ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case store.SQLite:
		return filepath.Join(t.TempDir(), "ragchat.db")
	case store.Postgres:
		return postgresURL(t)
	}
	t.Fatalf("storetest: unknown dialect %q", dialect)
	return ""
}

// Open returns a migrated store on a fresh database of dialect, closed when
// t ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db := OpenUnmigrated(t, dialect)
	if err := db.MigrateUp(context.Background()); err != nil {
		t.Fatalf("storetest: migrate up: %v", err)
	}
	return db
}

// OpenUnmigrated is Open without the migrations.
func OpenUnmigrated(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, dialect))
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// shared holds one pool per test binary for creating and dropping schemas;
// new PostgreSQL connections are slow enough to matter over many tests.
var shared struct {
	sync.Mutex
	db  *sql.DB
	url string
}

func adminDB(url string) (*sql.DB, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.db == nil || shared.url != url {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		shared.db, shared.url = db, url
	}
	return shared.db, nil
}

func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Skipf("storetest: %s is not set; skipping PostgreSQL (e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)",
			EnvDatabaseURL, EnvDatabaseURL)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvDatabaseURL, err)
	}
	admin, err := adminDB(base)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", EnvDatabaseURL, err)
	}
	schema := "ragchat_test_" + rag.NewID()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("storetest: PostgreSQL at %s: create schema: %v", EnvDatabaseURL, err)
	}
	// Registered before the caller's Close cleanup, so it runs after it.
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
