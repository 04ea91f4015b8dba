package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	sqlitemigrate "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// migrations holds one folder per dialect (the column types differ:
// TIMESTAMPTZ/BYTEA/JSONB against TEXT/BLOB); versions match across folders.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrateUp applies every pending migration. It is idempotent: an
// up-to-date schema is success. On PostgreSQL concurrent callers are
// serialized by an advisory lock.
func (d *DB) MigrateUp(ctx context.Context) error {
	err := d.migrate(ctx, "up", (*migrate.Migrate).Up)
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}

// MigrateDown reverts the most recent migration (one step, so that a
// mistaken `ragchat migrate down` cannot drop every table at once). With
// nothing applied it does nothing.
func (d *DB) MigrateDown(ctx context.Context) error {
	err := d.migrate(ctx, "down", func(m *migrate.Migrate) error {
		if _, _, err := m.Version(); err != nil {
			return err // ErrNilVersion when nothing is applied
		}
		return m.Steps(-1)
	})
	if errors.Is(err, migrate.ErrNilVersion) {
		return nil
	}
	return err
}

// Version returns the schema version (0 when nothing is applied) and
// whether a migration failed halfway (dirty).
func (d *DB) Version(ctx context.Context) (version uint, dirty bool, err error) {
	err = d.migrate(ctx, "version", func(m *migrate.Migrate) error {
		var err error
		version, dirty, err = m.Version()
		if errors.Is(err, migrate.ErrNilVersion) {
			return nil
		}
		return err
	})
	return version, dirty, err
}

// migrate runs fn on a migrate instance over a connection pool of its own:
// migrate's Close closes the *sql.DB it was given, and the drivers opened
// from URLs would re-encode file paths (spaces become %20). Opening with
// d.dsn keeps the same pragmas and PostgreSQL search_path as the store.
func (d *DB) migrate(ctx context.Context, op string, fn func(*migrate.Migrate) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: migrate %s: %w", op, err)
	}
	src, err := iofs.New(migrations, "migrations/"+d.dialect)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", op, err)
	}
	driverName := map[string]string{SQLite: "sqlite", Postgres: "pgx"}[d.dialect]
	conn, err := sql.Open(driverName, d.dsn)
	if err != nil {
		return wrap("migrate "+op, err)
	}
	var drv database.Driver
	if d.dialect == SQLite {
		drv, err = sqlitemigrate.WithInstance(conn, &sqlitemigrate.Config{})
	} else {
		drv, err = pgxmigrate.WithInstance(conn, &pgxmigrate.Config{})
	}
	if err != nil {
		conn.Close()
		return wrap("migrate "+op, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, d.dialect, drv)
	if err != nil {
		drv.Close()
		return wrap("migrate "+op, err)
	}
	defer m.Close()

	// migrate takes no context: ask it to stop after the current migration.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()
	if err := fn(m); err != nil {
		if errors.Is(err, migrate.ErrNoChange) {
			return err
		}
		return wrap("migrate "+op, err)
	}
	return ctx.Err()
}
