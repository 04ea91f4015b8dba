package estest

import (
	"strings"
	"unicode"
)

// token is one term of analysed text with its rune offsets.
type token struct {
	term       string
	start, end int
}

// analyzers are the built-in analyzers the stand-in knows. They copy the
// behaviour of Elasticsearch's analyzers closely enough for ranking tests,
// not exactly: "standard" splits on what is not a letter or digit (UAX#29
// has finer rules), and "nori" only strips common particles and endings
// instead of analysing morphemes.
var analyzers = map[string]func(string) []token{
	"standard":   func(s string) []token { return lower(standardTokens(s, false)) },
	"simple":     func(s string) []token { return lower(split(s, func(r rune) bool { return !unicode.IsLetter(r) })) },
	"whitespace": func(s string) []token { return split(s, unicode.IsSpace) },
	"keyword":    func(s string) []token { return []token{{term: s, start: 0, end: len([]rune(s))}} },
	"cjk":        func(s string) []token { return stop(bigrams(lower(standardTokens(s, true))), cjkStop) },
	"nori":       func(s string) []token { return noriApprox(lower(standardTokens(s, false))) },
}

// analyze runs the named analyzer; ok is false when it is unknown.
func analyze(name, text string) ([]token, bool) {
	f, ok := analyzers[name]
	if !ok {
		return nil, false
	}
	return f(text), true
}

func terms(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.term
	}
	return out
}

func split(s string, sep func(rune) bool) []token {
	var out []token
	rs := []rune(s)
	start := -1
	for i := 0; i <= len(rs); i++ {
		if i == len(rs) || sep(rs[i]) {
			if start >= 0 {
				out = append(out, token{term: string(rs[start:i]), start: start, end: i})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// ideographic reports runes the standard tokenizer emits one by one.
func ideographic(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

func cjkScript(r rune) bool { return ideographic(r) || unicode.Is(unicode.Hangul, r) }

// standardTokens splits on runes that are neither letters, marks nor
// digits. Han and kana become one token per rune, as in UAX#29, unless
// keepRuns is set (the cjk analyzer re-joins them into bigrams anyway).
func standardTokens(s string, keepRuns bool) []token {
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }
	var out []token
	for _, t := range split(s, func(r rune) bool { return !word(r) }) {
		rs := []rune(t.term)
		start := 0
		for i := 1; i <= len(rs); i++ {
			// Break between scripts of different kinds, and after each
			// ideograph when runs are not kept.
			if i < len(rs) && cjkScript(rs[i]) == cjkScript(rs[i-1]) && (keepRuns || !ideographic(rs[i-1]) && !ideographic(rs[i])) {
				continue
			}
			out = append(out, token{term: string(rs[start:i]), start: t.start + start, end: t.start + i})
			start = i
		}
	}
	// The standard tokenizer cuts tokens at 255 characters.
	for i, t := range out {
		if rs := []rune(t.term); len(rs) > 255 {
			out[i].term = string(rs[:255])
		}
	}
	return out
}

func lower(ts []token) []token {
	for i := range ts {
		ts[i].term = strings.ToLower(ts[i].term)
	}
	return ts
}

// bigrams replaces runs of CJK script by their overlapping bigrams (a
// single rune stays a unigram), as the cjk_bigram filter does.
func bigrams(ts []token) []token {
	var out []token
	for _, t := range ts {
		rs := []rune(t.term)
		if len(rs) < 2 || !cjkScript(rs[0]) {
			out = append(out, t)
			continue
		}
		for i := 0; i+1 < len(rs); i++ {
			out = append(out, token{term: string(rs[i : i+2]), start: t.start + i, end: t.start + i + 2})
		}
	}
	return out
}

// cjkStop is the default stop word set of the cjk analyzer.
var cjkStop = set("a", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
	"no", "not", "of", "on", "or", "s", "such", "t", "that", "the", "their", "then", "there", "these",
	"they", "this", "to", "was", "will", "with", "www")

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

func stop(ts []token, words map[string]bool) []token {
	out := ts[:0]
	for _, t := range ts {
		if !words[t.term] {
			out = append(out, t)
		}
	}
	return out
}

// koreanSuffixes are particles and endings the nori stand-in strips,
// longest first.
var koreanSuffixes = []string{"에서는", "으로는", "에서", "으로", "에게", "까지", "부터", "이다", "한다", "하다", "하라고",
	"은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "한", "다"}

func noriApprox(ts []token) []token {
	for i, t := range ts {
		rs := []rune(t.term)
		if len(rs) < 2 || !unicode.Is(unicode.Hangul, rs[0]) {
			continue
		}
		for _, suf := range koreanSuffixes {
			if stem, ok := strings.CutSuffix(t.term, suf); ok && len([]rune(stem)) >= 1 {
				ts[i].term = stem
				break
			}
		}
	}
	return ts
}
