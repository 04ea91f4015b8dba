-- Accounts, browser sessions and API keys. Secrets are stored only as
-- hashes: passwords as argon2id strings, session tokens and API keys as a
-- keyed HMAC-SHA256 (the key is the setting auth.key).
CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE sessions (
    hash         TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    prefix       TEXT NOT NULL, -- the first characters of the key, to recognise it in lists
    hash         TEXT NOT NULL,
    scopes       TEXT NOT NULL, -- space-separated
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- '' is a conversation of open mode; the first admin adopts those.
ALTER TABLE conversations ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_owner ON conversations (owner_id, updated_at, id);
