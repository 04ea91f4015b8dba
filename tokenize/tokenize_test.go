package tokenize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"punctuation only", " ,.!? — ", nil},
		{"english lower and stem", "Rainbows are Caused by REFRACTION", []string{"rainbow", "are", "caus", "by", "refract"}},
		{"inflections meet", "erupted eruptions", []string{"erupt", "erupt"}},
		{"apostrophes", "Kant's don't", []string{"kant", "dont"}},
		{"possessive of unstemmed words", "Jochi's Temüjin’s JESUS'S it's", []string{"jochi", "temüjin", "jesus", "it"}},
		{"apostrophe s inside a word", "o'sullivan 's", []string{"osullivan", "s"}},
		{"digits", "In 1973, COVID-19", []string{"in", "1973", "covid", "19"}},
		{"hangul bigrams", "칸트는", []string{"칸트", "트는"}},
		{"hangul single syllable", "책 을", []string{"책", "을"}},
		{"particle does not hide the noun", "칸트의 철학", []string{"칸트", "트의", "철학"}},
		{"script change splits", "API는", []string{"api", "는"}},
		{"full width", "ＡＰＩ　ｔｅｓｔ", []string{"api", "test"}},
		{"half width katakana", "ｶﾀｶﾅ", []string{"カタ", "タカ", "カナ"}},
		{"decomposed hangul", "\u1100\u1161\u11a8", []string{"각"}},           // NFKC composes jamo into 각
		{"compatibility jamo kept", "ㅋㅋ 좋아", []string{"\u110f\u110f", "좋아"}}, // NFKC maps compatibility jamo to conjoining jamo; kept whole
		{"greek final sigma", "ΣΊΣΥΦΟΣ σίσυφος", []string{"σίσυφοσ", "σίσυφοσ"}},
		{"accents kept", "Café crème", []string{"café", "crème"}},
		{"han bigrams", "東京大学", []string{"東京", "京大", "大学"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokens(tt.in)); diff != "" {
				t.Errorf("Tokens(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestStem(t *testing.T) {
	tests := map[string]string{
		"cats": "cat", "caresses": "caress", "ponies": "poni", "pony": "poni", "bus": "bus", "analysis": "analysis",
		"stopped": "stop", "hoped": "hope", "hoping": "hope", "running": "run", "agreed": "agre", "agree": "agre", "sing": "sing",
		"created": "creat", "creation": "creat", "enabled": "enabl", "happily": "happi", "happiness": "happi",
		"movement": "mov", "nationalization": "nationaliz", "the": "the", "was": "is", "naïve": "naïve",
		"died": "die", "dying": "die", "grew": "grow", "grown": "grow", "felt": "feel", "studied": "studi",
		"assist": "assist", "consists": "consist", "artist": "art", "invasion": "invad", "invade": "invad",
		"discussion": "discuss", "erosion": "erod", "erode": "erod",
	}
	for in, want := range tests {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStopwords(t *testing.T) {
	for _, w := range []string{"the", "When", "did", "was", "is"} {
		if tok := Tokens(w); len(tok) != 1 || !IsStopword(tok[0]) {
			t.Errorf("%q (tokens %q) is not a stopword", w, tok)
		}
	}
	for _, w := range []string{"rainbow", "칸트", "1973"} {
		if tok := Tokens(w); IsStopword(tok[0]) {
			t.Errorf("%q is a stopword", w)
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "칸트는 독일의 철학자이다", "ＡＰＩ는", "ｶﾀｶﾅ", "\u1100\u1161\u11a8", "e\u0301", "\xff\xfe", "σς"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("Tokens(%q) has an empty token: %q", s, toks)
			}
			if !utf8.ValidString(tok) {
				t.Fatalf("Tokens(%q) has invalid UTF-8 %q", s, tok)
			}
			if strings.ContainsFunc(tok, func(r rune) bool { return classOf(r) == other }) {
				t.Fatalf("Tokens(%q) has a separator in %q", s, tok)
			}
			if utf8.RuneCountInString(tok) > utf8.RuneCountInString(s)+8 {
				t.Fatalf("token %q longer than input %q", tok, s)
			}
		}
		// Tokenising is idempotent on the joined output for ASCII words.
		if again := Tokens(strings.Join(toks, " ")); len(toks) > 0 && len(again) == 0 {
			t.Fatalf("re-tokenising %q lost everything", toks)
		}
	})
}
