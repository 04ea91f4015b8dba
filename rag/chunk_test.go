package rag

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// update rewrites golden files: go test ./rag/ -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata file name, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; run with -update if the change is right):\n%s", path, diff)
	}
}

// checkChunks fails t unless spans split text as SplitText promises:
// non-empty trimmed chunks within the limit, in order, together covering
// every non-space rune, without overlap unless asked for.
func checkChunks(t *testing.T, text string, opts ChunkOptions, spans []chunkSpan) {
	t.Helper()
	limit, overlap := opts.limits()
	covered := 0 // text[:covered] is covered
	prevStart := -1
	for i, s := range spans {
		chunk := text[s.start:s.end]
		if strings.TrimSpace(chunk) == "" {
			t.Fatalf("chunk %d is empty: %q", i, chunk)
		}
		if strings.TrimFunc(chunk, unicode.IsSpace) != chunk {
			t.Errorf("chunk %d is not trimmed: %q", i, chunk)
		}
		if n := EstimateTokens(chunk); n > limit {
			t.Errorf("chunk %d has %d tokens, limit %d: %q", i, n, limit, chunk)
		}
		if s.start <= prevStart {
			t.Errorf("chunk %d starts at %d, not after the previous start %d", i, s.start, prevStart)
		}
		if overlap == 0 && s.start < covered {
			t.Errorf("chunk %d starts at %d inside the previous chunk (ends %d) without overlap", i, s.start, covered)
		}
		if gap := text[min(covered, s.start):s.start]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
			t.Errorf("text before chunk %d is lost: %q", i, gap)
		}
		covered = max(covered, s.end)
		prevStart = s.start
	}
	if rest := text[covered:]; strings.TrimFunc(rest, unicode.IsSpace) != "" {
		t.Errorf("text after the last chunk is lost: %q", rest)
	}
}

func TestSplitTextGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "chunk", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in testdata/chunk: %v", err)
	}
	configs := []ChunkOptions{{}, {MaxTokens: 40}, {MaxTokens: 40, OverlapTokens: 15}}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, opts := range configs {
				spans := splitSpans(string(in), opts)
				checkChunks(t, string(in), opts, spans)
				fmt.Fprintf(&b, "=== MaxTokens %d, OverlapTokens %d: %d chunks\n", opts.MaxTokens, opts.OverlapTokens, len(spans))
				for i, s := range SplitText(string(in), opts) {
					fmt.Fprintf(&b, "--- %d · %q · %d tokens\n%s\n", i+1, s.Heading, EstimateTokens(s.Text), s.Text)
				}
			}
			golden(t, filepath.Join("chunk", strings.TrimSuffix(filepath.Base(file), ".md")+".golden"), b.String())
		})
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts ChunkOptions
		want []Section
	}{
		{"empty", "", ChunkOptions{}, nil},
		{"only space", " \n\t\n  ", ChunkOptions{}, nil},
		{"plain", "Hello world.", ChunkOptions{}, []Section{{"", "Hello world."}}},
		{
			"heading path", "# A\n\nintro\n\n## B\n\nbee\n\n### C\nsee\n\n## D\n\ndee",
			ChunkOptions{},
			[]Section{{"A", "# A\n\nintro"}, {"A > B", "## B\n\nbee"}, {"A > B > C", "### C\nsee"}, {"A > D", "## D\n\ndee"}},
		},
		{
			"heading without body is carried into the next section",
			"# Guide\n## Setup\nRun it.", ChunkOptions{},
			[]Section{{"Guide > Setup", "# Guide\n## Setup\nRun it."}},
		},
		{
			"trailing heading is kept", "text\n\n# End", ChunkOptions{},
			[]Section{{"", "text"}, {"End", "# End"}},
		},
		{
			"closing hashes and setext", "Title\n=====\n\n## Sub ##\n\nbody", ChunkOptions{},
			[]Section{{"Title > Sub", "Title\n=====\n\n## Sub ##\n\nbody"}},
		},
		{
			"hash lines in code are not headings", "# Run\n\n```sh\n# build\nmake\n```\n\n#hashtag is text",
			ChunkOptions{},
			[]Section{{"Run", "# Run\n\n```sh\n# build\nmake\n```\n\n#hashtag is text"}},
		},
		{
			"paragraphs are packed whole",
			"one two three four five six seven eight nine ten eleven twelve.\n\n" +
				"alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu.\n\n" +
				"uno dos tres.",
			ChunkOptions{MaxTokens: 30},
			[]Section{
				{"", "one two three four five six seven eight nine ten eleven twelve."},
				{"", "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu.\n\nuno dos tres."},
			},
		},
		{
			"long paragraph splits at Korean sentence ends",
			"첫째 문장은 여기서 끝납니다. 둘째 문장도 여기서 끝나요. 셋째 문장은 질문인가요? 넷째 문장입니다.",
			ChunkOptions{MaxTokens: 20},
			[]Section{{"", "첫째 문장은 여기서 끝납니다."}, {"", "둘째 문장도 여기서 끝나요."}, {"", "셋째 문장은 질문인가요? 넷째 문장입니다."}},
		},
		{
			"a long list splits between items, not inside one",
			"- Alpha is first. It has two sentences.\n- Beta is second.\n- Gamma is third. It also has two.",
			ChunkOptions{MaxTokens: 16},
			[]Section{
				{"", "- Alpha is first. It has two sentences."},
				{"", "- Beta is second."},
				{"", "- Gamma is third. It also has two."},
			},
		},
		{
			"overlap repeats whole sentences",
			"Alpha one is first. Beta two is second. Gamma three is third. Delta four is fourth.",
			ChunkOptions{MaxTokens: 16, OverlapTokens: 8},
			[]Section{
				{"", "Alpha one is first. Beta two is second."},
				{"", "Beta two is second. Gamma three is third."},
				{"", "Gamma three is third. Delta four is fourth."},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitText(tt.in, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SplitText(%q) (-want +got):\n%s", tt.in, diff)
			}
			checkChunks(t, tt.in, tt.opts, splitSpans(tt.in, tt.opts))
		})
	}
}

func TestSentenceCuts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"Use e.g. Ollama. Then stop.", []string{"Use e.g. Ollama.", "Then stop."}},
		{"Pi is 3.14 today. Yes.", []string{"Pi is 3.14 today.", "Yes."}},
		{"Ask Mr. Kim. He knows.", []string{"Ask Mr. Kim.", "He knows."}},
		{"See J. R. Tolkien. Next.", []string{"See J. R. Tolkien.", "Next."}},
		{"It took 15 s. Then it ended.", []string{"It took 15 s.", "Then it ended."}},
		{"He said \"stop.\" Then left.", []string{"He said \"stop.\"", "Then left."}},
		{"Wait... what? Yes!? Fine.", []string{"Wait... what?", "Yes!?", "Fine."}},
		{"Visit example.com. It works.", []string{"Visit example.com.", "It works."}},
		{"서버는 SSE를 씁니다. 이유는 간단해요! 정말요?", []string{"서버는 SSE를 씁니다.", "이유는 간단해요!", "정말요?"}},
		{"这是第一句。这是第二句！好吗？", []string{"这是第一句。", "这是第二句！", "好吗？"}},
		{"Steps:\n1. Install it.\n2. Run it.", []string{"Steps:", "1. Install it.", "2. Run it."}},
		{"| a | b |\n| 1 | 2 |", []string{"| a | b |", "| 1 | 2 |"}},
		{"In 2024. Then more.", []string{"In 2024.", "Then more."}},
	}
	for _, tt := range tests {
		var got []string
		prev := 0
		for _, c := range append(sentenceCuts(tt.in), len(tt.in)) {
			got = append(got, strings.TrimSpace(tt.in[prev:c]))
			prev = c
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("sentences of %q (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestHardSplit(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"at a clause", "aaaa bbbb cccc dddd, eeee ffff gggg hhhh", 6, []string{"aaaa bbbb cccc dddd, ", "eeee ffff gggg hhhh"}},
		{"at a word", "aaaa bbbb cccc dddd eeee ffff", 3, []string{"aaaa bbbb cccc", " dddd eeee ffff"}},
		{"a long word at runes", strings.Repeat("가", 40), 16, []string{strings.Repeat("가", 16), strings.Repeat("가", 16), strings.Repeat("가", 8)}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range hardSplit(tt.in, tt.limit) {
			got = append(got, tt.in[c[0]:c[1]])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: hardSplit(%q, %d) (-want +got):\n%s", tt.name, tt.in, tt.limit, diff)
		}
	}
}

func FuzzSplitText(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "chunk", "*.md"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(string(b), 40, 10)
		}
	}
	f.Add("# A\n\n## B\nx. Y! 다. 요.\n```\n# c\n", 16, 0)
	f.Add("Title\n---\n\n- a. b\n- c\n\n| x |\n| y |", 0, 0)
	f.Add(strings.Repeat("😀", 50)+" "+strings.Repeat("é", 100), 17, 8)
	f.Fuzz(func(t *testing.T, text string, maxTokens, overlap int) {
		opts := ChunkOptions{MaxTokens: maxTokens % 400, OverlapTokens: overlap % 400}
		spans := splitSpans(text, opts)
		checkChunks(t, text, opts, spans)
		// The words of the text appear in the chunks, in order (without
		// overlap, exactly: no word is repeated).
		if _, ov := opts.limits(); ov == 0 {
			var joined strings.Builder
			for _, s := range SplitText(text, opts) {
				joined.WriteString(s.Text)
			}
			if got, want := nonSpace(joined.String()), nonSpace(text); got != want {
				t.Errorf("non-space text differs:\n got %q\nwant %q", got, want)
			}
		}
	})
}

// nonSpace drops every space rune, keeping invalid bytes as they are.
func nonSpace(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if !unicode.IsSpace(r) {
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

func BenchmarkSplitText(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "chunk", "*.md"))
	var text strings.Builder
	for _, f := range files {
		in, _ := os.ReadFile(f)
		text.Write(in)
		text.WriteString("\n\n")
	}
	s := text.String()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		SplitText(s, ChunkOptions{})
	}
}
