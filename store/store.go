// Package store persists documents (with their chunks and chunk vectors, so
// a search index can be rebuilt without re-embedding), conversations and
// messages in SQL: a SQLite file by default (modernc.org/sqlite, pure Go) or
// PostgreSQL (pgx v5) for scale-out. The schema is managed by golang-migrate
// with migrations embedded in the binary; Open does not migrate, MigrateUp
// does.
//
// Both dialects go through database/sql, so every query, transaction and
// error path is shared and one conformance suite covers both; pgx's stdlib
// adapter still gives pgx's connection handling and statement cache.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"ragchat/rag"
)

// Dialect names returned by DB.Dialect.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is the SQL store. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect string
	dsn     string // what the database/sql driver was opened with; migrations reuse it

	// chunkHook, when set by tests, runs before each batch of chunk rows
	// is inserted; an error fails the insert (see export_test.go).
	chunkHook func(batch int) error

	// writer admits one SQLite write transaction at a time (nil for
	// PostgreSQL). SQLite serializes writers anyway, but a writer that
	// finds the lock taken sleeps in its busy handler for growing
	// intervals (up to 100 ms) instead of starting when the lock frees:
	// under a burst of new conversations most of a turn's latency was
	// that sleep. Waiting here wakes the next writer at once.
	writer chan struct{}
}

// Open connects to the database at url without migrating it. A url starting
// with postgres:// or postgresql:// selects PostgreSQL; anything else is the
// path of a SQLite file, optionally prefixed with sqlite:// ("sqlite://rel.db",
// "sqlite:///abs.db"). The SQLite file and its directory are created if
// missing.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.TrimSpace(url) == "":
		return nil, rag.Invalid("database_url", "must not be empty")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	default:
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite://"))
	}
}

// sqliteParams configure every SQLite connection: WAL so readers never
// block the writer, foreign keys for ON DELETE CASCADE, a busy timeout so
// concurrent writers wait instead of failing, and BEGIN IMMEDIATE so a
// transaction that reads before it writes cannot fail to upgrade its lock
// (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not cover).
// synchronous=NORMAL is safe with WAL: a crash loses nothing committed, a
// power cut at most the last commits, never consistency. auto_vacuum=
// INCREMENTAL (set before the first table exists; an older file is
// converted once by openSQLite) lets DeleteDocument give pages back.
const sqliteParams = "_txlock=immediate" +
	"&_pragma=auto_vacuum(2)" +
	"&_pragma=busy_timeout(10000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)"

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, rag.Invalid("database_url", "SQLite path %q must be a plain file path", path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
	}
	dsn := path + "?" + sqliteParams
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// Writers are serialized by SQLite anyway; a modest pool keeps file
	// handles and per-connection page caches bounded.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	d := &DB{sql: db, dialect: SQLite, dsn: dsn, writer: make(chan struct{}, 1)}
	if err := d.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// A file made before auto_vacuum was set keeps mode 0 (none) until a
	// VACUUM rewrites it: done once, here.
	var mode int
	if err := db.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	if mode != 2 {
		if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open sqlite: convert to incremental vacuum: %w", err)
		}
	}
	return d, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		// A malformed URL; pgx's message may echo it, password included.
		return nil, rag.Invalid("database_url", "not a valid PostgreSQL URL")
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{sql: db, dialect: Postgres, dsn: url}
	if err := d.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.sql.Close() }

// Dialect returns SQLite or Postgres.
func (d *DB) Dialect() string { return d.dialect }

// Ping checks that the database answers; a failure is rag.ErrUnavailable.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.sql.PingContext(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("store: ping %s: %w", d.dialect, ctx.Err())
		}
		return fmt.Errorf("store: ping %s: %w: %w", d.dialect, rag.ErrUnavailable, err)
	}
	return nil
}

// inTx runs fn in a transaction, committing if it returns nil.
func (d *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	release, err := d.acquireWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// exec runs one writing statement outside a transaction, in the writer
// slot like inTx.
func (d *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := d.acquireWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return d.sql.ExecContext(ctx, query, args...)
}

// acquireWriter waits for the SQLite writer slot (see DB.writer), or
// returns at once for PostgreSQL.
func (d *DB) acquireWriter(ctx context.Context) (release func(), err error) {
	if d.writer == nil {
		return func() {}, nil
	}
	select {
	case d.writer <- struct{}{}:
		return func() { <-d.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// wrap adds context to err and classifies the failures a caller may retry
// (the database unreachable or too busy) as rag.ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *rag.FieldError
	if errors.As(err, &fe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if unavailable(err) {
		return fmt.Errorf("store: %s: %w: %w", op, rag.ErrUnavailable, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var se *sqlite.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, sql.ErrConnDone):
		return true
	case errors.As(err, &se):
		c := se.Code() & 0xff // primary result code
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception, 53: insufficient resources,
		// 57P: operator intervention (shutdown), 40001/40P01: retry.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			strings.HasPrefix(pe.Code, "57P") || pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY conflict,
// which concurrent writers of the same document can cause.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// timeLayout is how SQLite stores times: fixed width, so text order is time
// order, which keyset pagination relies on.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// now returns the current time as stored: UTC, microsecond precision (what
// PostgreSQL keeps), so values read back equal values written.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ts converts t to a query argument of the dialect's time column.
func (d *DB) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.dialect == SQLite {
		return t.Format(timeLayout)
	}
	return t
}

// timeCol scans either dialect's time column into a UTC time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a time", src)
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad stored time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// checkText rejects text that PostgreSQL cannot store (NUL bytes, invalid
// UTF-8), so both dialects accept exactly the same input.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return rag.Invalid(field, "is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return rag.Invalid(field, "contains a NUL character")
	}
	return nil
}

// cleanText makes generated text storable instead of refusing it: an answer
// must be saved even if the model emitted a NUL.
func cleanText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}
