// Package tokenize turns text into the search terms that BM25, the hash
// embedder and the extractive answerer compare. It is language-aware in the
// cheap ways that matter for English and Korean retrieval:
//
//   - Unicode NFKC, so full-width "ＡＰＩ" and half-width "API", or composed
//     and decomposed Hangul, become the same characters;
//   - lower-casing (simple case folding);
//   - splitting on anything that is not a letter, mark or digit, and at
//     script changes ("API는" is "api" + "는");
//   - Hangul (and Han/kana) runs become overlapping syllable bigrams, so a
//     particle attached to a word ("칸트는", "칸트의") does not stop the word
//     from matching "칸트": Korean has no spaces between a noun and its
//     particle, and bigrams need no dictionary;
//   - a possessive "'s" is dropped ("Jochi's" is "jochi");
//   - a light English suffix stemmer (plurals, -ed, -ing, -ly and a few
//     derivational endings) so "erupted" matches "eruption"'s stem family,
//     and a table of irregular verb forms ("grew" is "grow").
package tokenize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// class is the kind of a run of characters inside a word.
type class uint8

const (
	other   class = iota // not part of a token
	latin                // letters and digits of alphabetic scripts
	cjk                  // Hangul syllables, Han, Hiragana, Katakana: bigrammed
	jamoCls              // stray Hangul jamo (ㅋㅋ): kept whole
)

func classOf(r rune) class {
	switch {
	case r < utf8.RuneSelf:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return latin
		}
		return other
	case r >= 0xAC00 && r <= 0xD7A3: // Hangul syllables
		return cjk
	case unicode.Is(unicode.Hangul, r):
		return jamoCls
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r):
		return cjk
	case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r):
		return latin
	}
	return other
}

// Tokens returns the search terms of s, in text order (duplicates kept, so
// callers can count term frequencies).
func Tokens(s string) []string {
	return AppendTokens(nil, s)
}

// AppendTokens appends the tokens of s to dst and returns it; it lets hot
// loops reuse a slice.
func AppendTokens(dst []string, s string) []string {
	return appendTokens(dst, s, true)
}

// AppendWords is AppendTokens without stemming: words as written, folded
// ("Grew" is "grew", not "grow"), for lookups in tables of real words such
// as package wordvec's.
func AppendWords(dst []string, s string) []string {
	return appendTokens(dst, s, false)
}

func appendTokens(dst []string, s string, stem bool) []string {
	if !isASCII(s) {
		s = norm.NFKC.String(s)
	}
	var run []rune
	cur := other
	flush := func() {
		if len(run) == 0 {
			return
		}
		switch cur {
		case cjk:
			if len(run) == 1 {
				dst = append(dst, string(run))
			}
			for i := 0; i+1 < len(run); i++ {
				dst = append(dst, string(run[i:i+2]))
			}
		case latin:
			if stem {
				dst = append(dst, Stem(string(run)))
			} else {
				dst = append(dst, string(run))
			}
		default:
			dst = append(dst, string(run))
		}
		run = run[:0]
	}
	skipS := false
	for i, r := range s {
		if skipS {
			skipS = false
			if r == 's' || r == 'S' {
				continue
			}
		}
		c := classOf(r)
		if r == '\'' || r == '’' {
			// Apostrophes inside words: "don't" -> "dont". A possessive
			// "'s" is dropped, so "Temüjin's" meets "Temüjin" and
			// "Jochi's" meets "Jochi" even where the stemmer does not
			// strip the s (non-ASCII words, words ending in -is or -us).
			skipS = cur == latin && len(run) > 0 && possessiveS(s[i+utf8.RuneLen(r):])
			continue
		}
		if c != cur || c == other {
			flush()
			cur = c
		}
		if c == other {
			continue
		}
		run = append(run, fold(r))
	}
	flush()
	return dst
}

// possessiveS reports whether rest (the text after an apostrophe) starts
// with an s that ends the word.
func possessiveS(rest string) bool {
	if rest == "" || rest[0] != 's' && rest[0] != 'S' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest[1:])
	return len(rest) == 1 || classOf(r) != latin
}

func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if r == 'ς' { // final sigma folds to sigma
		return 'σ'
	}
	return unicode.ToLower(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// IsStopword reports whether tok (as Tokens returns it) is an English
// function word that carries no topic. BM25's IDF already discounts such
// words; the stateless hash embedder cannot, so it skips them.
func IsStopword(tok string) bool {
	_, ok := stopwords[tok]
	return ok
}

var stopwords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`a an the and or but if then else of to in on at by for with from into onto
		about as is are was were be been being am do does did done have has had having it its itself this that these those
		there here what which who whom whose when where why how not no nor so than too very can could will would shall
		should may might must i me my we us our you your he him his she her they them their s t also any all each
		some such only own same other more most both few up down out over under again further once`) {
		w = Stem(w)
		m[w] = struct{}{}
	}
	return m
}()
