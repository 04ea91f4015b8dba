package offline

import (
	"strings"

	"ragchat/tokenize"
	"unicode"
	"unicode/utf8"
)

// maxQuoteRunes bounds one quoted sentence; longer text without sentence
// ends (tables, run-on lists) is cut with an ellipsis.
const maxQuoteRunes = 300

// sentences splits a passage into quotable sentences: paragraphs at blank
// lines, list items and headings on lines of their own, then sentences at
// ".", "!", "?" or "。" before a space. Headings and code blocks are left
// out: they are not statements to quote.
func sentences(text string) []string {
	var out []string
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = appendSentences(out, strings.Join(para, " "))
			para = para[:0]
		}
	}
	inCode := false
	for line := range strings.SplitSeq(text, "\n") {
		// Bold markers would break sentence ends ("**Why.** Because").
		line = strings.TrimSpace(strings.ReplaceAll(line, "**", ""))
		switch {
		case strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~"):
			flush()
			inCode = !inCode
		case inCode:
		case line == "", strings.HasPrefix(line, "#"), strings.HasPrefix(line, "|"):
			flush()
		case isListItem(line):
			flush()
			para = append(para, strings.TrimSpace(strings.TrimLeft(line, "-*+0123456789.) ")))
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

func isListItem(line string) bool {
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "+ ") {
		return true
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

// appendSentences splits one paragraph at sentence ends: ".", "!", "?",
// "…" (with the closing quotes and brackets after them) before a space,
// and "。". It does not split inside quotes, brackets or `code spans`
// ("문서 검색 중..." stays whole), between an ellipsis and a lower-case
// word ("... and then"), or after an abbreviation ("e.g.", "Dr.", "U.S. Senate"). When a
// quote or bracket is never closed, it splits as if there were none.
func appendSentences(out []string, p string) []string {
	if ends, ok := sentenceEnds(p, true); ok {
		return appendAt(out, p, ends)
	}
	ends, _ := sentenceEnds(p, false)
	return appendAt(out, p, ends)
}

func appendAt(out []string, p string, ends []int) []string {
	start := 0
	for _, end := range ends {
		out = appendQuote(out, p[start:end])
		start = end
	}
	return appendQuote(out, p[start:])
}

// openers and closers pair up by position; '"' and '`' are both.
const (
	openers = "([{“‘「『《〈"
	closers = ")]}”’」』》〉"
)

// sentenceEnds returns the byte offsets where sentences of p end. With
// nest, ends inside quotes, brackets and code spans do not count; ok is
// false when one of them is left open at the end of p.
func sentenceEnds(p string, nest bool) (ends []int, ok bool) {
	var stack []rune // open quotes and brackets, innermost last
	closes := func(c rune) bool {
		if len(stack) == 0 {
			return false
		}
		top := stack[len(stack)-1]
		if c == '"' || c == '`' {
			return top == c
		}
		i := strings.IndexRune(closers, c)
		return i >= 0 && strings.IndexRune(openers, top) == i
	}
	track := func(c rune) {
		switch {
		case !nest:
		case len(stack) > 0 && stack[len(stack)-1] == '`':
			if c == '`' {
				stack = stack[:len(stack)-1]
			}
		case closes(c):
			stack = stack[:len(stack)-1]
		case c == '"' || c == '`' || strings.ContainsRune(openers, c) && c != '‘':
			stack = append(stack, c)
		}
	}
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		track(r)
		stop := i
		i += size
		if r != '.' && r != '!' && r != '?' && r != '。' && r != '…' || len(stack) > 0 && stack[len(stack)-1] == '`' {
			continue
		}
		// Closing quotes and brackets after the stop belong to the
		// sentence; so do more stops ("?!", "...").
		end := i
		for end < len(p) {
			c, n := utf8.DecodeRuneInString(p[end:])
			if !strings.ContainsRune(`"'.!?…`, c) && !strings.ContainsRune(closers, c) {
				break
			}
			track(c)
			end += n
		}
		i = end
		if len(stack) > 0 {
			continue
		}
		if r == '。' || end == len(p) {
			if end < len(p) {
				ends = append(ends, end)
			}
			continue
		}
		if p[end] != ' ' {
			continue
		}
		next := strings.TrimLeft(p[end:], " ")
		nr, _ := utf8.DecodeRuneInString(next)
		ellipsis := strings.Contains(p[stop:end], "…") || strings.Contains(p[stop:end], "..")
		if unicode.IsLower(nr) && ellipsis || unicode.IsDigit(nr) && r == '.' {
			continue // "... and then", "No. 5"; but "ragchat" may start a sentence
		}
		if r == '.' && isAbbreviation(p[:end-1], next) {
			continue
		}
		ends = append(ends, end)
	}
	return ends, len(stack) == 0
}

// isAbbreviation reports whether the word before a full stop is a title
// or a single letter ("Dr.", "J."), or an abbreviation with stops inside
// or one that often ends a sentence ("U.S", "Inc") that the next word
// does not start a sentence after.
func isAbbreviation(before, next string) bool {
	before = strings.TrimRight(before, " .")
	if before == "" {
		return true
	}
	w := strings.ToLower(strings.TrimLeft(before[strings.LastIndexByte(before, ' ')+1:], "(\"'"))
	switch w {
	case "mr", "mrs", "ms", "dr", "prof", "st", "mt", "fig", "cf", "vs", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "no", "vol", "pp":
		return true
	}
	if len(w) == 1 && w[0] >= 'a' && w[0] <= 'z' {
		return true
	}
	switch w {
	case "etc", "jr", "sr", "inc", "ltd", "co", "corp", "bros":
	default:
		// Latin letters with stops between them: "u.s", "e.g", "j.i".
		if !strings.Contains(w, ".") || strings.ContainsFunc(w, func(r rune) bool { return r != '.' && (r < 'a' || r > 'z') }) {
			return false
		}
	}
	// "the U.S. Senate" and "Jr. in May" go on; "in the U.S. The next"
	// starts anew.
	if r, _ := utf8.DecodeRuneInString(next); unicode.IsLower(r) {
		return true
	}
	nw := next
	if i := strings.IndexFunc(next, func(r rune) bool { return !unicode.IsLetter(r) }); i >= 0 {
		nw = next[:i]
	}
	return !tokenize.IsStopword(strings.ToLower(nw))
}

// appendQuote appends s trimmed and shortened, if it has a word.
func appendQuote(out []string, s string) []string {
	s = strings.Join(strings.Fields(s), " ")
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return out
	}
	if utf8.RuneCountInString(s) > maxQuoteRunes {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:maxQuoteRunes])) + "…"
	}
	return append(out, s)
}
