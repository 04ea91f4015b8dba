package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ragchat/rag"
)

// SaveOutcome says what SaveDocument did.
type SaveOutcome int

const (
	// Created: a new document and its chunks were stored.
	Created SaveOutcome = iota + 1
	// Unchanged: a document with the same content hash exists; it is
	// returned and nothing was stored (there is nothing to index).
	Unchanged
	// Replaced: the document with the same Source had other content. It
	// keeps its ID and created time; its text, hash, title, URL, content
	// type, metadata and chunks were replaced in one transaction.
	Replaced
)

func (o SaveOutcome) String() string {
	switch o {
	case Created:
		return "created"
	case Unchanged:
		return "unchanged"
	case Replaced:
		return "replaced"
	}
	return "SaveOutcome(" + strconv.Itoa(int(o)) + ")"
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SaveDocument stores doc with its chunks (see SaveOutcome for the three
// cases) and returns the stored document, without Text for Unchanged.
//
// doc.ID is kept for a new document; when empty, a random one is
// generated. doc.Hash, when empty, becomes the hex SHA-256 of doc.Text;
// an empty ContentType becomes "text/plain". Each chunk is stored at its
// Position (unique, >= 0). After Created or Replaced, SaveDocument sets each
// chunk's ID (rag.ChunkID), DocumentID, Title and URL in place, so the
// caller can index exactly what was stored.
//
// The hash is checked first: content already stored (under any source) is
// Unchanged, and a document at doc.Source is then left as it was.
func (d *DB) SaveDocument(ctx context.Context, doc rag.Document, chunks []rag.Chunk) (rag.Document, SaveOutcome, error) {
	if err := prepareDocument(&doc, chunks); err != nil {
		return rag.Document{}, 0, wrap("save document", err)
	}
	var (
		saved   rag.Document
		outcome SaveOutcome
		err     error
	)
	// A unique conflict means a concurrent writer stored the same content
	// or source first; trying again sees its row and answers from it.
	for attempt := 1; ; attempt++ {
		saved, outcome, err = d.saveOnce(ctx, doc, chunks)
		if err == nil || !uniqueViolation(err) || attempt == 3 {
			break
		}
	}
	if err != nil {
		return rag.Document{}, 0, wrap("save document", err)
	}
	if outcome != Unchanged {
		for i := range chunks {
			c := &chunks[i]
			c.DocumentID, c.ID, c.Title, c.URL = saved.ID, rag.ChunkID(saved.ID, c.Position), saved.Title, saved.URL
		}
	}
	return saved, outcome, nil
}

func prepareDocument(doc *rag.Document, chunks []rag.Chunk) error {
	if doc.ID == "" {
		doc.ID = rag.NewID()
	} else if len(doc.ID) > 200 {
		return rag.Invalid("id", "is longer than 200 bytes")
	}
	if strings.TrimSpace(doc.Text) == "" {
		return rag.Invalid("text", "must not be empty")
	}
	if doc.ContentType == "" {
		doc.ContentType = "text/plain"
	}
	if doc.Hash == "" {
		sum := sha256.Sum256([]byte(doc.Text))
		doc.Hash = hex.EncodeToString(sum[:])
	}
	for _, f := range []struct{ name, value string }{
		{"id", doc.ID}, {"title", doc.Title}, {"url", doc.URL}, {"source", doc.Source},
		{"content_type", doc.ContentType}, {"hash", doc.Hash}, {"text", doc.Text},
	} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	for k, v := range doc.Metadata {
		if checkText("metadata", k) != nil || checkText("metadata", v) != nil {
			return rag.Invalid("metadata", "key or value %q is not valid UTF-8 text", k)
		}
	}
	seen := make(map[int]bool, len(chunks))
	for i, c := range chunks {
		if c.Position < 0 || seen[c.Position] {
			return rag.Invalid("chunks", "chunk %d: position %d is negative or repeated", i, c.Position)
		}
		seen[c.Position] = true
		if checkText("chunks", c.Heading) != nil || checkText("chunks", c.Text) != nil {
			return rag.Invalid("chunks", "chunk %d: text is not valid UTF-8 without NUL", i)
		}
	}
	return nil
}

// saveOnce is one attempt of SaveDocument in one transaction.
func (d *DB) saveOnce(ctx context.Context, doc rag.Document, chunks []rag.Chunk) (rag.Document, SaveOutcome, error) {
	var outcome SaveOutcome
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		same, err := d.documentBy(ctx, tx, "hash", doc.Hash)
		if err == nil {
			same.Text = ""
			doc, outcome = same, Unchanged
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		meta, err := json.Marshal(doc.Metadata)
		if err != nil {
			return err
		}
		if doc.Metadata == nil {
			meta = []byte("{}")
		}
		doc.ChunkCount, doc.UpdatedAt = len(chunks), now()

		if doc.Source != "" {
			old, err := d.documentBy(ctx, tx, "source", doc.Source)
			switch {
			case err == nil && old.Hash == doc.Hash:
				// A concurrent writer stored this very text under this
				// source after the lookup by hash above (PostgreSQL reads
				// committed rows per statement): nothing to replace.
				old.Text = ""
				doc, outcome = old, Unchanged
				return nil
			case err == nil:
				doc.ID, doc.CreatedAt, outcome = old.ID, old.CreatedAt, Replaced
				// Update first: on PostgreSQL the row lock orders concurrent
				// replacements of one document before they touch its chunks.
				_, err = tx.ExecContext(ctx, `UPDATE documents SET title = $1, url = $2, content_type = $3,
					hash = $4, text = $5, metadata = $6, chunk_count = $7, updated_at = $8 WHERE id = $9`,
					doc.Title, doc.URL, doc.ContentType, doc.Hash, doc.Text, string(meta),
					doc.ChunkCount, d.ts(doc.UpdatedAt), doc.ID)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = $1`, doc.ID); err != nil {
					return err
				}
				return d.insertChunks(ctx, tx, doc.ID, chunks)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}

		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM documents WHERE id = $1`, doc.ID).Scan(&one)
		if err == nil {
			return rag.Invalid("id", "a document with id %q already exists", doc.ID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		doc.CreatedAt, outcome = doc.UpdatedAt, Created
		_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, title, url, source, content_type, hash,
			text, metadata, chunk_count, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			doc.ID, doc.Title, doc.URL, doc.Source, doc.ContentType, doc.Hash, doc.Text, string(meta),
			doc.ChunkCount, d.ts(doc.CreatedAt), d.ts(doc.UpdatedAt))
		if err != nil {
			return err
		}
		return d.insertChunks(ctx, tx, doc.ID, chunks)
	})
	if err != nil {
		return rag.Document{}, 0, err
	}
	return doc, outcome, nil
}

const docColumns = `id, title, url, source, content_type, hash, metadata, chunk_count, created_at, updated_at`

// documentBy returns the document (with Text) whose column ("id", "hash"
// or "source") equals value, or sql.ErrNoRows.
func (d *DB) documentBy(ctx context.Context, q querier, column, value string) (rag.Document, error) {
	where := column + ` = $1`
	if column == "source" {
		// The source index is partial (sources are optional): repeating its
		// condition lets the planner use it instead of scanning every text.
		where += ` AND source <> ''`
	}
	row := q.QueryRowContext(ctx, `SELECT `+docColumns+`, text FROM documents WHERE `+where, value)
	var doc rag.Document
	var meta string
	err := row.Scan(&doc.ID, &doc.Title, &doc.URL, &doc.Source, &doc.ContentType, &doc.Hash, &meta,
		&doc.ChunkCount, timeCol{&doc.CreatedAt}, timeCol{&doc.UpdatedAt}, &doc.Text)
	if err != nil {
		return rag.Document{}, err
	}
	return doc, decodeMetadata(meta, &doc)
}

func decodeMetadata(meta string, doc *rag.Document) error {
	if err := json.Unmarshal([]byte(meta), &doc.Metadata); err != nil {
		return fmt.Errorf("document %s: metadata: %w", doc.ID, err)
	}
	if len(doc.Metadata) == 0 {
		doc.Metadata = nil
	}
	return nil
}

// Document returns the document with its Text and ChunkCount; an unknown
// id is a NotFound error for field "id".
func (d *DB) Document(ctx context.Context, id string) (rag.Document, error) {
	doc, err := d.documentBy(ctx, d.sql, "id", id)
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("id", "no document with id %q", id)
	}
	if err != nil {
		return rag.Document{}, wrap("document", err)
	}
	return doc, nil
}

// ListDocuments returns a page of documents, newest first, without their
// Text, and the cursor of the next page ("" after the last page). cursor is
// "" for the first page; limit is clamped (DefaultLimit, MaxLimit).
func (d *DB) ListDocuments(ctx context.Context, cursor string, limit int) ([]rag.Document, string, error) {
	after, ok, err := decodeCursor(cursor, "d")
	if err != nil {
		return nil, "", wrap("list documents", err)
	}
	limit = clampLimit(limit)
	query := `SELECT ` + docColumns + ` FROM documents `
	args := []any{limit + 1}
	if ok {
		query += `WHERE (created_at, id) < ($2, $3) `
		args = append(args, d.ts(after.at), after.id)
	}
	query += `ORDER BY created_at DESC, id DESC LIMIT $1`
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", wrap("list documents", err)
	}
	defer rows.Close()
	var docs []rag.Document
	for rows.Next() {
		var doc rag.Document
		var meta string
		if err := rows.Scan(&doc.ID, &doc.Title, &doc.URL, &doc.Source, &doc.ContentType, &doc.Hash, &meta,
			&doc.ChunkCount, timeCol{&doc.CreatedAt}, timeCol{&doc.UpdatedAt}); err != nil {
			return nil, "", wrap("list documents", err)
		}
		if err := decodeMetadata(meta, &doc); err != nil {
			return nil, "", wrap("list documents", err)
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrap("list documents", err)
	}
	next := ""
	if len(docs) > limit {
		docs = docs[:limit]
		last := docs[limit-1]
		next = cursorOf("d", last.CreatedAt, last.ID)
	}
	return docs, next, nil
}

func cursorOf(kind string, at time.Time, id string) string {
	return cursor{kind: kind, at: at, id: id}.encode()
}

// DeleteDocument removes the document and its chunks; an unknown id is a
// NotFound error for field "id".
func (d *DB) DeleteDocument(ctx context.Context, id string) error {
	res, err := d.exec(ctx, `DELETE FROM documents WHERE id = $1`, id)
	if err != nil {
		return wrap("delete document", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("delete document", err)
	} else if n == 0 {
		return wrap("delete document", rag.NotFound("id", "no document with id %q", id))
	}
	if d.dialect == SQLite {
		// Give the freed pages back to the file system (auto_vacuum is
		// incremental). The delete is done either way; a failure here
		// only leaves free pages that later writes reuse.
		d.sql.ExecContext(ctx, `PRAGMA incremental_vacuum`)
	}
	return nil
}

// CountDocuments returns how many documents are stored.
func (d *DB) CountDocuments(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents`).Scan(&n); err != nil {
		return 0, wrap("count documents", err)
	}
	return n, nil
}
