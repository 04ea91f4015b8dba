package elastic

import (
	"context"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/count"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/deletebyquery"
	"github.com/elastic/go-elasticsearch/v8/typedapi/some"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/conflicts"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/refresh"

	"ragchat/rag"
)

// Bulk requests are cut at this many actions or about this many bytes,
// well under Elasticsearch's 100 MB http.max_content_length.
const (
	bulkMaxActions = 500
	bulkMaxBytes   = 8 << 20
)

// source is the stored form of a chunk.
type source struct {
	ChunkID    string    `json:"chunk_id"`
	DocumentID string    `json:"document_id"`
	Position   int       `json:"position"`
	Title      string    `json:"title,omitempty"`
	URL        string    `json:"url,omitempty"`
	Heading    string    `json:"heading,omitempty"`
	Text       string    `json:"text"`
	Vector     []float32 `json:"vector,omitempty"`
}

func toSource(c rag.Chunk) source {
	s := source{ChunkID: c.ID, DocumentID: c.DocumentID, Position: c.Position, Title: c.Title,
		URL: c.URL, Heading: c.Heading, Text: c.Text}
	// Cosine similarity is undefined for a zero vector and Elasticsearch
	// refuses the whole chunk; without a vector it stays findable by BM25.
	if !zero(c.Vector) {
		s.Vector = c.Vector
	}
	return s
}

func (src source) chunk() rag.Chunk {
	return rag.Chunk{ID: src.ChunkID, DocumentID: src.DocumentID, Position: src.Position, Title: src.Title,
		URL: src.URL, Heading: src.Heading, Text: src.Text}
}

func zero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// Index writes the chunks with the bulk API, then removes the chunks the
// batch's documents had before and that the batch did not overwrite. It
// writes first and deletes second so that a document is never missing
// from search in between. A document with a refused chunk is removed
// entirely, so search never mixes two versions, and every refused chunk
// is reported in a *BulkError.
func (s *Store) Index(ctx context.Context, chunks []rag.Chunk) error {
	if len(chunks) == 0 {
		return nil
	}
	for i, c := range chunks {
		if c.ID == "" || c.DocumentID == "" {
			return fmt.Errorf("elastic: index: %w", rag.Invalid("chunks", "chunk %d has no id or document id", i))
		}
	}
	failed, err := s.bulk(ctx, s.alias, chunks, true)
	if err != nil {
		return fmt.Errorf("elastic: index: %w", err)
	}

	newIDs := make([]string, 0, len(chunks))
	bad := map[string]bool{}
	for _, it := range failed {
		bad[it.documentID] = true
	}
	var okDocs, badDocs []string
	seen := map[string]bool{}
	for _, c := range chunks {
		if !bad[c.DocumentID] {
			newIDs = append(newIDs, c.ID)
		}
		if seen[c.DocumentID] {
			continue
		}
		seen[c.DocumentID] = true
		if bad[c.DocumentID] {
			badDocs = append(badDocs, c.DocumentID)
		} else {
			okDocs = append(okDocs, c.DocumentID)
		}
	}
	var should []types.Query
	if len(okDocs) > 0 {
		should = append(should, types.Query{Bool: &types.BoolQuery{
			Filter:  []types.Query{termsQuery(fieldDocumentID, okDocs)},
			MustNot: []types.Query{{Ids: &types.IdsQuery{Values: newIDs}}},
		}})
	}
	if len(badDocs) > 0 {
		should = append(should, termsQuery(fieldDocumentID, badDocs))
	}
	if err := s.deleteByQuery(ctx, &types.Query{Bool: &types.BoolQuery{Should: should, MinimumShouldMatch: 1}}); err != nil {
		return fmt.Errorf("elastic: index: removing replaced chunks: %w", err)
	}
	if len(failed) > 0 {
		items := make([]ItemError, len(failed))
		for i, f := range failed {
			items[i] = f.ItemError
		}
		return fmt.Errorf("elastic: index: %w", &BulkError{Total: len(chunks), Items: items})
	}
	return nil
}

type failedItem struct {
	ItemError
	documentID string
}

// bulk sends index actions for chunks to index in requests of bounded
// size and returns the refused items. refreshLast makes the last request
// refresh the index so that the chunks are searchable when it returns.
func (s *Store) bulk(ctx context.Context, index string, chunks []rag.Chunk, refreshLast bool) ([]failedItem, error) {
	var failed []failedItem
	for start := 0; start < len(chunks); {
		end, size := start, 0
		for end < len(chunks) && end-start < bulkMaxActions && (size < bulkMaxBytes || end == start) {
			size += len(chunks[end].Text) + 12*len(chunks[end].Vector) + 256
			end++
		}
		batch := chunks[start:end]
		start = end
		req := s.es.Bulk().Index(index)
		if refreshLast && end == len(chunks) {
			// true, not wait_for: wait_for would wait for the next
			// periodic refresh (up to a second) on every call.
			req = req.Refresh(refresh.True)
		}
		for _, c := range batch {
			if err := req.IndexOp(types.IndexOperation{Id_: some.String(c.ID)}, toSource(c)); err != nil {
				return nil, fmt.Errorf("bulk: encoding chunk %s: %w", c.ID, err)
			}
		}
		var res bulk.Response
		if err := s.call(ctx, req.Perform, &res); err != nil {
			return nil, fmt.Errorf("bulk: %w", err)
		}
		// One item per action, in order. Anything else is a broken answer,
		// reported rather than indexed into (the BulkIndexer panics here).
		if len(res.Items) != len(batch) {
			return nil, fmt.Errorf("bulk: %w: %d items answered for %d actions", rag.ErrUpstream, len(res.Items), len(batch))
		}
		for i, item := range res.Items {
			if len(item) != 1 {
				return nil, fmt.Errorf("bulk: %w: item %d has %d results, want 1", rag.ErrUpstream, i, len(item))
			}
			for _, r := range item {
				if r.Error == nil && r.Status >= 200 && r.Status <= 299 {
					continue
				}
				it := failedItem{ItemError: ItemError{ChunkID: batch[i].ID, Status: r.Status}, documentID: batch[i].DocumentID}
				if r.Error != nil {
					it.Type = r.Error.Type
					if r.Error.Reason != nil {
						it.Reason = *r.Error.Reason
					}
				}
				failed = append(failed, it)
			}
		}
	}
	return failed, nil
}

// Delete removes every chunk of the given documents.
func (s *Store) Delete(ctx context.Context, documentIDs ...string) error {
	for start := 0; start < len(documentIDs); start += 1000 {
		ids := documentIDs[start:min(start+1000, len(documentIDs))]
		q := termsQuery(fieldDocumentID, ids)
		if err := s.deleteByQuery(ctx, &q); err != nil {
			return fmt.Errorf("elastic: delete: %w", err)
		}
	}
	return nil
}

// deleteByQuery deletes what q matches and refreshes the index (which
// Elasticsearch does only when something was deleted). Version conflicts
// with concurrent writes are skipped: the concurrent write wins.
func (s *Store) deleteByQuery(ctx context.Context, q *types.Query) error {
	var res deletebyquery.Response
	err := s.call(ctx, s.es.DeleteByQuery(s.alias).Query(q).Refresh(true).Conflicts(conflicts.Proceed).Perform, &res)
	if err != nil {
		return fmt.Errorf("delete_by_query: %w", err)
	}
	if len(res.Failures) > 0 {
		f := res.Failures[0]
		return fmt.Errorf("delete_by_query: %w: %d failures, first: chunk %s status %d: %s: %s",
			statusKind(f.Status, f.Cause.Type), len(res.Failures), f.Id, f.Status, f.Cause.Type, deref(f.Cause.Reason))
	}
	if res.TimedOut != nil && *res.TimedOut {
		return fmt.Errorf("delete_by_query: %w", rag.ErrTimeout)
	}
	return nil
}

// Count returns how many chunks the index holds.
func (s *Store) Count(ctx context.Context) (int, error) {
	var res count.Response
	if err := s.call(ctx, s.es.Count().Index(s.alias).Perform, &res); err != nil {
		return 0, fmt.Errorf("elastic: count: %w", err)
	}
	return int(res.Count), nil
}

func termsQuery(field string, values []string) types.Query {
	vs := make([]types.FieldValue, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return types.Query{Terms: &types.TermsQuery{TermsQuery: map[string]types.TermsQueryField{field: vs}}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
