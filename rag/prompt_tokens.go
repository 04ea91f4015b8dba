package rag

import (
	"unicode"
	"unicode/utf8"
)

// EstimateTokens returns a cheap, deliberately conservative estimate of how
// many tokens an LLM tokenizer needs for s. It never looks up a vocabulary,
// so it works the same for every model ragchat may talk to.
//
// The rules, and why:
//   - A run of letters costs one token per 4 letters, rounded up, and an
//     accented or other non-ASCII letter counts as 2 letters. English
//     averages about 4 characters per token in BPE vocabularies (cl100k,
//     o200k, Llama 3); counting per word and rounding up over-counts short
//     words a little, which is the safe direction.
//   - A run of digits costs one token per 3 digits (tiktoken-style
//     vocabularies split numbers into groups of at most 3).
//   - Each Hangul syllable or jamo, each Han character and each kana costs
//     one token. Modern vocabularies (o200k, Llama 3, Qwen) need 0.5–1 token
//     per Hangul syllable; cl100k needs about 1 for common syllables. Old
//     byte-fallback vocabularies (Llama 2) need more, which the default
//     prompt budget (3000 of a typical 8k context) leaves room for.
//   - Every punctuation mark or symbol costs one token, and one outside the
//     Basic Multilingual Plane (emoji) costs two.
//   - Spaces are free (BPE merges them into the next word); a run of
//     whitespace that holds a line break costs one token.
//
// No rune adds more than 2 to the estimate, and splitting a text at any
// point never makes the parts' estimates sum to less than the whole's: the
// chunker relies on both.
func EstimateTokens(s string) int {
	var e tokenEstimator
	for _, r := range s {
		e.add(r)
	}
	return e.tokens()
}

// runClass is the kind of run the estimator is in the middle of.
type runClass uint8

const (
	runNone runClass = iota
	runLetters
	runDigits
	runSpace // whitespace without a line break so far
	runBreak // whitespace holding a line break
)

// tokenEstimator computes EstimateTokens one rune at a time, so that a
// caller can find where a text reaches a budget in one pass.
type tokenEstimator struct {
	total  int      // tokens of the finished runs and single runes
	class  runClass // the open run
	weight int      // letters (or digits) in the open run
}

// add feeds the next rune.
func (e *tokenEstimator) add(r rune) {
	switch {
	case r == '\n' || r == '\r':
		if e.class == runBreak {
			return
		}
		if e.class != runSpace {
			e.flush()
		}
		e.class = runBreak
		e.total++
	case unicode.IsSpace(r):
		if e.class == runSpace || e.class == runBreak {
			return
		}
		e.flush()
		e.class = runSpace
	case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
		e.letter(1)
	case r >= '0' && r <= '9':
		if e.class != runDigits {
			e.flush()
			e.class = runDigits
		}
		e.weight++
	case r < utf8.RuneSelf: // ASCII punctuation and controls: skip the tables below
		e.flush()
		e.total++
	case isCJK(r):
		e.flush()
		e.total++
	case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
		e.letter(2)
	default:
		e.flush()
		if r > 0xFFFF {
			e.total += 2
		} else {
			e.total++
		}
	}
}

func (e *tokenEstimator) letter(w int) {
	if e.class != runLetters {
		e.flush()
		e.class = runLetters
	}
	e.weight += w
}

// flush closes the open run.
func (e *tokenEstimator) flush() {
	switch e.class {
	case runLetters:
		e.total += (e.weight + 3) / 4
	case runDigits:
		e.total += (e.weight + 2) / 3
	}
	e.class, e.weight = runNone, 0
}

// tokens returns the estimate of everything fed so far.
func (e *tokenEstimator) tokens() int {
	switch e.class {
	case runLetters:
		return e.total + (e.weight+3)/4
	case runDigits:
		return e.total + (e.weight+2)/3
	}
	return e.total
}

// isCJK reports whether r is a Hangul, Han or kana character, which
// tokenizers do not merge into long words the way they merge Latin letters.
func isCJK(r rune) bool {
	return isHangul(r) || unicode.Is(unicode.Han, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

// isHangul reports whether r is a Hangul syllable or jamo.
func isHangul(r rune) bool {
	return r >= 0xAC00 && r <= 0xD7A3 || unicode.Is(unicode.Hangul, r)
}

// prefixWithin returns the length in bytes of the longest prefix of s whose
// estimate is at most max tokens, cut at a rune boundary.
func prefixWithin(s string, max int) int {
	var e tokenEstimator
	for i, r := range s {
		e.add(r)
		if e.tokens() > max {
			return i
		}
	}
	return len(s)
}
