package elastic

import (
	"context"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/typedapi/some"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"

	"ragchat/rag"
)

// Reindex builds a new index <alias>-v<N+1> from the chunks each yields
// (the caller passes the SQL store's chunk iterator, which calls fn with
// one batch at a time), then points the alias at it in one atomic
// _aliases call and deletes the old index. Searches keep using the old
// index until the swap, so there is no downtime; chunks indexed through
// the alias while Reindex runs are not copied (run it when ingest is idle).
// On failure the new index is deleted and the old one stays live.
func (s *Store) Reindex(ctx context.Context, each func(fn func([]rag.Chunk) error) error) error {
	old, err := s.inspect(ctx)
	if err != nil {
		return fmt.Errorf("elastic: reindex: %w", err)
	}
	next := fmt.Sprintf("%s-v%d", s.alias, s.versionOf(old)+1)
	// A leftover of an interrupted reindex is not live (the alias points
	// at old), so it is safe to drop.
	err = s.call(ctx, s.es.Indices.Delete(next).Perform, nil)
	if err != nil && !notFound(err) {
		return fmt.Errorf("elastic: reindex: removing leftover %s: %w", next, err)
	}
	analyzer, err := s.koreanAnalyzer(ctx)
	if err != nil {
		return fmt.Errorf("elastic: reindex: %w", err)
	}
	if err := s.createIndex(ctx, next, analyzer, false); err != nil {
		return fmt.Errorf("elastic: reindex: creating %s: %w", next, err)
	}
	if err := s.fill(ctx, next, each); err != nil {
		// Best effort: the next Reindex removes a leftover anyway.
		_ = s.call(context.WithoutCancel(ctx), s.es.Indices.Delete(next).Perform, nil)
		return fmt.Errorf("elastic: reindex into %s: %w", next, err)
	}
	swap := s.es.Indices.UpdateAliases().Actions(
		types.IndicesAction{Add: &types.AddAction{Index: some.String(next), Alias: some.String(s.alias)}},
		types.IndicesAction{Remove: &types.RemoveAction{Index: some.String(old), Alias: some.String(s.alias)}},
	)
	if err := s.call(ctx, swap.Perform, nil); err != nil {
		_ = s.call(context.WithoutCancel(ctx), s.es.Indices.Delete(next).Perform, nil)
		return fmt.Errorf("elastic: reindex: swapping alias %s from %s to %s: %w", s.alias, old, next, err)
	}
	s.analyzer.Store(&analyzer)
	if err := s.call(ctx, s.es.Indices.Delete(old).Perform, nil); err != nil && !notFound(err) {
		return fmt.Errorf("elastic: reindex: alias %s now points at %s, but removing the old index %s failed: %w", s.alias, next, old, err)
	}
	return nil
}

// fill bulk-indexes every batch into index and refreshes it once.
func (s *Store) fill(ctx context.Context, index string, each func(fn func([]rag.Chunk) error) error) error {
	total := 0
	var refused []ItemError
	err := each(func(chunks []rag.Chunk) error {
		for i, c := range chunks {
			if c.ID == "" || c.DocumentID == "" {
				return rag.Invalid("chunks", "chunk %d has no id or document id", total+i)
			}
		}
		total += len(chunks)
		failed, err := s.bulk(ctx, index, chunks, false)
		for _, f := range failed {
			refused = append(refused, f.ItemError)
		}
		return err
	})
	if err == nil && len(refused) > 0 {
		err = &BulkError{Total: total, Items: refused}
	}
	if err != nil {
		return err
	}
	return s.call(ctx, s.es.Indices.Refresh().Index(index).Perform, nil)
}
