package embedded

import (
	"context"
	"testing"

	"ragchat/rag"
	"ragchat/rag/offline"
)

// TestWordMatchingRerank checks that hybrid search ranks a passage that
// answers in other words ("brother", "sisters" for "siblings") above one
// that only repeats the question's name, that it does so after a reopen
// (the word lists are rebuilt from the log), and that the options turn it
// off.
func TestWordMatchingRerank(t *testing.T) {
	ctx := context.Background()
	emb := offline.NewHashEmbedder(0)
	chunks := []rag.Chunk{
		{ID: "patents#0", DocumentID: "patents", Title: "Nikola Tesla", Text: "Tesla obtained around 300 patents. Tesla's patents covered motors; Tesla kept some hidden."},
		{ID: "family#0", DocumentID: "family", Title: "Nikola Tesla", Text: "He had an older brother named Dane and three sisters, Milka, Angelina and Marica."},
		{ID: "oxygen#0", DocumentID: "oxygen", Title: "Oxygen", Text: "Oxygen is a chemical element with symbol O."},
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Title + "\n" + c.Text
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range chunks {
		chunks[i].Vector = vecs[i]
	}
	const question = "How many siblings did Tesla have?"
	qv, err := emb.Embed(ctx, []string{question})
	if err != nil {
		t.Fatal(err)
	}
	top := func(t *testing.T, s *Store, mode rag.SearchMode) string {
		t.Helper()
		ps, err := s.Search(ctx, rag.Query{Text: question, Vector: qv[0], K: 2, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 {
			t.Fatalf("%d results, want 2", len(ps))
		}
		return ps[0].Chunk.DocumentID
	}
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Index(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	if got := top(t, s, rag.ModeBM25); got != "patents" {
		t.Fatalf("BM25 ranks %q first; the test needs a case where it ranks the repeated name first", got)
	}
	if got := top(t, s, rag.ModeHybrid); got != "family" {
		t.Errorf("hybrid ranks %q first, want family (siblings ~ brother, sisters)", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"reopened":            {NoSync: true},
		"without vectors too": {NoSync: true},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if name == "without vectors too" {
				ps, err := s.Search(ctx, rag.Query{Text: question, K: 1, Mode: rag.ModeHybrid})
				if err != nil || len(ps) != 1 || ps[0].Chunk.DocumentID != "family" {
					t.Errorf("hybrid without a query vector = %v, %v; want family first", ps, err)
				}
				return
			}
			if got := top(t, s, rag.ModeHybrid); got != "family" {
				t.Errorf("after reopening, hybrid ranks %q first, want family", got)
			}
		})
	}
	for name, opts := range map[string]Options{
		"WordWeight < 0":             {NoSync: true, WordWeight: -1},
		"FusionRRF without a weight": {NoSync: true, Fusion: FusionRRF, VectorWeight: 1},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.TempDir(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Index(ctx, chunks); err != nil {
				t.Fatal(err)
			}
			if s.ix.words[0] != nil || s.ix.words[1] != nil {
				t.Error("word lists kept although word matching is off")
			}
			ps, err := s.Search(ctx, rag.Query{Text: question, Vector: qv[0], K: 3, Mode: rag.ModeHybrid})
			if err != nil {
				t.Fatal(err)
			}
			if ps[0].Chunk.DocumentID == "family" && name == "WordWeight < 0" {
				t.Errorf("hybrid ranks family first with word matching off; the test cannot tell it is off")
			}
		})
	}
}
