package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"ragchat/rag"
)

// chunkBatch rows go into one INSERT: 5 parameters each, far below both
// dialects' limits, and few round trips to PostgreSQL.
const chunkBatch = 200

func (d *DB) insertChunks(ctx context.Context, tx *sql.Tx, docID string, chunks []rag.Chunk) error {
	for batch, start := 0, 0; start < len(chunks); batch, start = batch+1, start+chunkBatch {
		if d.chunkHook != nil {
			if err := d.chunkHook(batch); err != nil {
				return err
			}
		}
		part := chunks[start:min(start+chunkBatch, len(chunks))]
		var q strings.Builder
		q.WriteString(`INSERT INTO chunks (document_id, position, heading, text, vector) VALUES `)
		args := make([]any, 0, 5*len(part))
		for i, c := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			n := 5 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, docID, c.Position, c.Heading, c.Text, encodeVector(c.Vector))
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

const chunkSelect = `SELECT c.document_id, c.position, c.heading, c.text, c.vector, d.title, d.url
	FROM chunks c JOIN documents d ON d.id = c.document_id `

// Chunks returns the document's chunks in position order, with vectors; an
// unknown document is a NotFound error for field "document_id".
func (d *DB) Chunks(ctx context.Context, documentID string) ([]rag.Chunk, error) {
	chunks, err := d.queryChunks(ctx, chunkSelect+`WHERE c.document_id = $1 ORDER BY c.position`, documentID)
	if err != nil {
		return nil, wrap("chunks", err)
	}
	if len(chunks) == 0 {
		var one int
		err := d.sql.QueryRowContext(ctx, `SELECT 1 FROM documents WHERE id = $1`, documentID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			err = rag.NotFound("document_id", "no document with id %q", documentID)
		}
		if err != nil {
			return nil, wrap("chunks", err)
		}
	}
	return chunks, nil
}

// EachChunk calls fn with every stored chunk (vectors included), batch at a
// time (batch <= 0 means 500), ordered by document and position; it is how
// a search index is rebuilt. Pages are read by keyset, not in one
// snapshot, so no transaction stays open while fn works; an error from fn
// stops the walk and is returned as is.
func (d *DB) EachChunk(ctx context.Context, batch int, fn func([]rag.Chunk) error) error {
	if batch <= 0 {
		batch = 500
	}
	var last *rag.Chunk
	for {
		var chunks []rag.Chunk
		var err error
		if last == nil {
			chunks, err = d.queryChunks(ctx, chunkSelect+`ORDER BY c.document_id, c.position LIMIT $1`, batch)
		} else {
			chunks, err = d.queryChunks(ctx, chunkSelect+`WHERE (c.document_id, c.position) > ($2, $3)
				ORDER BY c.document_id, c.position LIMIT $1`, batch, last.DocumentID, last.Position)
		}
		if err != nil {
			return wrap("each chunk", err)
		}
		if len(chunks) == 0 {
			return nil
		}
		if err := fn(chunks); err != nil {
			return err
		}
		if len(chunks) < batch {
			return nil
		}
		last = &chunks[len(chunks)-1]
	}
}

// SetVectors stores new vectors for chunks already stored (after the
// embedder changed), in one transaction. A chunk whose document was
// replaced or deleted meanwhile (its text at that position differs or is
// gone) keeps what it has: the vector was made from the old text.
func (d *DB) SetVectors(ctx context.Context, chunks []rag.Chunk) error {
	if len(chunks) == 0 {
		return nil
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE chunks SET vector = $1
			WHERE document_id = $2 AND position = $3 AND heading = $4 AND text = $5`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, c := range chunks {
			if _, err := stmt.ExecContext(ctx, encodeVector(c.Vector), c.DocumentID, c.Position, c.Heading, c.Text); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("set vectors", err)
}

func (d *DB) queryChunks(ctx context.Context, query string, args ...any) ([]rag.Chunk, error) {
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var chunks []rag.Chunk
	for rows.Next() {
		var c rag.Chunk
		var vec []byte
		if err := rows.Scan(&c.DocumentID, &c.Position, &c.Heading, &c.Text, &vec, &c.Title, &c.URL); err != nil {
			return nil, err
		}
		c.ID = rag.ChunkID(c.DocumentID, c.Position)
		if c.Vector, err = decodeVector(vec); err != nil {
			return nil, fmt.Errorf("chunk %s: %w", c.ID, err)
		}
		chunks = append(chunks, c)
	}
	return chunks, rows.Err()
}

// encodeVector stores a vector as little-endian float32s; none is NULL.
func encodeVector(v []float32) any {
	if len(v) == 0 {
		return nil
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte) ([]float32, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector of %d bytes is not float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
