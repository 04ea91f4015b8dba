package offline

import (
	"strings"
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

// appendSentences splits one paragraph at sentence ends.
func appendSentences(out []string, p string) []string {
	start := 0
	for i, r := range p {
		if r != '.' && r != '!' && r != '?' && r != '。' {
			continue
		}
		end := i + utf8.RuneLen(r)
		// Closing quotes and brackets belong to the sentence.
		for end < len(p) {
			c, size := utf8.DecodeRuneInString(p[end:])
			if !strings.ContainsRune(`"')]”’」』`, c) {
				break
			}
			end += size
		}
		if r != '。' && (end < len(p) && p[end] != ' ' || isAbbreviation(p[start:i])) {
			continue
		}
		out = appendQuote(out, p[start:end])
		start = end
	}
	return appendQuote(out, p[start:])
}

// isAbbreviation reports whether the word before a full stop is a common
// abbreviation or a single letter or number ("e.g.", "Dr.", "v1.").
func isAbbreviation(before string) bool {
	before = strings.TrimRight(before, " ")
	if before == "" {
		return true
	}
	w := strings.ToLower(strings.TrimLeft(before[strings.LastIndexByte(before, ' ')+1:], "(\"'"))
	switch w {
	case "e.g", "i.e", "etc", "vs", "mr", "mrs", "dr", "st", "fig", "cf":
		return true
	}
	r, _ := utf8.DecodeRuneInString(w)
	return utf8.RuneCountInString(w) == 1 && unicode.IsLetter(r)
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
