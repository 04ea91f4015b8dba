package rag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a dot that does not end a sentence (lower case,
// without the dot). "etc." is not one: it usually ends its sentence, and
// mid-sentence it is followed by a lower-case word, which the splitter
// already handles.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true,
	"st": true, "vs": true, "cf": true, "eg": true, "ie": true, "fig": true, "figs": true,
	"no": true, "nos": true, "vol": true, "pp": true, "ed": true, "eds": true, "approx": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "al": true, "ca": true, "ver": true,
	"dept": true, "est": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// closers may follow a sentence's final mark and belong to the sentence.
const closers = "\"'”’)]}」』】〉》*_"

// sentenceCuts returns the byte offsets in paragraph p where a sentence,
// list item or table row ends.
func sentenceCuts(p string) []int {
	var cuts []int
	add := func(c int) { // no empty or all-space pieces
		last := 0
		if len(cuts) > 0 {
			last = cuts[len(cuts)-1]
		}
		if c < len(p) && strings.TrimFunc(p[last:c], unicode.IsSpace) != "" {
			cuts = append(cuts, c)
		}
	}
	lineStart := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch r {
		case '\n':
			lineStart = i + 1
			if startsItem(p[i+1:]) {
				add(i)
			}
		case '。', '！', '？', '｡':
			// CJK full stops end a sentence with or without a space.
			end := skipClosers(p, i+size)
			add(end)
			i = end
			continue
		case '.', '!', '?', '…':
			end := i + size
			for end < len(p) && strings.ContainsRune(".!?…", rune(p[end])) {
				end++ // "?!", "...": ASCII, one byte each; "…" falls to the loop above next time
			}
			end = skipClosers(p, end)
			if end < len(p) && endsSentence(p, lineStart, i, end) {
				add(end)
			}
			i = end
			continue
		}
		i += size
	}
	return cuts
}

// endsSentence decides whether the mark at p[mark] (whose run of marks and
// closers ends at end) ends a sentence.
func endsSentence(p string, lineStart, mark, end int) bool {
	r, _ := utf8.DecodeRuneInString(p[end:])
	if !unicode.IsSpace(r) {
		return false // "3.14", "e.g.," "example.com"
	}
	rest := strings.TrimLeftFunc(p[end:], unicode.IsSpace)
	if next, _ := utf8.DecodeRuneInString(rest); unicode.IsLower(next) {
		return false // "e.g. foo", "approx. five"
	}
	if p[mark] != '.' || end-mark > 1 && p[mark+1] == '.' {
		return true // ! ? and ellipses
	}
	// The word before the dot.
	ws := 0
	if i := strings.LastIndexFunc(p[:mark], unicode.IsSpace); i >= 0 {
		_, size := utf8.DecodeRuneInString(p[i:])
		ws = i + size
	}
	word := strings.TrimLeft(p[ws:mark], "([{\"'“‘*_")
	if word == "" {
		return true
	}
	if last, _ := utf8.DecodeLastRuneInString(word); isHangul(last) {
		return true // Korean sentence endings: "다.", "요.", "니다."
	}
	switch {
	case strings.ContainsRune(word, '.') && shortParts(word): // "e.g.", "U.S.", "a.m.", not "example.com."
		return false
	case len(word) == 1 && word[0] >= 'A' && word[0] <= 'Z': // initials: "J. Smith"
		return false
	case abbreviations[strings.ToLower(word)]:
		return false
	case isDigits(word) && strings.TrimSpace(p[lineStart:ws]) == "": // "1. " list numbers
		return false
	}
	return true
}

// shortParts reports whether every dot-separated part of word has at most
// two letters, as in the abbreviations "e.g", "U.S" and "Ph.D".
func shortParts(word string) bool {
	for part := range strings.SplitSeq(word, ".") {
		if utf8.RuneCountInString(part) > 2 {
			return false
		}
	}
	return true
}

func skipClosers(p string, i int) int {
	for i < len(p) {
		r, size := utf8.DecodeRuneInString(p[i:])
		if !strings.ContainsRune(closers, r) {
			break
		}
		i += size
	}
	return i
}

// startsItem reports whether a line starts a list item, table row or quote,
// which are split points inside a long paragraph.
func startsItem(line string) bool {
	s := strings.TrimLeft(line, " \t")
	if s == "" {
		return false
	}
	switch s[0] {
	case '|', '>':
		return true
	case '-', '*', '+':
		return len(s) > 1 && (s[1] == ' ' || s[1] == '\t')
	}
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n > 0 && n+1 < len(s) && (s[n] == '.' || s[n] == ')') && (s[n+1] == ' ' || s[n+1] == '\t')
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// itemCuts returns the offsets of the line breaks of p that start a list
// item, table row or quote.
func itemCuts(p string) []int {
	var cuts []int
	for i := 0; i < len(p); i++ {
		if p[i] == '\n' && i > 0 && startsItem(p[i+1:]) {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

// lineCuts returns the offsets of the line breaks of s.
func lineCuts(s string) []int {
	var cuts []int
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

// hardSplit cuts s, which is over limit tokens, into pieces of at most
// limit tokens each, as [start, end) offsets covering s. It cuts after a
// clause mark (, ; : 、 ，) in the second half of what fits, else at the last
// space in the last two thirds, else at a rune.
func hardSplit(s string, limit int) [][2]int {
	var out [][2]int
	for from := 0; from < len(s); {
		n := prefixWithin(s[from:], limit)
		if n == len(s)-from {
			out = append(out, [2]int{from, len(s)})
			break
		}
		if n == 0 { // cannot happen while limit >= 2; never loop forever
			_, n = utf8.DecodeRuneInString(s[from:])
		}
		cut := bestCut(s[from:from+n], s[from+n:])
		out = append(out, [2]int{from, from + cut})
		from += cut
	}
	return out
}

// bestCut picks where to end a piece of which head fits and tail follows.
func bestCut(head, tail string) int {
	if r, _ := utf8.DecodeRuneInString(tail); unicode.IsSpace(r) {
		return len(head)
	}
	for _, mark := range []string{", ", "; ", ": ", "、", "，", "；"} {
		if i := strings.LastIndex(head, mark); i >= 0 && i+len(mark) >= len(head)/2 && i+len(mark) < len(head) {
			return i + len(mark)
		}
	}
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > len(head)/3 {
		return i
	}
	return len(head)
}
