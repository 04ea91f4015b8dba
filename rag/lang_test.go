package rag

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDetectLang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SSE가 무엇인가요", "ko"},
		{"What is SSE?", "en"},
		{"Elasticsearch API key 설정은 어떻게 하나요?", "ko"},
		{"How do I set the 임베딩 model for Ollama?", "en"},
		{"What is 한글?", "en"}, // exactly a quarter: not more
		{"", "en"},
		{"12345 !!!", "en"},
		{"ㅋㅋㅋ", "ko"},
		{"检索增强生成", "en"}, // not Korean; ragchat speaks ko and en only
	}
	for _, tt := range tests {
		if got := DetectLang(tt.in); got != tt.want {
			t.Errorf("DetectLang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeLang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ko", "ko"},
		{"KO", "ko"},
		{"ko-KR", "ko"},
		{"ko_KR", "ko"},
		{"kor", "ko"},
		{"en", "en"},
		{"en-US", "en"},
		{"en-GB", "en"},
		{" en ", "en"},
		{"ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"},
		{"en-US,en;q=0.9,ko;q=0.8", "en"},
		{"fr-FR,fr;q=0.9,ko;q=0.5,en;q=0.4", "ko"},
		{"en;q=0.5, ko;q=0.6", "ko"},
		{"ko;q=0, en;q=0.1", "en"}, // q=0 means not acceptable
		{"ko;q=bad", ""},
		{"ko;q=2", ""},
		{"fr", ""},
		{"*", ""},
		{"", ""},
		{"korean", ""},
		{"english", ""},
		{",,;", ""},
	}
	for _, tt := range tests {
		if got := NormalizeLang(tt.in); got != tt.want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalizeLang(f *testing.F) {
	f.Add("ko-KR,ko;q=0.9,en-US;q=0.8")
	f.Add("en;q=0.5;q=0.7, ko;q=1")
	f.Fuzz(func(t *testing.T, s string) {
		switch got := NormalizeLang(s); got {
		case "", "ko", "en":
		default:
			t.Fatalf("NormalizeLang(%q) = %q", s, got)
		}
	})
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		lang  string
		stage Stage
		want  string
	}{
		{"ko", StageRetrieving, "문서 검색 중..."},
		{"ko", StageGenerating, "답변 생성 중..."},
		{"ko-KR", StageRetrieving, "문서 검색 중..."},
		{"en", StageRetrieving, "Searching documents..."},
		{"en", StageGenerating, "Generating answer..."},
		{"", StageGenerating, "Generating answer..."},
		{"fr", StageRetrieving, "Searching documents..."},
		{"ko", Stage("thinking"), "처리 중..."},
		{"en", Stage("thinking"), "Working..."},
	}
	for _, tt := range tests {
		if got := StatusText(tt.lang, tt.stage); got != tt.want {
			t.Errorf("StatusText(%q, %q) = %q, want %q", tt.lang, tt.stage, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short stays", "Hello world.", 20, "Hello world."},
		{"spaces collapse", "  Hello\n\n  world  ", 20, "Hello world"},
		{"heading marks go", "## Why SSE\n\nIt streams.", 40, "Why SSE It streams."},
		{"hashtags stay", "#go is fun", 40, "#go is fun"},
		{"cut at a word", "The quick brown fox jumps over the lazy dog", 20, "The quick brown fox…"},
		{"exact fit", "abcde", 5, "abcde"},
		{"cut before a space", "abcd efgh", 5, "abcd…"},
		{"trailing comma dropped", "one, two, three, four", 10, "one, two…"},
		{"korean at a word", "서버는 이벤트를 스트리밍으로 보냅니다", 12, "서버는 이벤트를…"},
		{"long run cut at a rune", strings.Repeat("가", 30), 10, strings.Repeat("가", 9) + "…"},
		{"one rune", "abc", 1, "…"},
		{"default length", strings.Repeat("word ", 100), 0, strings.TrimSpace(strings.Repeat("word ", 48)) + "…"}, // 239 runes and "…",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Snippet(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Snippet(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("## Title\nSome text, with words 그리고 한국어.", 10)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 1000
		got := Snippet(s, n)
		if n <= 0 {
			n = DefaultSnippetRunes
		}
		if c := utf8.RuneCountInString(got); c > n {
			t.Fatalf("Snippet(%q, %d) = %q: %d runes", s, n, got, c)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Snippet(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
	})
}
