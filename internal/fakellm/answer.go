package fakellm

import (
	"strings"
	"unicode"
)

// NoAnswer is the default answer when the prompt has no source [1].
const NoAnswer = "The sources do not contain an answer."

// maxAnswerWords bounds the default answer.
const maxAnswerWords = 40

// DefaultTokens is the answer a Script with nil Tokens streams: the first
// sentence after "[1]" in the last user message (skipping a title line
// without a full stop) plus " [1]", split into
// word deltas (" word", as OpenAI models stream). Tests use it to predict
// the text an end-to-end run must produce.
func DefaultTokens(msgs []Message) []string {
	return Words(DefaultAnswer(msgs))
}

// DefaultAnswer is the text of DefaultTokens.
func DefaultAnswer(msgs []Message) string {
	var user string
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			user = msgs[i].Content
			break
		}
	}
	i := strings.Index(user, "[1]")
	if i < 0 {
		return NoAnswer
	}
	rest := user[i+len("[1]"):]
	// The source ends at the next source marker or a blank line.
	if j := strings.Index(rest, "[2]"); j >= 0 {
		rest = rest[:j]
	}
	// Prompts put a title line ("[1] Title — heading") above the text;
	// skip it when it is not a sentence and text follows.
	rest = strings.TrimSpace(rest)
	if title, body, ok := strings.Cut(rest, "\n"); ok && strings.TrimSpace(body) != "" {
		if f := strings.Fields(title); len(f) > 0 && !endsSentence(f[len(f)-1]) {
			rest = body
		}
	}
	s := firstSentence(rest)
	if s == "" {
		return NoAnswer
	}
	return s + " [1]"
}

// firstSentence returns the first sentence of s with whitespace collapsed,
// at most maxAnswerWords words.
func firstSentence(s string) string {
	words := strings.Fields(strings.TrimLeft(s, " :-\t"))
	var out []string
	for _, w := range words {
		out = append(out, w)
		if len(out) == maxAnswerWords || endsSentence(w) {
			break
		}
	}
	return strings.Join(out, " ")
}

func endsSentence(w string) bool {
	w = strings.TrimRightFunc(w, func(r rune) bool { return r == '"' || r == '\'' || r == ')' || r == '”' })
	if w == "" {
		return false
	}
	r := []rune(w)
	last := r[len(r)-1]
	return last == '.' || last == '!' || last == '?' || last == '。'
}

// Words splits text into deltas that concatenate back to it: the first
// word, then each following word with its leading space.
func Words(text string) []string {
	var out []string
	start := 0
	inSpace, seenWord := false, false
	for i, r := range text {
		sp := unicode.IsSpace(r)
		if sp && !inSpace && seenWord {
			out = append(out, text[start:i])
			start = i
		}
		if !sp {
			seenWord = true
		}
		inSpace = sp
	}
	switch rest := text[start:]; {
	case rest == "":
	case strings.TrimSpace(rest) == "" && len(out) > 0:
		out[len(out)-1] += rest // trailing space stays with the last word
	default:
		out = append(out, rest)
	}
	return out
}
