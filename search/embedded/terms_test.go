package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/tokenize"
)

func TestSyllables(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"english has none", "The oil crisis", nil},
		{"one run", "칸트는", []string{"\x02칸", "\x02트", "\x02는"}},
		{"single syllable word is a token already", "콩 은", nil},
		{"two runs", "콩은 곡물", []string{"\x02콩", "\x02은", "\x02곡", "\x02물"}},
		{"han", "東京大学", []string{"\x02東", "\x02京", "\x02大", "\x02学"}},
		{"mixed", "API는 빠른가", []string{"\x02빠", "\x02른", "\x02가"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, syllables(tokenize.Tokens(tt.in))); diff != "" {
				t.Errorf("syllables(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestQueryTerms(t *testing.T) {
	lw := float64(lastWordWeight) // a variable, so products round as in queryTerms
	s := &Store{opts: Options{}}
	s.opts.fill()
	tests := []struct {
		name, in string
		want     []qterm
	}{
		{"function words down-weighted", "When did the oil crisis begin?", []qterm{
			{"when", functionWordWeight}, {"do", functionWordWeight}, {"the", functionWordWeight},
			{"oil", 1}, {"crisis", 1}, {"begin", 1}, {"\x01oil crisis", 1}, {"\x01crisis begin", 1}}},
		{"korean keeps particles and adds syllables", "콩은 곡물", []qterm{{"콩은", 1}, {"곡물", lastWordWeight}, {"\x02콩", 1}, {"\x02은", 1}, {"\x02곡", 1}, {"\x02물", 1}}},
		{"korean word start and end", "이슬점은 낮아진다", []qterm{
			{"이슬", wordStartWeight}, {"슬점", 1}, {"점은", wordEndWeight},
			{"낮아", wordStartWeight * lw}, {"아진", lw}, {"진다", wordEndWeight * lw},
			{"\x02이", 1}, {"\x02슬", 1}, {"\x02점", 1}, {"\x02은", 1},
			{"\x02낮", 1}, {"\x02아", 1}, {"\x02진", 1}, {"\x02다", 1}}},
	}
	tests = append(tests, struct {
		name, in string
		want     []qterm
	}{"a query of one korean word keeps full weight", "생산되는가", []qterm{
		{"생산", wordStartWeight}, {"산되", 1}, {"되는", 1}, {"는가", wordEndWeight},
		{"\x02생", 1}, {"\x02산", 1}, {"\x02되", 1}, {"\x02는", 1}, {"\x02가", 1}}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, s.queryTerms(tt.in), cmp.AllowUnexported(qterm{})); diff != "" {
				t.Errorf("queryTerms(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestSyllableMatch checks the point of syllable terms: a one-syllable noun
// with a particle ("콩은") finds the passage that has the noun with another
// particle ("콩이"), which shares no bigram with it.
func TestSyllableMatch(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks := []rag.Chunk{
		{ID: "grain#0", DocumentID: "grain", Text: "곡물 시장은 해마다 커진다."},
		{ID: "bean#0", DocumentID: "bean", Text: "곡물에는 벼와 보리와 콩이 있다."},
	}
	// Distractors, so that the syllables are rare (see maxSyllableShare).
	for i, text := range []string{"바다에는 고래가 산다.", "서울은 한국의 수도이다.", "비가 오면 강물이 불어난다.", "오늘은 날씨가 맑다.", "도서관에서 책을 빌렸다."} {
		chunks = append(chunks, rag.Chunk{ID: fmt.Sprintf("other%d#0", i), DocumentID: fmt.Sprintf("other%d", i), Text: text})
	}
	if err := s.Index(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	got, err := s.Search(ctx, rag.Query{Text: "콩은 곡물인가?", K: 3, Mode: rag.ModeBM25})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Chunk.DocumentID != "bean" {
		t.Errorf("best passage for 콩은 곡물인가: %v, want bean", got)
	}
}
