package offline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
)

func passage(text string) rag.Passage {
	return rag.Passage{Chunk: rag.Chunk{Text: text}}
}

var (
	sseDoc = passage("# Server-Sent Events\n\nServer-Sent Events (SSE) let a server push text to the browser over one HTTP response. " +
		"The browser reconnects by itself and sends Last-Event-ID. Cats are not involved.")
	configDoc = passage("Configuration uses flags. Every flag has a RAGCHAT_ environment twin, for example RAGCHAT_ADDR.")
	koDoc     = passage("SSE는 서버가 HTTP 응답 하나로 브라우저에 이벤트를 보내는 방식입니다. 연결이 끊기면 브라우저가 다시 연결합니다.\n\n고양이는 관련이 없습니다.")
)

const (
	enHead = "Offline extractive answer (not an LLM) — the most relevant sentences from the documents:\n\n"
	koHead = "오프라인 추출형 답변(LLM 아님) — 문서에서 질문과 가장 관련 있는 문장입니다:\n\n"
	enNone = "Offline extractive answer (not an LLM): the documents do not contain an answer to this question."
	koNone = "오프라인 추출형 답변(LLM 아님): 검색된 문서에는 이 질문에 대한 답이 없습니다."
)

func TestExtractive(t *testing.T) {
	tests := []struct {
		name     string
		lang     string
		question string
		passages []rag.Passage
		max      int
		want     string
	}{
		{
			name: "english", lang: "en", question: "What is SSE and how does it reconnect?",
			passages: []rag.Passage{configDoc, sseDoc},
			want: enHead + "Server-Sent Events (SSE) let a server push text to the browser over one HTTP response. [2] " +
				"The browser reconnects by itself and sends Last-Event-ID. [2]",
		},
		{
			name: "korean", lang: "ko", question: "SSE가 무엇인가요?",
			passages: []rag.Passage{koDoc},
			want:     koHead + "SSE는 서버가 HTTP 응답 하나로 브라우저에 이벤트를 보내는 방식입니다. [1]",
		},
		{
			name: "korean by detection", lang: "", question: "브라우저가 다시 연결하나요?",
			passages: []rag.Passage{koDoc},
			want:     koHead + "연결이 끊기면 브라우저가 다시 연결합니다. [1]",
		},
		{
			name: "one paragraph per source", lang: "en", question: "flag twin browser push",
			passages: []rag.Passage{sseDoc, configDoc},
			want: enHead + "Server-Sent Events (SSE) let a server push text to the browser over one HTTP response. [1] " +
				"The browser reconnects by itself and sends Last-Event-ID. [1]\n\n" +
				"Every flag has a RAGCHAT_ environment twin, for example RAGCHAT_ADDR. [2]",
		},
		{
			name: "best sentence first", lang: "en", question: "alpha beta gamma",
			passages: []rag.Passage{passage("Alpha beta. Gamma delta beta alpha.")},
			want:     enHead + "Gamma delta beta alpha. [1] Alpha beta. [1]",
		},
		{
			name: "the best sentence first when only one fits", lang: "en", question: "alpha beta gamma", max: 1,
			passages: []rag.Passage{passage("Alpha beta. Gamma delta beta alpha.")},
			want:     enHead + "Gamma delta beta alpha. [1]",
		},
		{
			name: "max sentences", lang: "en", question: "browser", max: 1,
			passages: []rag.Passage{sseDoc},
			want:     enHead + "Server-Sent Events (SSE) let a server push text to the browser over one HTTP response. [1]",
		},
		{
			name: "duplicate sentence quoted once", lang: "en", question: "RAGCHAT_ADDR twin",
			passages: []rag.Passage{configDoc, configDoc},
			want:     enHead + "Every flag has a RAGCHAT_ environment twin, for example RAGCHAT_ADDR. [1]",
		},
		{
			name: "list introductions are not quoted", lang: "en", question: "Which providers exist?",
			passages: []rag.Passage{passage("Two providers exist:\n- Ollama\n- OpenAI")},
			want:     enNone,
		},
		{
			name: "a matching sentence in the question's language wins", lang: "ko", question: "SSE 재연결",
			passages: []rag.Passage{sseDoc, koDoc},
			want:     koHead + "연결이 끊기면 브라우저가 다시 연결합니다. [2] SSE는 서버가 HTTP 응답 하나로 브라우저에 이벤트를 보내는 방식입니다. [2]",
		},
		{name: "nothing relevant", lang: "en", question: "What is the capital of France?", passages: []rag.Passage{sseDoc}, want: enNone},
		{name: "nothing relevant in korean", lang: "ko", question: "프랑스의 수도는 어디인가요?", passages: []rag.Passage{koDoc}, want: koNone},
		{name: "no passages", lang: "en", question: "What is SSE?", want: enNone},
		{name: "only stopwords", lang: "en", question: "what is it?", passages: []rag.Passage{sseDoc}, want: enNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewExtractive()
			if tt.max != 0 {
				e.MaxSentences = tt.max
			}
			var toks []string
			gen, err := e.Generate(context.Background(), rag.GenerateRequest{Lang: tt.lang, Question: tt.question, Passages: tt.passages},
				func(tok string) error {
					toks = append(toks, tok)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, strings.Join(toks, "")); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			want := rag.Generation{FinishReason: "stop", Model: ExtractiveModel, Usage: rag.Usage{CompletionTokens: len(toks), TotalTokens: len(toks)}}
			if diff := cmp.Diff(want, gen); diff != "" {
				t.Errorf("generation (-want +got):\n%s", diff)
			}
			// Tokens are words with the space after them.
			for i, tok := range toks {
				word := strings.TrimRight(tok, " \n")
				if word == "" || strings.ContainsAny(word, " \n") || i < len(toks)-1 && word == tok {
					t.Errorf("token %d = %q is not one word with its following space", i, tok)
				}
			}
		})
	}
}

func TestExtractiveStops(t *testing.T) {
	req := rag.GenerateRequest{Lang: "en", Question: "What is SSE?", Passages: []rag.Passage{sseDoc}}
	boom := errors.New("client gone")
	tests := []struct {
		name    string
		delay   time.Duration
		cancel  int // cancel ctx at this token (1-based); 0 never
		failAt  int // the token callback fails at this token
		wantErr error
		wantN   int
	}{
		{name: "cancel mid-answer", cancel: 2, wantErr: context.Canceled, wantN: 2},
		{name: "cancel during a delay", delay: time.Millisecond, cancel: 3, wantErr: context.Canceled, wantN: 3},
		{name: "token error", failAt: 4, wantErr: boom, wantN: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e := &Extractive{TokenDelay: tt.delay}
			n := 0
			_, err := e.Generate(ctx, req, func(string) error {
				n++
				if n == tt.cancel {
					cancel()
				}
				if n == tt.failAt {
					return boom
				}
				return nil
			})
			if err != tt.wantErr || n != tt.wantN {
				t.Errorf("err, tokens = %v, %d; want %v, %d", err, n, tt.wantErr, tt.wantN)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"lines join", "A sentence\nthat wraps. Next.", []string{"A sentence that wraps.", "Next."}},
		{"heading and code skipped", "# Title\n\nText here.\n```\ncode. more.\n```\nAfter.", []string{"Text here.", "After."}},
		{"list items", "Intro:\n- first item\n- second. item\n1. numbered", []string{"Intro:", "first item", "second.", "item", "numbered"}},
		{"abbreviations and versions", "Use e.g. go-openai v1.43.0 here. Done.", []string{"Use e.g. go-openai v1.43.0 here.", "Done."}},
		{"quotes stay", `He said "stop." Then left.`, []string{`He said "stop."`, "Then left."}},
		{"korean", "SSE는 표준입니다. 브라우저가 지원합니다。끝", []string{"SSE는 표준입니다.", "브라우저가 지원합니다。", "끝"}},
		{"punctuation only", "... --- !!", nil},
		{"ellipsis inside quotes and brackets", `상태 문구의 언어를 고릅니다("문서 검색 중...", "답변 생성 중..."). 다음 문장입니다.`,
			[]string{`상태 문구의 언어를 고릅니다("문서 검색 중...", "답변 생성 중...").`, "다음 문장입니다."}},
		{"brackets", "It retries (at most twice. Then it stops) quietly. Next.", []string{"It retries (at most twice. Then it stops) quietly.", "Next."}},
		{"code span", "Run `make test. Then` first. Then go.", []string{"Run `make test. Then` first.", "Then go."}},
		{"dotted abbreviation", "He joined the U.S. Senate in 1990. In the U.S. The next year he left.",
			[]string{"He joined the U.S. Senate in 1990.", "In the U.S.", "The next year he left."}},
		{"lower case goes on after an ellipsis", "Wait... and then go. Next.", []string{"Wait... and then go.", "Next."}},
		{"a lower-case name starts a sentence", "It is the classic one. ragchat uses it.", []string{"It is the classic one.", "ragchat uses it."}},
		{"titles and initials", "Dr. Smith met Samuel K. Cohn, Jr. in May. Later.", []string{"Dr. Smith met Samuel K. Cohn, Jr. in May.", "Later."}},
		{"stops together", "Really?! Yes.", []string{"Really?!", "Yes."}},
		{"unclosed quote", `He said "stop. Then left. Fine.`, []string{`He said "stop.`, "Then left.", "Fine."}},
		{"long", strings.Repeat("가", 400), []string{strings.Repeat("가", maxQuoteRunes) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sentences(tt.in)); diff != "" {
				t.Errorf("sentences (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSentences(f *testing.F) {
	f.Add("One. Two! 세 번째입니다.\n\n# H\n- item\n```\ncode\n```")
	f.Add(`"Quoted." (Bracket.) e.g. v1.2.3 。`)
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range sentences(text) {
			if s == "" || strings.ContainsAny(s, "\n\t") || s != strings.TrimSpace(s) {
				t.Fatalf("bad sentence %q of %q", s, text)
			}
			if n := len([]rune(s)); n > maxQuoteRunes+1 {
				t.Fatalf("sentence of %d runes", n)
			}
		}
	})
}

func TestSplitTokens(t *testing.T) {
	in := "Offline answer:\n\nA b [1]"
	want := []string{"Offline ", "answer:\n\n", "A ", "b ", "[1]"}
	if diff := cmp.Diff(want, splitTokens(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzExtractive(f *testing.F) {
	f.Add("What is SSE?", "SSE streams events. 브라우저가 다시 연결합니다.\n\n- item", "en")
	f.Add("SSE가 무엇인가요", "# H\nSSE는 표준입니다.", "ko")
	f.Fuzz(func(t *testing.T, question, text, lang string) {
		var b strings.Builder
		gen, err := NewExtractive().Generate(context.Background(),
			rag.GenerateRequest{Lang: lang, Question: question, Passages: []rag.Passage{passage(text), passage(text)}},
			func(tok string) error {
				b.WriteString(tok)
				return nil
			})
		if err != nil || gen.FinishReason != "stop" {
			t.Fatalf("err, finish = %v, %q", err, gen.FinishReason)
		}
		if got := b.String(); !strings.HasPrefix(got, "Offline extractive answer (not an LLM)") && !strings.HasPrefix(got, "오프라인 추출형 답변(LLM 아님)") {
			t.Fatalf("answer %q does not say what it is", got)
		}
	})
}

// BenchmarkExtractive answers over five passages of about 1,000 characters.
func BenchmarkExtractive(b *testing.B) {
	var ps []rag.Passage
	for range 5 {
		ps = append(ps, passage(strings.Repeat(sseDoc.Chunk.Text+" ", 4)+koDoc.Chunk.Text))
	}
	req := rag.GenerateRequest{Lang: "en", Question: "How does the browser reconnect after SSE drops?", Passages: ps}
	e := NewExtractive()
	for b.Loop() {
		if _, err := e.Generate(context.Background(), req, func(string) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFirstSentence checks, on the cases in testdata/first_sentence.json,
// that the answer's first quoted sentence is the one that answers the
// question. The expected sentences were chosen by reading the passages,
// not copied from the output, so there is no -update for this file.
func TestFirstSentence(t *testing.T) {
	b, err := os.ReadFile("testdata/first_sentence.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name     string   `json:"name"`
		Question string   `json:"question"`
		Passages []string `json:"passages"`
		First    string   `json:"first"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var ps []rag.Passage
			for _, p := range c.Passages {
				ps = append(ps, passage(p))
			}
			got := NewExtractive().Sentences(rag.GenerateRequest{Question: c.Question, Passages: ps})
			if len(got) == 0 || got[0] != c.First {
				t.Errorf("question %q: quoted\n%q\nwant first %q", c.Question, got, c.First)
			}
		})
	}
}
