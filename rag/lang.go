package rag

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Languages ragchat speaks: status texts and prompts exist in these.
const (
	LangKorean  = "ko"
	LangEnglish = "en"
)

// DetectLang returns "ko" when Hangul makes up more than a quarter of the
// letters of text, else "en". A quarter, not a half, because Korean
// questions about software are full of Latin product names ("Elasticsearch
// API key 설정은 어떻게 하나요?" is 34% Hangul), while one Korean word in an
// English sentence stays well below it. Text without letters is "en".
func DetectLang(text string) string {
	var hangul, other int
	for _, r := range text {
		switch {
		case isHangul(r):
			hangul++
		case unicode.IsLetter(r):
			other++
		}
	}
	if hangul > 0 && 3*hangul > other {
		return LangKorean
	}
	return LangEnglish
}

// NormalizeLang maps a language tag ("ko", "ko-KR", "en_US", "EN") or an
// Accept-Language value ("ko-KR,ko;q=0.9,en;q=0.8") to "ko" or "en": the
// supported language with the highest quality, the first one on a tie.
// Anything else, including "*" and languages ragchat does not speak, is "".
func NormalizeLang(s string) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(s, ",") {
		tag, params, _ := strings.Cut(part, ";")
		lang := primaryLang(tag)
		if lang == "" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				q = 0
			} else {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// primaryLang returns "ko" or "en" when tag's primary subtag is one of
// them, else "".
func primaryLang(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	switch strings.ToLower(tag) {
	case LangKorean, "kor":
		return LangKorean
	case LangEnglish, "eng":
		return LangEnglish
	}
	return ""
}

// StatusText is the human text of a status event at stage, in lang ("ko";
// anything else gets English).
func StatusText(lang string, stage Stage) string {
	ko := NormalizeLang(lang) == LangKorean
	switch {
	case stage == StageRetrieving && ko:
		return "문서 검색 중..."
	case stage == StageRetrieving:
		return "Searching documents..."
	case stage == StageGenerating && ko:
		return "답변 생성 중..."
	case stage == StageGenerating:
		return "Generating answer..."
	case ko:
		return "처리 중..."
	}
	return "Working..."
}

// DefaultSnippetRunes is the snippet length Snippet uses when asked for 0.
const DefaultSnippetRunes = 240

// Snippet shortens text for a source list: Markdown heading marks at line
// starts are dropped, whitespace runs become one space, and a text longer
// than maxRunes runes is cut at a word boundary (or, in a long run without
// spaces, at a rune) and ends with "…". The result, "…" included, is at
// most maxRunes runes; maxRunes <= 0 means DefaultSnippetRunes.
func Snippet(text string, maxRunes int) string {
	if maxRunes <= 0 {
		maxRunes = DefaultSnippetRunes
	}
	var b strings.Builder
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if h := strings.TrimLeft(line, "#"); h != line && (h == "" || h[0] == ' ' || h[0] == '\t') {
			line = strings.TrimSpace(h)
		}
		for _, w := range strings.Fields(line) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	s := b.String()
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	// Keep maxRunes-1 runes for the text and one for the ellipsis.
	keep := maxRunes - 1
	cut := 0
	for i := range s {
		if keep == 0 {
			cut = i
			break
		}
		keep--
	}
	prefix := s[:cut]
	// Cut at the last space unless that throws away more than 40% of what
	// fits (a long Korean compound or a URL): then a rune cut reads better.
	if sp := strings.LastIndexByte(prefix, ' '); sp > 0 && (cut == len(s) || s[cut] != ' ') {
		if utf8.RuneCountInString(prefix[:sp]) >= (maxRunes-1)*6/10 {
			prefix = prefix[:sp]
		}
	}
	prefix = strings.TrimRightFunc(prefix, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—", r)
	})
	return prefix + "…"
}
