package elastic

import (
	"context"
	"testing"

	"ragchat/rag"
	"ragchat/search/elastic/estest"
	"ragchat/search/searchtest"
)

func TestConformanceWordMatching(t *testing.T) {
	conformance(t, estest.Options{}, Config{Fusion: FusionScores, VectorWeight: 0.02, WordWeight: 1}, "cjk")
}

// TestWordMatching checks that hybrid search with WordWeight ranks first
// the passage that answers in other words ("brother", "sisters" for
// "siblings") where BM25 alone prefers the shorter passage that only
// names Tesla, and that without WordWeight hybrid keeps BM25's order.
func TestWordMatching(t *testing.T) {
	ctx := context.Background()
	chunks := []rag.Chunk{
		{ID: "patents#0", DocumentID: "patents", Title: "Nikola Tesla", Text: "Tesla obtained around 300 patents worldwide."},
		{ID: "family#0", DocumentID: "family", Title: "Nikola Tesla", Text: "Tesla was the fourth of five children: an older brother named Dane and three sisters."},
		{ID: "oxygen#0", DocumentID: "oxygen", Title: "Oxygen", Text: "Oxygen is a chemical element with symbol O."},
	}
	for i := range chunks {
		chunks[i].Vector = searchtest.Vector(chunks[i].Title + "\n" + chunks[i].Text)
	}
	const question = "How many siblings did Tesla have?"
	first := func(t *testing.T, s *Store, mode rag.SearchMode) string {
		t.Helper()
		ps, err := s.Search(ctx, rag.Query{Text: question, Vector: searchtest.Vector(question), K: 2, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			t.Fatal("no results")
		}
		return ps[0].Chunk.DocumentID
	}
	for _, tt := range []struct {
		name       string
		wordWeight float64
		want       string
	}{
		{"word matching", 1, "family"},
		{"without", 0, "patents"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := standIn(t, estest.Options{}, Config{Fusion: FusionScores, VectorWeight: 0.02, WordWeight: tt.wordWeight})
			if err := s.Index(ctx, chunks); err != nil {
				t.Fatal(err)
			}
			if got := first(t, s, rag.ModeBM25); got != "patents" {
				t.Fatalf("BM25 ranks %s first; the case needs BM25 to prefer the passage without the answer", got)
			}
			if got := first(t, s, rag.ModeHybrid); got != tt.want {
				t.Errorf("hybrid ranks %s first, want %s", got, tt.want)
			}
		})
	}
}
