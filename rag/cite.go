package rag

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// maxCitationLen bounds the text between the brackets of one citation.
const maxCitationLen = 64

// Citations returns the distinct source numbers 1..limit that answer cites,
// ascending (an empty, non-nil slice when there are none). It understands
// the forms models write:
//
//	[1]  [1][2]  [1, 2]  [1,2]  [1-3]  [1–3]  [1、2]  【1】  ［1］
//
// A range is expanded and clipped to 1..limit; a reversed range ("[3-1]") is
// not a citation. Numbers outside 1..limit are ignored. A bracket holding
// anything else ("[x]", "[1a]", "[^1]", "[]") is not a citation, nor is the
// text of a Markdown link ("[1](url)"), nor anything inside `inline code` or
// a fenced code block. Callers pass the whole answer: a citation cut in two
// by streaming is read once the text is complete.
func Citations(answer string, limit int) []int {
	out := []int{}
	if limit <= 0 {
		return out
	}
	seen := make(map[int]bool)
	scanCitations(answer, func(_, _ int, ranges [][2]int) {
		for _, r := range ranges {
			lo, hi := r[0], r[1]
			if lo > limit || hi < 1 {
				continue
			}
			for n := max(lo, 1); n <= min(hi, limit); n++ {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	})
	slices.Sort(out)
	return out
}

// StripCitations removes the citation marks (as Citations reads them, in
// any range) from text, with the space before each and the commas between
// them ("[1], [2]"), so that an earlier answer can go back into a prompt
// whose sources are numbered differently.
func StripCitations(text string) string {
	var b strings.Builder
	last := 0
	scanCitations(text, func(start, end int, _ [][2]int) {
		keep := text[last:start]
		if last > 0 && strings.Trim(keep, " \t,、，") == "" {
			keep = "" // the separator of "[1], [2]"
		}
		b.WriteString(strings.TrimRight(keep, " \t"))
		last = end
	})
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// scanCitations calls fn with the byte span and the number ranges of each
// citation in text, in order, skipping code.
func scanCitations(text string, fn func(start, end int, ranges [][2]int)) {
	for i := 0; i < len(text); {
		switch {
		case text[i] == '`':
			i = skipCode(text, i)
			continue
		case strings.HasPrefix(text[i:], "["):
			if end, ranges, ok := parseCitation(text, i+1, "]"); ok {
				fn(i, end, ranges)
				i = end
				continue
			}
		case strings.HasPrefix(text[i:], "【"):
			if end, ranges, ok := parseCitation(text, i+len("【"), "】"); ok {
				fn(i, end, ranges)
				i = end
				continue
			}
		case strings.HasPrefix(text[i:], "［"):
			if end, ranges, ok := parseCitation(text, i+len("［"), "］"); ok {
				fn(i, end, ranges)
				i = end
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
}

// skipCode returns the offset after the code span or fence that starts
// with the backticks at text[i]. A run of backticks is closed by the next
// run of the same length; an unclosed fence (3 or more) runs to the end, an
// unclosed shorter run is literal text.
func skipCode(text string, i int) int {
	n := 0
	for i+n < len(text) && text[i+n] == '`' {
		n++
	}
	run := text[i : i+n]
	for j := i + n; j < len(text); {
		k := strings.Index(text[j:], run)
		if k < 0 {
			break
		}
		k += j
		m := 0
		for k+m < len(text) && text[k+m] == '`' {
			m++
		}
		if m == n {
			return k + n
		}
		j = k + m
	}
	if n >= 3 {
		return len(text)
	}
	return i + n
}

// parseCitation parses the inside of a bracket that starts at text[from]
// and closes with closer: number items separated by commas, each a number
// or a range "a-b". It returns the offset after the closer.
func parseCitation(text string, from int, closer string) (end int, ranges [][2]int, ok bool) {
	j := strings.Index(text[from:min(len(text), from+maxCitationLen+len(closer))], closer)
	if j < 0 {
		return 0, nil, false
	}
	inner := text[from : from+j]
	items := strings.FieldsFunc(inner, func(r rune) bool { return r == ',' || r == '、' || r == '，' })
	if len(items) == 0 || strings.Count(inner, ",")+strings.Count(inner, "、")+strings.Count(inner, "，") != len(items)-1 {
		return 0, nil, false // empty, or an empty item: "[]", "[1,,2]", "[,1]"
	}
	for _, item := range items {
		item = strings.TrimSpace(item)
		lo, hi, isRange := item, item, false
		for _, dash := range []string{"-", "–", "~"} {
			if a, b, found := strings.Cut(item, dash); found {
				lo, hi, isRange = strings.TrimSpace(a), strings.TrimSpace(b), true
				break
			}
		}
		a, okA := citationNumber(lo)
		b, okB := citationNumber(hi)
		if !okA || !okB || (isRange && a > b) {
			return 0, nil, false
		}
		ranges = append(ranges, [2]int{a, b})
	}
	end = from + j + len(closer)
	if strings.HasPrefix(text[end:], "(") {
		return 0, nil, false // a Markdown link, not a citation
	}
	return end, ranges, true
}

// citationNumber parses 1 to 4 ASCII digits.
func citationNumber(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
