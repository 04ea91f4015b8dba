package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"ragchat/auth"
	"ragchat/rag"
)

var _ auth.Store = (*DB)(nil)

// InitSetting stores value under key unless a value is there already, and
// returns the value that is stored (so concurrent first starts agree).
func (d *DB) InitSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := d.exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", wrap("init setting", err)
	}
	v, _, err := d.Setting(ctx, key)
	return v, err
}

// HasUsers reports whether any account exists.
func (d *DB) HasUsers(ctx context.Context) (bool, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS u`).Scan(&n)
	return n > 0, wrap("has users", err)
}

// CreateUser adds an account; the first one adopts the conversations of
// open mode (those without an owner), in the same transaction.
func (d *DB) CreateUser(ctx context.Context, u auth.User) error {
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS u`).Scan(&n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, role, created_at, disabled_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, u.Email, u.PasswordHash, string(u.Role), d.ts(u.CreatedAt), d.nullTS(u.DisabledAt))
		if uniqueViolation(err) {
			return fmt.Errorf("%w: %w", auth.ErrConflict, rag.Invalid("email", "is taken already"))
		}
		if err != nil || n > 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET owner_id = $1 WHERE owner_id = ''`, u.ID)
		return err
	})
	return wrap("create user", err)
}

const userCols = `u.id, u.email, u.password_hash, u.role, u.created_at, u.disabled_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (auth.User, error) {
	var u auth.User
	var role string
	err := row.Scan(append([]any{&u.ID, &u.Email, &u.PasswordHash, &role, timeCol{&u.CreatedAt}, nullTime{&u.DisabledAt}}, extra...)...)
	u.Role = auth.Role(role)
	return u, err
}

func (d *DB) userWhere(ctx context.Context, op, where string, arg any) (auth.User, error) {
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("user", "no such user")
	}
	return u, wrap(op, err)
}

// UserByEmail returns the account with email (already lower-cased).
func (d *DB) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	return d.userWhere(ctx, "user by email", `u.email = $1`, email)
}

// User returns the account with id.
func (d *DB) User(ctx context.Context, id string) (auth.User, error) {
	return d.userWhere(ctx, "user", `u.id = $1`, id)
}

// Users lists every account, oldest first.
func (d *DB) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+userCols+` FROM users u ORDER BY u.created_at, u.id`)
	if err != nil {
		return nil, wrap("users", err)
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("users", err)
		}
		out = append(out, u)
	}
	return out, wrap("users", rows.Err())
}

// UpdateUser stores u's password hash, role and disabled time, ending its
// sessions when endSessions is set.
func (d *DB) UpdateUser(ctx context.Context, u auth.User, endSessions bool) error {
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, role = $2, disabled_at = $3 WHERE id = $4`,
			u.PasswordHash, string(u.Role), d.nullTS(u.DisabledAt), u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return rag.NotFound("user", "no such user")
		}
		if endSessions {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)
		}
		return err
	})
	return wrap("update user", err)
}

// CreateSession stores a session (its token's hash).
func (d *DB) CreateSession(ctx context.Context, s auth.Session) error {
	_, err := d.exec(ctx, `INSERT INTO sessions (hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)`,
		s.Hash, s.UserID, d.ts(s.CreatedAt), d.ts(s.LastSeenAt))
	return wrap("create session", err)
}

// Session returns the session with hash and its user.
func (d *DB) Session(ctx context.Context, hash string) (auth.Session, auth.User, error) {
	s := auth.Session{}
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userCols+`, s.hash, s.user_id, s.created_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1`, hash),
		&s.Hash, &s.UserID, timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt})
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("session", "no such session")
	}
	return s, u, wrap("session", err)
}

// TouchSession records that the session was used at at.
func (d *DB) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := d.exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE hash = $2`, d.ts(at), hash)
	return wrap("touch session", err)
}

// DeleteSession ends a session.
func (d *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := d.exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return wrap("delete session", err)
}

// CreateKey stores an API key (its hash).
func (d *DB) CreateKey(ctx context.Context, k auth.APIKey) error {
	_, err := d.exec(ctx, `INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.UserID, k.Name, k.Prefix, k.Hash, joinScopes(k.Scopes), d.ts(k.CreatedAt), d.nullTS(k.ExpiresAt))
	return wrap("create key", err)
}

const keyCols = `k.id, k.user_id, k.name, k.prefix, k.hash, k.scopes, k.created_at, k.expires_at, k.last_used_at, k.revoked_at`

func keyDest(k *auth.APIKey, scopes *string) []any {
	return []any{&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, scopes, timeCol{&k.CreatedAt},
		nullTime{&k.ExpiresAt}, nullTime{&k.LastUsedAt}, nullTime{&k.RevokedAt}}
}

// Key returns the API key with hash and its user.
func (d *DB) Key(ctx context.Context, hash string) (auth.APIKey, auth.User, error) {
	var k auth.APIKey
	var scopes string
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userCols+`, `+keyCols+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1`, hash), keyDest(&k, &scopes)...)
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("key", "no such key")
	}
	k.Scopes = splitScopes(scopes)
	return k, u, wrap("key", err)
}

// TouchKey records that the key was used at at.
func (d *DB) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := d.exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, d.ts(at), id)
	return wrap("touch key", err)
}

// Keys lists the keys of userID (every user's when ""), newest first.
func (d *DB) Keys(ctx context.Context, userID string) ([]auth.APIKey, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys k WHERE $1 = '' OR k.user_id = $1
		ORDER BY k.created_at DESC, k.id`, userID)
	if err != nil {
		return nil, wrap("keys", err)
	}
	defer rows.Close()
	var out []auth.APIKey
	for rows.Next() {
		var k auth.APIKey
		var scopes string
		if err := rows.Scan(keyDest(&k, &scopes)...); err != nil {
			return nil, wrap("keys", err)
		}
		k.Scopes = splitScopes(scopes)
		out = append(out, k)
	}
	return out, wrap("keys", rows.Err())
}

// RevokeKey revokes key id of userID (of any user when ""); revoking twice
// keeps the first time.
func (d *DB) RevokeKey(ctx context.Context, userID, id string, at time.Time) error {
	res, err := d.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND ($3 = '' OR user_id = $3)`,
		d.ts(at), id, userID)
	if err != nil {
		return wrap("revoke key", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap("revoke key", rag.NotFound("id", "no key %q", id))
	}
	return nil
}

func joinScopes(s []auth.Scope) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, " ")
}

func splitScopes(s string) []auth.Scope {
	var out []auth.Scope
	for _, f := range strings.Fields(s) {
		out = append(out, auth.Scope(f))
	}
	return out
}

// nullTS converts an optional time to a query argument (NULL when nil).
func (d *DB) nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.ts(*t)
}

// nullTime scans an optional time column.
type nullTime struct{ t **time.Time }

func (c nullTime) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}
