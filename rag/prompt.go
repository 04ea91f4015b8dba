package rag

import (
	"strconv"
	"strings"
	"unicode"
)

// DefaultPromptBudget is the prompt size in estimated tokens (EstimateTokens)
// when PromptInput.Budget is 0: a quarter of the 8k context of the smallest
// models worth using for RAG at 1 token per Hangul syllable, so that even an
// underestimate by 2x leaves room for the answer.
const DefaultPromptBudget = 3000

// Token accounting of the chat format, as OpenAI documents it for its
// models: each message costs a few tokens of framing, and the reply is
// primed with a few more.
const (
	messageOverhead = 4
	replyOverhead   = 3
	// minTruncatedPassage is the least room worth filling with the start of
	// a passage that does not fit whole.
	minTruncatedPassage = 64
)

// PromptInput is what BuildPrompt builds from.
type PromptInput struct {
	Lang     string    // "ko" or "en" (or a tag NormalizeLang knows); "" detects it from Question
	Question string    // always included, even when it alone is over Budget
	Passages []Passage // best first; Passages[i] is cited as [i+1]
	History  []Message // earlier turns, oldest first
	Budget   int       // estimated tokens; <= 0 means DefaultPromptBudget
}

// PromptFit tells what BuildPrompt kept.
type PromptFit struct {
	// Passages is how many of the first passages the prompt holds (the last
	// one possibly cut short): pass in.Passages[:Passages] to the generator.
	Passages int
	// HistoryMessages is the length of the suffix of in.History the prompt
	// draws on (messages without content in it are left out).
	HistoryMessages int
	// Tokens is the estimated size of the prompt, framing included.
	Tokens int
}

// BuildPrompt builds the chat prompt of an answer: a system message in the
// request's language with the rules (answer only from the numbered sources,
// cite them as [n], say plainly when they do not hold the answer, answer in
// the question's language); then the most recent history turns; then a user
// message with the numbered sources ("[1] Title — heading" and the text)
// and the question.
//
// Within the budget the question comes first (it is always included),
// then the passages in rank order, then history from the newest message
// back; the oldest turns are dropped first. Kept history starts with a
// user message, and citation marks are taken out of earlier answers: their
// numbers referred to other sources.
func BuildPrompt(in PromptInput) ([]PromptMessage, PromptFit) {
	budget := in.Budget
	if budget <= 0 {
		budget = DefaultPromptBudget
	}
	lang := NormalizeLang(in.Lang)
	if lang == "" {
		lang = DetectLang(in.Question)
	}
	t := promptTexts[lang]
	question := strings.TrimSpace(in.Question)

	// The fixed part: the system message and the question. The parts of the
	// user message are joined by blank lines, which the estimate counts
	// exactly as the "+ 1"s below.
	used := replyOverhead + 2*messageOverhead + EstimateTokens(t.system) +
		EstimateTokens(t.question+question) + 1

	var sources []string
	for _, p := range in.Passages {
		s := formatPassage(len(sources)+1, p)
		cost := EstimateTokens(s) + 1
		if len(sources) == 0 {
			cost += EstimateTokens(t.sources)
		}
		if used+cost <= budget {
			sources = append(sources, s)
			used += cost
			continue
		}
		header := cost - EstimateTokens(s) - 1
		if room := budget - used - header; room >= minTruncatedPassage {
			if s, cost := truncatePassage(s, room-1); s != "" {
				sources = append(sources, s)
				used += header + cost + 1
			}
		}
		break
	}
	if len(sources) == 0 {
		used += EstimateTokens(t.noSources)
	}

	// History, newest first, while it fits.
	first := len(in.History)
	for i := len(in.History) - 1; i >= 0; i-- {
		content := historyContent(in.History[i])
		if content == "" {
			continue
		}
		cost := messageOverhead + EstimateTokens(content)
		if used+cost > budget {
			break
		}
		used += cost
		first = i
	}
	// Start the history with a user turn: some chat templates require it.
	for first < len(in.History) && (in.History[first].Role != RoleUser || historyContent(in.History[first]) == "") {
		first++
	}

	msgs := []PromptMessage{{Role: "system", Content: t.system}}
	for _, m := range in.History[first:] {
		if c := historyContent(m); c != "" {
			msgs = append(msgs, PromptMessage{Role: string(m.Role), Content: c})
		}
	}
	var user strings.Builder
	if len(sources) == 0 {
		user.WriteString(t.noSources)
	} else {
		user.WriteString(t.sources)
		for _, s := range sources {
			user.WriteString("\n\n")
			user.WriteString(s)
		}
	}
	user.WriteString("\n\n")
	user.WriteString(t.question)
	user.WriteString(question)
	msgs = append(msgs, PromptMessage{Role: "user", Content: user.String()})

	fit := PromptFit{Passages: len(sources), HistoryMessages: len(in.History) - first, Tokens: replyOverhead}
	for _, m := range msgs {
		fit.Tokens += messageOverhead + EstimateTokens(m.Content)
	}
	return msgs, fit
}

// formatPassage renders passage p as source n: "[n] Title — heading" and
// its text on the next lines. A heading path that starts with the title
// (the document's own "# Title") is not repeated.
func formatPassage(n int, p Passage) string {
	title := strings.TrimSpace(p.Chunk.Title)
	heading := strings.TrimSpace(p.Chunk.Heading)
	if title != "" {
		if heading == title {
			heading = ""
		} else {
			heading = strings.TrimPrefix(heading, title+" > ")
		}
	}
	label := title
	switch {
	case label == "":
		label = heading
	case heading != "":
		label += " — " + heading
	}
	s := "[" + strconv.Itoa(n) + "]"
	if label != "" {
		s += " " + label
	}
	return s + "\n" + strings.TrimSpace(p.Chunk.Text)
}

// truncatePassage cuts a formatted passage to at most room tokens, at a
// word boundary, ending in "…". It returns "" when not even its label
// line and a little text fit.
func truncatePassage(s string, room int) (string, int) {
	n := prefixWithin(s, room-1) // one token for the ellipsis
	nl := strings.IndexByte(s, '\n')
	if nl < 0 || n <= nl+1 {
		return "", 0
	}
	cut := s[:n]
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > nl+(n-nl)/2 {
		cut = cut[:i]
	}
	cut = strings.TrimRightFunc(cut, unicode.IsSpace) + "…"
	return cut, EstimateTokens(cut)
}

// historyContent is the text of an earlier message as the prompt shows it:
// "" for messages the prompt leaves out (empty, still streaming, not from
// the user or the assistant), and answers without their citation marks.
func historyContent(m Message) string {
	switch {
	case m.Status == StatusStreaming:
		return ""
	case m.Role == RoleUser:
		return strings.TrimSpace(m.Content)
	case m.Role == RoleAssistant:
		return strings.TrimSpace(StripCitations(m.Content))
	}
	return ""
}

// promptText is the fixed wording of a prompt in one language.
type promptText struct {
	system    string
	sources   string // the header above the numbered sources
	noSources string // instead of the header when no passage fits
	question  string // before the question
}

var promptTexts = map[string]promptText{
	LangEnglish: {
		system: "You are ragchat, an assistant that answers questions from numbered sources.\n" +
			"- Answer only from the sources given with the question; do not use outside knowledge.\n" +
			"- Cite the sources you use by their numbers in square brackets, such as [1] or [1][3], right after the sentence they support.\n" +
			"- If the sources do not contain the answer, say plainly that the documents do not answer the question, and do not guess.\n" +
			"- Answer in the same language as the question, clearly and concisely.",
		sources:   "Sources:",
		noSources: "Sources: none (no matching documents were found).",
		question:  "Question: ",
	},
	LangKorean: {
		system: "당신은 번호가 매겨진 출처를 바탕으로 질문에 답하는 도우미 ragchat입니다.\n" +
			"- 질문과 함께 주어진 출처의 내용만으로 답하고, 그 밖의 지식은 사용하지 마세요.\n" +
			"- 사용한 출처는 뒷받침하는 문장 바로 뒤에 [1] 또는 [1][3]처럼 대괄호 안의 번호로 인용하세요.\n" +
			"- 출처에 답이 없으면 문서에서 답을 찾을 수 없다고 분명히 말하고, 추측하지 마세요.\n" +
			"- 질문과 같은 언어로 명확하고 간결하게 답하세요.",
		sources:   "출처:",
		noSources: "출처: 없음 (일치하는 문서를 찾지 못했습니다).",
		question:  "질문: ",
	},
}
