package tokenize

import "strings"

// Stem strips common English inflectional and a few derivational suffixes
// from a lower-case ASCII word. It is a small, conservative stemmer in the
// spirit of Porter's step 1 (plurals, -ed, -ing) plus -ly and some noun and
// adjective endings: for retrieval it matters more that a word and its
// inflections meet than that the stem is a real word. Words of four letters
// or fewer, and anything that is not ASCII letters, are returned as they are.
func Stem(w string) string {
	if len(w) <= 3 || !isLowerASCII(w) {
		return w
	}
	// Plurals and third person.
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	// Past tense and gerund, only when a vowel stays in the stem.
	for _, suf := range []string{"eed", "ed", "ing"} {
		if !strings.HasSuffix(w, suf) {
			continue
		}
		stem := w[:len(w)-len(suf)]
		if suf == "eed" {
			if len(stem) > 1 {
				w = stem + "ee"
			}
			break
		}
		if len(stem) < 3 || !hasVowel(stem) {
			break
		}
		switch {
		case strings.HasSuffix(stem, "at"), strings.HasSuffix(stem, "bl"), strings.HasSuffix(stem, "iz"):
			stem += "e" // created -> create, enabled -> enable
		case doubleConsonant(stem) && !strings.HasSuffix(stem, "l") && !strings.HasSuffix(stem, "s") && !strings.HasSuffix(stem, "z"):
			stem = stem[:len(stem)-1] // stopped -> stop
		case len(stem) == 3 && cvc(stem):
			stem += "e" // hoped -> hope
		}
		w = stem
		break
	}
	if strings.HasSuffix(w, "y") && len(w) > 3 && hasVowel(w[:len(w)-1]) {
		w = w[:len(w)-1] + "i" // happy / happiness / happily meet at "happi"
	}
	// A few derivational endings, longest first.
	for _, r := range derivational {
		if strings.HasSuffix(w, r[0]) && len(w)-len(r[0]) >= 3 {
			w = w[:len(w)-len(r[0])] + r[1]
			break
		}
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1] // create / creation -> creat
	}
	return w
}

// derivational maps suffixes to replacements, tried in order.
var derivational = [][2]string{
	{"ational", "ate"}, {"ization", "ize"}, {"fulness", "ful"}, {"ousness", "ous"}, {"iveness", "ive"},
	{"ation", "ate"}, {"ition", "ite"}, {"ement", ""}, {"ment", ""}, {"ness", ""},
	{"ally", "al"}, {"ibli", "ible"}, {"abli", "able"}, {"ousli", "ous"}, {"entli", "ent"}, {"li", ""},
	{"ical", "ic"}, {"tion", "t"}, {"ism", ""}, {"ist", ""}, {"ity", ""}, {"iti", ""},
}

func isLowerASCII(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func isVowel(w string, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	case 'y':
		return i > 0 && !isVowel(w, i-1)
	}
	return false
}

func hasVowel(w string) bool {
	for i := range len(w) {
		if isVowel(w, i) {
			return true
		}
	}
	return false
}

func doubleConsonant(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && !isVowel(w, n-1)
}

// cvc reports consonant-vowel-consonant at the end, the last not w, x or y.
func cvc(w string) bool {
	n := len(w)
	if n < 3 || isVowel(w, n-3) || !isVowel(w, n-2) || isVowel(w, n-1) {
		return false
	}
	c := w[n-1]
	return c != 'w' && c != 'x' && c != 'y'
}
