package offline

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"ragchat/tokenize"
)

// cueKind is what a question asks for, as its question words tell.
type cueKind uint8

const (
	cueNone   cueKind = iota
	cueNumber         // how many, how much, 몇, 얼마
	cueTime           // when, what year, 언제
	cueName           // who, whom, whose, where: a proper name
)

// cue reads the question words of an English or Korean question.
// Only the first word is lower-cased: a capitalised "Who" later on is a
// name ("Doctor Who").
func cue(question string) cueKind {
	words := strings.FieldsFunc(question, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) > 0 {
		words[0] = strings.ToLower(words[0])
	}
	q := " " + strings.Join(words, " ") + " "
	has := func(phrases ...string) bool {
		for _, p := range phrases {
			if strings.Contains(q, " "+p+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has("what year", "which year", "what years", "what date", "what century", "what decade", "what month",
		"what day", "which century", "what time", "what period"),
		strings.Contains(q, "언제"), strings.Contains(q, "몇 년"), strings.Contains(q, "몇년"), strings.Contains(q, "연도"):
		return cueTime
	case has("how many", "how much", "how long", "how old", "how far", "how large", "how big", "how tall", "how high",
		"how often", "how fast", "how deep", "how wide", "how heavy", "what percentage", "what percent", "what proportion",
		"what number", "what amount", "what fraction"),
		strings.Contains(q, "몇"), strings.Contains(q, "얼마"):
		return cueNumber
	case has("when"):
		return cueTime
	case has("who", "whom", "whose", "where"):
		return cueName
	}
	return cueNone
}

// numberWords are English number words a "how many" answer may spell out.
var numberWords = map[string]bool{}

// months are English month names, which a "when" answer may hold.
var months = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`one two three four five six seven eight nine ten eleven twelve thirteen fourteen
		fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
		hundreds thousand thousands million millions billion billions trillion dozen dozens half third quarter
		percent several`) {
		numberWords[w] = true
	}
	for _, w := range strings.Fields(`january february march april may june july august september october november
		december century centuries decade decades`) {
		months[w] = true
	}
}

// hasCue reports whether sentence holds something of kind that the
// question (its words, lower-cased, in qWords) does not already name.
func hasCue(kind cueKind, sentence string, qWords map[string]bool) bool {
	first := true
	found := false
	fields(sentence, func(w string) bool {
		lw := strings.ToLower(w)
		isFirst := first
		first = false
		if qWords[lw] {
			return true
		}
		switch kind {
		case cueNumber:
			found = hasDigit(w) || numberWords[lw] || strings.HasSuffix(w, "%")
		case cueTime:
			found = isYear(w) || months[lw] || isKoreanDate(w)
		case cueName:
			r, _ := utf8.DecodeRuneInString(w)
			found = !isFirst && unicode.IsUpper(r) && !tokenize.IsStopword(lw)
		}
		return !found
	})
	return found
}

// fields calls fn with each word of s (letters, digits and the marks and
// signs inside them: "1,000", "U.S.", "20%") until fn returns false.
func fields(s string, fn func(string) bool) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`"'()[]{};:!?“”‘’「」『』`, r)
	}) {
		w = strings.TrimRight(w, ".,")
		if w != "" && !fn(w) {
			return
		}
	}
}

func hasDigit(w string) bool { return strings.ContainsFunc(w, unicode.IsDigit) }

// isYear reports a year or decade: 3 or 4 digits, maybe with "s" ("1960s"),
// or Korean 년 after digits.
func isYear(w string) bool {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "s"), "'")
	if n := len(w); n < 3 || n > 4 {
		return false
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isKoreanDate reports digits followed by 년, 월 or 일 ("1948년에").
func isKoreanDate(w string) bool {
	i := strings.IndexFunc(w, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(w[i:])
	return r == '년' || r == '월' || r == '일' || r == '세'
}

// defined returns what a "What is X?" question asks to define ("SSE" in
// "What is SSE and why was it chosen?", "BM25" in "BM25란 무엇인가요?"),
// lower-cased, or "".
func defined(question string) string {
	q := strings.ToLower(strings.TrimSpace(question))
	for _, p := range []string{"what is ", "what are ", "what's ", "what does "} {
		if rest, ok := strings.CutPrefix(q, p); ok {
			rest = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(rest, "a "), "an "), "the ")
			if i := strings.IndexAny(rest, "?,;"); i >= 0 {
				rest = rest[:i]
			}
			rest, _, _ = strings.Cut(rest, " and ")
			rest = strings.TrimSuffix(strings.TrimSpace(rest), " mean")
			if n := len(strings.Fields(rest)); n >= 1 && n <= 3 {
				return rest
			}
			return ""
		}
	}
	for _, m := range []string{"이란 ", "란 ", "은 무엇", "는 무엇", "이 무엇", "가 무엇", "는 뭐", "은 뭐"} {
		if i := strings.Index(q, m); i > 0 {
			if x := strings.TrimSpace(q[:i]); len(strings.Fields(x)) <= 2 {
				return x
			}
		}
	}
	return ""
}

// defines reports whether sentence reads as a definition of x: "X is …",
// "X (…) are …", "X means …", "X는 …입니다".
func defines(sentence, x string) bool {
	s := strings.ToLower(sentence)
	i := strings.Index(s, x)
	if i < 0 || i > 40 {
		return false
	}
	rest := s[i+len(x):]
	if strings.HasPrefix(rest, " (") {
		if j := strings.IndexByte(rest, ')'); j > 0 {
			rest = rest[j+1:]
		}
	}
	for _, v := range []string{" is ", " are ", " means ", " refers ", "는 ", "은 ", "란 ", "이란 "} {
		if strings.HasPrefix(rest, v) {
			return true
		}
	}
	return false
}
