package fusion

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
)

func ids(ps []rag.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Chunk.ID)
	}
	return out
}

func list(w float64, ids ...string) List {
	l := List{Weight: w}
	for _, id := range ids {
		l.Passages = append(l.Passages, rag.Passage{Chunk: rag.Chunk{ID: id}})
	}
	return l
}

func TestRRF(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		lists []List
		want  []string
	}{
		{"empty", 5, nil, nil},
		{"one list keeps order", 0, []List{list(1, "a", "b", "c")}, []string{"a", "b", "c"}},
		{"agreement wins", 0, []List{list(1, "a", "b", "c"), list(1, "b", "c", "x")}, []string{"b", "c", "a", "x"}},
		{"limit", 2, []List{list(1, "a", "b", "c"), list(1, "b", "c", "x")}, []string{"b", "c"}},
		{"weight tips", 0, []List{list(1, "a", "b"), list(3, "b", "a")}, []string{"b", "a"}},
		{"ties by first appearance", 0, []List{list(1, "a"), list(1, "b")}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(RRF(60, tt.limit, tt.lists...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RRF ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRRFScore(t *testing.T) {
	got := RRF(60, 0, list(1, "a"), list(2, "a"))
	if want := 1.0/61 + 2.0/61; got[0].Score != want {
		t.Errorf("score = %v, want %v", got[0].Score, want)
	}
}

func scored(w float64, pairs ...any) List {
	l := List{Weight: w}
	for i := 0; i < len(pairs); i += 2 {
		l.Passages = append(l.Passages, rag.Passage{Chunk: rag.Chunk{ID: pairs[i].(string)}, Score: pairs[i+1].(float64)})
	}
	return l
}

func TestScores(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		lists []List
		want  []string
	}{
		{"empty", 5, nil, nil},
		{"one list keeps order", 0, []List{scored(1, "a", 3.0, "b", 2.0, "c", 1.0)}, []string{"a", "b", "c"}},
		// BM25 is confident about a (10 vs 2): a weak vector list does not overturn it...
		{"confident lead holds", 0, []List{scored(1, "a", 10.0, "b", 2.0), scored(0.2, "b", 0.9, "a", 0.1)}, []string{"a", "b"}},
		// ...but decides a close call.
		{"close call decided", 0, []List{scored(1, "a", 10.0, "b", 9.8), scored(0.2, "b", 0.9, "a", 0.1)}, []string{"b", "a"}},
		{"missing counts zero", 0, []List{scored(1, "a", 1.0, "b", 0.9), scored(1, "c", 0.5)}, []string{"a", "c", "b"}},
		{"negative scores count zero", 0, []List{scored(1, "a", 0.5, "b", -0.5)}, []string{"a", "b"}},
		{"limit", 1, []List{scored(1, "a", 2.0, "b", 1.0)}, []string{"a"}},
		{"ties by first appearance", 0, []List{scored(1, "a", 1.0), scored(1, "b", 1.0)}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(Scores(tt.limit, tt.lists...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scores ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoresValue(t *testing.T) {
	got := Scores(0, scored(1, "a", 4.0, "b", 2.0), scored(0.5, "b", 0.8))
	want := map[string]float64{"a": 1, "b": 0.5 + 0.5}
	for _, p := range got {
		if p.Score != want[p.Chunk.ID] {
			t.Errorf("score of %s = %v, want %v", p.Chunk.ID, p.Score, want[p.Chunk.ID])
		}
	}
}
