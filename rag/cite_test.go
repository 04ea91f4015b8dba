package rag

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCitations(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []int
	}{
		{"none", "No citations here.", 5, []int{}},
		{"single", "SSE reconnects [2].", 5, []int{2}},
		{"adjacent", "Yes [3][1].", 5, []int{1, 3}},
		{"list", "Yes [1, 4] and [2,3].", 5, []int{1, 2, 3, 4}},
		{"range", "See [2-4].", 5, []int{2, 3, 4}},
		{"en dash range", "See [1–2].", 5, []int{1, 2}},
		{"range clipped", "See [4-9].", 5, []int{4, 5}},
		{"reversed range is not a citation", "See [3-1].", 5, []int{}},
		{"repeats once", "[1] a [1] b [1]", 5, []int{1}},
		{"out of range", "[0] [6] [99999] [5]", 5, []int{5}},
		{"korean without a space", "SSE입니다[1]. 재연결됩니다[2].", 5, []int{1, 2}},
		{"full-width brackets", "답【1】 and ［2］", 5, []int{1, 2}},
		{"ideographic comma", "[1、2]", 5, []int{1, 2}},
		{"not numbers", "[x] [1a] [^1] [] [ ] [1,,2] [,1] [-1]", 5, []int{}},
		{"markdown link", "see [1](https://example.com)", 5, []int{}},
		{"inline code", "use `arr[1]` then [2]", 5, []int{2}},
		{"double backtick code", "``a ` [1]`` [3]", 5, []int{3}},
		{"fenced code", "text [1]\n```go\nx := a[2]\n```\nmore [3]", 5, []int{1, 3}},
		{"unclosed fence", "text [1]\n```\nx[2]", 5, []int{1}},
		{"unclosed backtick is text", "a ` b [2]", 5, []int{2}},
		{"max zero", "[1]", 0, []int{}},
		{"spaces inside", "[ 1 , 2 ]", 5, []int{1, 2}},
		{"unclosed bracket", "see [1", 5, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Citations(tt.in, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Citations(%q, %d) (-want +got):\n%s", tt.in, tt.max, diff)
			}
		})
	}
}

func TestStripCitations(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SSE streams [1].", "SSE streams."},
		{"SSE streams [1][2], fast [3-4].", "SSE streams, fast."},
		{"over HTTP [1], [2-3].", "over HTTP."},
		{"재연결됩니다[2].", "재연결됩니다."},
		{"keep `a[1]` and [x]", "keep `a[1]` and [x]"},
		{"no marks", "no marks"},
	}
	for _, tt := range tests {
		if got := StripCitations(tt.in); got != tt.want {
			t.Errorf("StripCitations(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCitations(f *testing.F) {
	f.Add("a [1] b [2, 3] c [4-6] `[7]` [x]", 5)
	f.Add("```\n[1]\n``` [2]【3】［4］[1–2]", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 10000
		got := Citations(s, max)
		for i, n := range got {
			if n < 1 || n > max {
				t.Fatalf("Citations(%q, %d) = %v: %d out of range", s, max, got, n)
			}
			if i > 0 && got[i-1] >= n {
				t.Fatalf("Citations(%q, %d) = %v: not ascending and distinct", s, max, got)
			}
		}
		// Stripping removes something whenever there is a citation, and
		// never adds anything.
		stripped := StripCitations(s)
		if len(stripped) > len(s) {
			t.Fatalf("StripCitations(%q) = %q grew", s, stripped)
		}
		if c := Citations(s, 9999); len(c) > 0 && stripped == s {
			t.Fatalf("StripCitations(%q) left citations %v", s, c)
		}
	})
}
