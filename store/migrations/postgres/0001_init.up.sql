-- Documents are the source of truth; the search index is rebuilt from the
-- chunks (with their vectors) stored here.
CREATE TABLE documents (
    id           TEXT        NOT NULL PRIMARY KEY,
    title        TEXT        NOT NULL,
    url          TEXT        NOT NULL DEFAULT '',
    source       TEXT        NOT NULL DEFAULT '',
    content_type TEXT        NOT NULL,
    hash         TEXT        NOT NULL,
    text         TEXT        NOT NULL,
    metadata     JSONB       NOT NULL DEFAULT '{}',
    chunk_count  INTEGER     NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX documents_hash ON documents (hash);
CREATE UNIQUE INDEX documents_source ON documents (source) WHERE source <> '';
CREATE INDEX documents_created ON documents (created_at, id);

-- A chunk's id is derived: document_id || '#' || position.
CREATE TABLE chunks (
    document_id TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    heading     TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL,
    vector      BYTEA, -- little-endian float32s
    PRIMARY KEY (document_id, position)
);

CREATE TABLE conversations (
    id         TEXT        NOT NULL PRIMARY KEY,
    title      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_updated ON conversations (updated_at, id);

CREATE TABLE messages (
    id              TEXT        NOT NULL PRIMARY KEY,
    conversation_id TEXT        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER     NOT NULL,
    role            TEXT        NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT        NOT NULL DEFAULT '',
    sources         JSONB, -- array of rag.Source
    status          TEXT        NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'error')),
    finish_reason   TEXT        NOT NULL DEFAULT '',
    run_id          TEXT        NOT NULL DEFAULT '',
    timings         JSONB, -- rag.Timings
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
