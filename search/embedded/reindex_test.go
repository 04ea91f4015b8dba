package embedded

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
)

func TestReindex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunk := func(doc string, pos int, text string) rag.Chunk {
		return rag.Chunk{ID: rag.ChunkID(doc, pos), DocumentID: doc, Position: pos, Text: text, Vector: []float32{1, float32(pos)}}
	}
	if err := s.Index(ctx, []rag.Chunk{chunk("a", 0, "alpha"), chunk("b", 0, "beta"), chunk("b", 1, "beta two"), chunk("gone", 0, "orphan")}); err != nil {
		t.Fatal(err)
	}
	// The source of truth now holds a (unchanged) and b (one chunk, new
	// text) in two batches; "gone" was deleted there.
	batches := [][]rag.Chunk{{chunk("a", 0, "alpha")}, {chunk("b", 0, "beta again")}}
	err = s.Reindex(ctx, func(fn func([]rag.Chunk) error) error {
		for _, b := range batches {
			if err := fn(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 2 {
		t.Errorf("Count = %d after reindex, want 2", n)
	}
	ps, err := s.Search(ctx, rag.Query{Text: "alpha beta again orphan two", K: 10, Mode: rag.ModeBM25})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Chunk.ID+" "+p.Chunk.Text)
	}
	want := []string{"a#0 alpha", "b#0 beta again"}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", func(in []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range in {
			m[s] = true
		}
		return m
	})); diff != "" {
		t.Errorf("indexed after reindex (-want +got):\n%s", diff)
	}
}
