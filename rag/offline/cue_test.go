package offline

import (
	"strings"
	"testing"
)

func TestCue(t *testing.T) {
	tests := []struct {
		question string
		want     cueKind
	}{
		{"When did the 1973 oil crisis begin?", cueTime},
		{"In what year was the school formed?", cueTime},
		{"How many actors have played Doctor Who?", cueNumber},
		{"How much did Disney pay?", cueNumber},
		{"Who designed the building?", cueName},
		{"Where was Genghis Khan born?", cueName},
		{"Who is the producer of Doctor Who?", cueName},
		{"What is the producer of Doctor Who?", cueNone}, // "Who" here is a name
		{"What is SSE?", cueNone},
		{"세종대왕은 언제 훈민정음을 반포했나요?", cueTime},
		{"구단은 몇 개인가요?", cueNumber},
		{"", cueNone},
	}
	for _, tt := range tests {
		if got := cue(tt.question); got != tt.want {
			t.Errorf("cue(%q) = %d, want %d", tt.question, got, tt.want)
		}
	}
}

func TestHasCue(t *testing.T) {
	q := map[string]bool{"when": true, "did": true, "it": true, "open": true, "1990": true}
	tests := []struct {
		kind     cueKind
		sentence string
		want     bool
	}{
		{cueTime, "It opened on 12 May 1987.", true},
		{cueTime, "It opened in the 1960s.", true},
		{cueTime, "It opened in 1990.", false}, // the question's own year
		{cueTime, "1948년에 문을 열었다.", true},
		{cueNumber, "Seventeen bridges cross it.", true},
		{cueNumber, "About 20% of them.", true},
		{cueNumber, "Many bridges cross it.", false},
		{cueName, "It was designed by Maria Lindqvist.", true},
		{cueName, "The building is old.", false}, // only the first word is capitalised
	}
	for _, tt := range tests {
		if got := hasCue(tt.kind, tt.sentence, q); got != tt.want {
			t.Errorf("hasCue(%d, %q) = %v, want %v", tt.kind, tt.sentence, got, tt.want)
		}
	}
}

func TestDefined(t *testing.T) {
	tests := map[string]string{
		"What is SSE and why was it chosen?":                       "sse",
		"What is BM25?":                                            "bm25",
		"What are the hash vectors?":                               "hash vectors",
		"What does RRF mean?":                                      "rrf",
		"BM25란 무엇인가요?":                                             "bm25",
		"SSE는 무엇인가요?":                                              "sse",
		"What is the name of the first episode of the new series?": "",
		"How do I stop an answer?":                                 "",
	}
	for q, want := range tests {
		if got := defined(q); got != want {
			t.Errorf("defined(%q) = %q, want %q", q, got, want)
		}
	}
	if !defines("BM25 is the classic keyword ranking.", "bm25") || !defines("Server-Sent Events (SSE) are a standard.", "server-sent events") ||
		!defines("SSE는 웹 표준입니다.", "sse") || defines("Use BM25 for names.", "bm25") {
		t.Error("defines misreads a definition")
	}
}

// FuzzQuestionCues checks that reading any question's cues neither panics
// nor invents a subject that is not in the question.
func FuzzQuestionCues(f *testing.F) {
	f.Add("What is SSE and why was it chosen?")
	f.Add("세종대왕은 언제 훈민정음을 반포했나요?")
	f.Add("What does  mean?")
	f.Fuzz(func(t *testing.T, q string) {
		_ = cue(q)
		if d := defined(q); d != "" && !strings.Contains(strings.ToLower(q), d) {
			t.Fatalf("defined(%q) = %q, not in the question", q, d)
		}
		_ = hasCue(cueName, q, nil)
		_ = startsWithPronoun(q)
	})
}
