package store

import (
	"context"

	"ragchat/rag"
)

// DocumentStore returns the DB as a rag.DocumentStore, whose SaveDocument
// reports only whether anything changed (Created or Replaced).
func (d *DB) DocumentStore() rag.DocumentStore { return documentStore{d} }

type documentStore struct{ db *DB }

func (s documentStore) SaveDocument(ctx context.Context, doc rag.Document, chunks []rag.Chunk) (rag.Document, bool, error) {
	saved, outcome, err := s.db.SaveDocument(ctx, doc, chunks)
	return saved, outcome != Unchanged, err
}

func (s documentStore) DeleteDocument(ctx context.Context, id string) error {
	return s.db.DeleteDocument(ctx, id)
}
