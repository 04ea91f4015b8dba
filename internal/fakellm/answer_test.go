package fakellm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultAnswer(t *testing.T) {
	tests := []struct {
		name string
		msgs []Message
		want string
	}{
		{"no messages", nil, NoAnswer},
		{"no source", []Message{{Role: "user", Content: "hi"}}, NoAnswer},
		{"empty source", []Message{{Role: "user", Content: "[1]   \n[2] x."}}, NoAnswer},
		{"first sentence", []Message{{Role: "user", Content: "[1] A b. C d."}}, "A b. [1]"},
		{"stops at source 2", []Message{{Role: "user", Content: "[1] no end [2] Other."}}, "no end [1]"},
		{"skips the title line", []Message{{Role: "user", Content: "[1] Title — heading\nText here. More."}}, "Text here. [1]"},
		{"keeps a title line that is a sentence", []Message{{Role: "user", Content: "[1] Intro.\nText here."}}, "Intro. [1]"},
		{"title only", []Message{{Role: "user", Content: "[1] Title\n"}}, "Title [1]"},
		{"korean", []Message{{Role: "user", Content: "[1] SSE는 서버가 보내는 이벤트입니다. 다음."}}, "SSE는 서버가 보내는 이벤트입니다. [1]"},
		{"last user message wins", []Message{{Role: "user", Content: "[1] Old."}, {Role: "assistant", Content: "[1] Mine."}, {Role: "user", Content: "[1] New."}}, "New. [1]"},
		{"long", []Message{{Role: "user", Content: "[1] " + strings.Repeat("w ", 100)}}, strings.TrimSpace(strings.Repeat("w ", maxAnswerWords)) + " [1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultAnswer(tt.msgs); got != tt.want {
				t.Errorf("DefaultAnswer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a b  c", []string{"a", " b", "  c"}},
		{"  a b ", []string{"  a", " b "}},
		{"한국어 문장 [1]", []string{"한국어", " 문장", " [1]"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Words(tt.in)); diff != "" {
			t.Errorf("Words(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzWords(f *testing.F) {
	f.Add("a b  c")
	f.Add(" 한국어\t문장 [1] ")
	f.Fuzz(func(t *testing.T, s string) {
		ws := Words(s)
		if got := strings.Join(ws, ""); got != s {
			t.Fatalf("Words(%q) joins to %q", s, got)
		}
		for i, w := range ws {
			if i > 0 && strings.TrimSpace(w) == "" {
				t.Fatalf("Words(%q)[%d] = %q has no word", s, i, w)
			}
		}
	})
}

func FuzzDefaultAnswer(f *testing.F) {
	f.Add("[1] A b. C d. [2] e.")
	f.Add("no sources")
	f.Fuzz(func(t *testing.T, s string) {
		got := DefaultAnswer([]Message{{Role: "user", Content: s}})
		if got != NoAnswer && !strings.HasSuffix(got, " [1]") {
			t.Fatalf("DefaultAnswer(%q) = %q", s, got)
		}
	})
}

func TestVector(t *testing.T) {
	a, b := Vector("Alpha beta", 8), Vector("alpha, BETA!", 8)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("case and punctuation changed the vector:\n%s", diff)
	}
	var norm float32
	for _, f := range Vector("x y z", 8) {
		norm += f * f
	}
	if norm < 0.999 || norm > 1.001 {
		t.Errorf("norm² = %v, want 1", norm)
	}
	if got := Vector("", 4); !cmp.Equal(got, []float32{1, 0, 0, 0}) {
		t.Errorf("Vector(\"\") = %v", got)
	}
}
