package tokenize

import "strings"

// Stem strips common English inflectional and a few derivational suffixes
// from a lower-case ASCII word. It is a small, conservative stemmer in the
// spirit of Porter's step 1 (plurals, -ed, -ing) plus -ly and some noun and
// adjective endings: for retrieval it matters more that a word and its
// inflections meet than that the stem is a real word. Words of four letters
// or fewer, and anything that is not ASCII letters, are returned as they are.
func Stem(w string) string {
	if b, ok := irregular[w]; ok {
		w = b // grew -> grow, felt -> feel
	}
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
	if len(w) == 4 && strings.HasSuffix(w, "ied") {
		return w[:3] // died -> die, tied -> tie (the rule below needs three letters)
	}
	if len(w) == 5 && strings.HasSuffix(w, "ying") {
		return w[:1] + "ie" // dying -> die, lying -> lie
	}
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
			if r[0] == "ist" && strings.HasSuffix(w, "sist") {
				break // assist, consist, exist, resist are not "-ist" nouns
			}
			w = w[:len(w)-len(r[0])] + r[1]
			break
		}
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1] // create / creation -> creat
	}
	return w
}

// irregular maps irregular past tenses and participles of common English
// verbs to their base form, which no suffix rule reaches ("grew" and "grow",
// "felt" and "feel", "died" and "die"). Measured on en_squad11_dev with the
// -ied/-ying, -sist and -sion rules (see package eval).
var irregular = func() map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(`grow grew grown|feel felt|go went gone|take took taken|begin began begun|
		become became|write wrote written|win won|lose lost|build built|fight fought|make made|lead led|
		hold held|find found|give gave given|send sent|spend spent|leave left|bring brought|buy bought|
		teach taught|think thought|tell told|sell sold|run ran|come came|see saw seen|know knew known|
		choose chose chosen|rise rose risen|fall fell fallen|draw drew drawn|strike struck|speak spoke spoken|
		stand stood|meet met|pay paid|say said|keep kept|mean meant|seek sought|catch caught|fly flew flown|
		shoot shot|hang hung|die died dying|lie lying|eat ate eaten|drive drove driven|ride rode ridden|
		break broke broken|freeze froze frozen|steal stole stolen|wear wore worn|tear tore torn|
		swear swore sworn|bear bore born borne|forget forgot forgotten|get got gotten|sing sang sung|
		sink sank sunk|swim swam swum|drink drank drunk|ring rang rung|shake shook shaken|
		forbid forbade forbidden|hide hid hidden|bite bit bitten|feed fed|flee fled|bleed bled|breed bred|
		deal dealt|dream dreamt|lend lent|bend bent|sleep slept|sweep swept|weep wept|creep crept|dig dug|
		stick stuck|swing swung|spin spun|sit sat|light lit|slide slid|shine shone|tread trod trodden|
		undertake undertook undertaken|overcome overcame|withdraw withdrew withdrawn|arise arose arisen|
		awake awoke awoken|beat beaten|blow blew blown|throw threw thrown|show shown|sew sewn|hear heard|
		understand understood|stink stank stunk|spring sprang sprung|weave wove woven|wake woke woken|
		speed sped|lay laid|do did done|is was were been|have had`, "|") {
		f := strings.Fields(l)
		for _, x := range f[1:] {
			m[x] = f[0]
		}
	}
	return m
}()

// derivational maps suffixes to replacements, tried in order.
var derivational = [][2]string{
	{"ational", "ate"}, {"ization", "ize"}, {"fulness", "ful"}, {"ousness", "ous"}, {"iveness", "ive"},
	{"ation", "ate"}, {"ition", "ite"}, {"ement", ""}, {"ment", ""}, {"ness", ""},
	{"ally", "al"}, {"ibli", "ible"}, {"abli", "able"}, {"ousli", "ous"}, {"entli", "ent"}, {"li", ""},
	{"ical", "ic"}, {"ssion", "ss"}, {"sion", "d"}, {"tion", "t"}, {"ism", ""}, {"ist", ""}, {"ity", ""}, {"iti", ""},
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
