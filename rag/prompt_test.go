package rag

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   ", 0},
		{"hello", 2},               // 5 letters → ⌈5/4⌉
		{"hello world", 4},         // per word
		{"a b c d", 4},             // short words cost a token each
		{"안녕하세요", 5},               // one per Hangul syllable
		{"SSE가 무엇인가요?", 1 + 6 + 1}, // mixed: "SSE", 6 syllables, "?"
		{"2024", 2},                // ⌈4/3⌉
		{"3.14", 3},                // "3", ".", "14"
		{"a\n\nb", 3},              // a line break run costs one
		{"a \n \n b", 3},           //  however it is spaced
		{"café", 2},                // é counts as two letters
		{"😀", 2},
		{"检索增强", 4},
		{"カタカナ", 4},
		{"[1]", 3},
	}
	for _, tt := range tests {
		if got := EstimateTokens(tt.in); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzEstimateTokens(f *testing.F) {
	f.Add("hello world 안녕 3.14\n\n😀", 3)
	f.Fuzz(func(t *testing.T, s string, at int) {
		n := EstimateTokens(s)
		if n < 0 || n > 2*len(s) {
			t.Fatalf("EstimateTokens(%q) = %d, outside [0, 2·len]", s, n)
		}
		// Splitting never makes the parts cheaper than the whole (the
		// chunker's packing relies on it).
		if len(s) > 0 {
			at = ((at % len(s)) + len(s)) % len(s)
			if a, b := EstimateTokens(s[:at]), EstimateTokens(s[at:]); a+b < n {
				t.Fatalf("%q split at %d: %d + %d < %d", s, at, a, b, n)
			}
		}
		// prefixWithin agrees with EstimateTokens.
		for _, limit := range []int{0, 1, 2, 5} {
			p := prefixWithin(s, limit)
			if EstimateTokens(s[:p]) > limit {
				t.Fatalf("prefixWithin(%q, %d) = %d: over the limit", s, limit, p)
			}
		}
	})
}

// promptFixture is a conversation about ragchat in lang.
func promptFixture(lang string) PromptInput {
	if lang == LangKorean {
		return PromptInput{
			Lang:     "ko-KR",
			Question: "연결이 끊기면 답변은 어떻게 되나요?",
			Passages: []Passage{
				{Chunk: Chunk{Title: "SSE 스트리밍", Heading: "SSE 스트리밍 > 재연결", Text: "브라우저는 연결이 끊기면 Last-Event-ID 헤더와 함께 자동으로 다시 연결합니다."}, Score: 0.9},
				{Chunk: Chunk{Title: "실행 재개와 중지", Heading: "", Text: "실행은 HTTP 요청과 분리되어 있어서, 탭을 닫아도 유예 시간 동안 계속됩니다."}, Score: 0.7},
			},
			History: []Message{
				{Role: RoleUser, Content: "SSE가 무엇인가요?", Status: StatusComplete},
				{Role: RoleAssistant, Content: "SSE는 서버가 클라이언트로 이벤트를 보내는 HTTP 방식입니다 [1][2].", Status: StatusComplete},
			},
		}
	}
	return PromptInput{
		Lang:     "en",
		Question: "What happens to an answer when the connection drops?",
		Passages: []Passage{
			{Chunk: Chunk{Title: "Streaming with SSE", Heading: "Streaming with SSE > Reconnecting", Text: "When the connection drops, the browser reconnects by itself and sends the Last-Event-ID header."}, Score: 0.9},
			{Chunk: Chunk{Title: "Resuming and stopping runs", Text: "A run is detached from the HTTP request: closing the tab does not cancel it at once."}, Score: 0.7},
			{Chunk: Chunk{Heading: "Untitled > Notes", Text: "A passage without a title."}, Score: 0.1},
		},
		History: []Message{
			{Role: RoleAssistant, Content: "Hello! Ask me about ragchat.", Status: StatusComplete},
			{Role: RoleUser, Content: "What is SSE?", Status: StatusComplete},
			{Role: RoleAssistant, Content: "SSE streams events from the server over HTTP [1], [2-3].", Status: StatusComplete},
		},
	}
}

// renderPrompt is a readable form of a prompt for golden files.
func renderPrompt(msgs []PromptMessage, fit PromptFit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fit: passages=%d history=%d tokens=%d\n", fit.Passages, fit.HistoryMessages, fit.Tokens)
	for _, m := range msgs {
		fmt.Fprintf(&b, "=== %s\n%s\n", m.Role, m.Content)
	}
	return b.String()
}

func TestBuildPromptGolden(t *testing.T) {
	for _, lang := range []string{LangEnglish, LangKorean} {
		t.Run(lang, func(t *testing.T) {
			msgs, fit := BuildPrompt(promptFixture(lang))
			golden(t, "prompt/"+lang+".golden", renderPrompt(msgs, fit))
		})
	}
}

func TestBuildPromptBudget(t *testing.T) {
	en := promptFixture(LangEnglish)
	full, fullFit := BuildPrompt(en)
	if fullFit.Passages != 3 || fullFit.HistoryMessages != 2 {
		t.Fatalf("default budget: fit %+v, want every passage and the history from its first user turn", fullFit)
	}
	// The fit of the whole prompt; budgets just below it drop history first.
	system := messageOverhead + EstimateTokens(full[0].Content) + replyOverhead
	tests := []struct {
		name        string
		in          func(PromptInput) PromptInput
		wantFit     func(PromptFit) bool
		wantHistory []Role
		desc        string
	}{
		{
			name:        "zero budget means the default",
			in:          func(in PromptInput) PromptInput { in.Budget = 0; return in },
			wantFit:     func(f PromptFit) bool { return f == fullFit },
			wantHistory: []Role{RoleUser, RoleAssistant}, // the leading assistant greeting is dropped
			desc:        "same as the default budget",
		},
		{
			name:        "tiny budget keeps the question only",
			in:          func(in PromptInput) PromptInput { in.Budget = 1; return in },
			wantFit:     func(f PromptFit) bool { return f.Passages == 0 && f.HistoryMessages == 0 },
			wantHistory: nil,
			desc:        "no passages, no history",
		},
		{
			name: "passages before history",
			in: func(in PromptInput) PromptInput {
				_, noHist := BuildPrompt(PromptInput{Lang: in.Lang, Question: in.Question, Passages: in.Passages})
				in.Budget = noHist.Tokens + 2 // not enough for any history message
				return in
			},
			wantFit:     func(f PromptFit) bool { return f.Passages == 3 && f.HistoryMessages == 0 },
			wantHistory: nil,
			desc:        "every passage, no history",
		},
		{
			name: "oldest history dropped first",
			in: func(in PromptInput) PromptInput {
				in.History = []Message{
					{Role: RoleUser, Content: "What is SSE?"},
					{Role: RoleAssistant, Content: "Server-Sent Events [1]."},
					{Role: RoleUser, Content: "Why not WebSocket?"},
					{Role: RoleAssistant, Content: "The flow is one-way [2]."},
				}
				_, all := BuildPrompt(in)
				in.Budget = all.Tokens - 1 // one token short of the oldest message
				return in
			},
			wantFit:     func(f PromptFit) bool { return f.Passages == 3 && f.HistoryMessages == 2 },
			wantHistory: []Role{RoleUser, RoleAssistant},
			desc:        "the last exchange (the first answer, alone, is dropped too: history starts with a user turn)",
		},
		{
			name: "a long passage is cut to fit",
			in: func(in PromptInput) PromptInput {
				in.Passages = append([]Passage(nil), in.Passages...)
				in.Passages[1].Chunk.Text = strings.Repeat("lorem ipsum dolor sit amet ", 200)
				in.History = nil
				in.Budget = system + 300
				return in
			},
			wantFit:     func(f PromptFit) bool { return f.Passages == 2 && f.HistoryMessages == 0 && f.Tokens <= system+300 },
			wantHistory: nil,
			desc:        "the first passage whole, the second cut",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in(en)
			msgs, fit := BuildPrompt(in)
			if !tt.wantFit(fit) {
				t.Errorf("fit %+v, want %s", fit, tt.desc)
			}
			var roles []Role
			for _, m := range msgs[1 : len(msgs)-1] {
				roles = append(roles, Role(m.Role))
			}
			if diff := cmp.Diff(tt.wantHistory, roles); diff != "" {
				t.Errorf("history roles (-want +got):\n%s", diff)
			}
			last := msgs[len(msgs)-1]
			if last.Role != "user" || !strings.HasSuffix(last.Content, "Question: "+in.Question) {
				t.Errorf("last message %q does not end with the question", last.Content)
			}
			if in.Budget > system+50 && fit.Tokens > in.Budget {
				t.Errorf("prompt of %d tokens is over the budget %d", fit.Tokens, in.Budget)
			}
			var total int
			for _, m := range msgs {
				total += messageOverhead + EstimateTokens(m.Content)
			}
			if total+replyOverhead != fit.Tokens {
				t.Errorf("fit.Tokens = %d, want %d", fit.Tokens, total+replyOverhead)
			}
			if strings.Contains(last.Content, fmt.Sprintf("[%d]", fit.Passages+1)) {
				t.Errorf("prompt has more sources than fit.Passages = %d", fit.Passages)
			}
		})
	}
}

func TestBuildPromptHistory(t *testing.T) {
	in := PromptInput{
		Lang:     "",
		Question: "그럼 중지는요?",
		History: []Message{
			{Role: RoleUser, Content: "재개는 어떻게 하나요?", Status: StatusComplete},
			{Role: RoleAssistant, Content: "Last-Event-ID로 재개합니다【1】.", Status: StatusStopped},
			{Role: RoleUser, Content: "   ", Status: StatusComplete},
			{Role: RoleAssistant, Content: "", Status: StatusError},
			{Role: RoleAssistant, Content: "still streaming", Status: StatusStreaming},
		},
	}
	msgs, fit := BuildPrompt(in)
	want := []PromptMessage{
		{Role: "system", Content: promptTexts[LangKorean].system},
		{Role: "user", Content: "재개는 어떻게 하나요?"},
		{Role: "assistant", Content: "Last-Event-ID로 재개합니다."},
		{Role: "user", Content: promptTexts[LangKorean].noSources + "\n\n질문: 그럼 중지는요?"},
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if fit.HistoryMessages != 5 || fit.Passages != 0 {
		t.Errorf("fit %+v, want the whole history (5) and no passages", fit)
	}
}

func TestFormatPassage(t *testing.T) {
	tests := []struct {
		title, heading, want string
	}{
		{"Guide", "Guide > Setup", "[2] Guide — Setup\nbody"},
		{"Guide", "Guide", "[2] Guide\nbody"},
		{"Guide", "Other > Setup", "[2] Guide — Other > Setup\nbody"},
		{"", "Setup", "[2] Setup\nbody"},
		{"", "", "[2]\nbody"},
	}
	for _, tt := range tests {
		got := formatPassage(2, Passage{Chunk: Chunk{Title: tt.title, Heading: tt.heading, Text: " body \n"}})
		if got != tt.want {
			t.Errorf("formatPassage(%q, %q) = %q, want %q", tt.title, tt.heading, got, tt.want)
		}
	}
}

func BenchmarkBuildPrompt(b *testing.B) {
	in := promptFixture(LangKorean)
	for i := range in.Passages {
		in.Passages[i].Chunk.Text = strings.Repeat(in.Passages[i].Chunk.Text+" ", 8)
	}
	for b.Loop() {
		BuildPrompt(in)
	}
}
