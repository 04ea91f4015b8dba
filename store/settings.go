package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns the value stored under key, and whether there is one.
func (d *DB) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := d.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("setting", err)
	}
	return v, true, nil
}

// SetSetting stores value under key, replacing any earlier value.
func (d *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := d.exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return wrap("set setting", err)
}
