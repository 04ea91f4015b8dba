package store

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{kind: "d", at: time.Date(2026, 11, 29, 12, 0, 0, 123456000, time.UTC), id: "abc"},
		{kind: "c", at: time.Unix(0, 0).UTC(), id: "with:colons:문서"},
	} {
		got, ok, err := decodeCursor(c.encode(), c.kind)
		if err != nil || !ok || got != c {
			t.Errorf("decode(encode(%+v)) = %+v, %v, %v", c, got, ok, err)
		}
		if _, _, err := decodeCursor(c.encode(), "x"); err == nil {
			t.Errorf("a %q cursor was accepted as kind x", c.kind)
		}
	}
	if _, ok, err := decodeCursor("", "d"); ok || err != nil {
		t.Errorf(`decodeCursor("") = %v, %v; want the first page`, ok, err)
	}
}

// FuzzDecodeCursor checks that any input is either refused or the
// canonical encoding of a valid cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{kind: "d", at: time.Unix(1, 5000).UTC(), id: "x"}.encode())
	f.Add("YzowMTp4")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok, err := decodeCursor(s, "c")
		if err != nil || !ok {
			return
		}
		if c.id == "" || !utf8.ValidString(c.id) || c.at.UnixMicro() > maxMicros || c.at.UnixMicro() < 0 {
			t.Fatalf("decodeCursor(%q) accepted %+v", s, c)
		}
		if got := c.encode(); got != s {
			t.Fatalf("decodeCursor(%q) = %+v, which encodes as %q", s, c, got)
		}
	})
}

func TestShortTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"What is SSE?", "What is SSE?"},
		{"  several\n\tspaces   here ", "several spaces here"},
		{"What is SSE, and why does ragchat stream answers with it instead of WebSockets?",
			"What is SSE, and why does ragchat stream answers with it…"},
		{repeat("가", 70), repeat("가", 60) + "…"},
		{repeat("a", 60), repeat("a", 60)},
		{"SSE가 무엇인가요? 그리고 ragchat은 왜 웹소켓 대신 SSE로 답변을 스트리밍하나요? 메모리 사용량은 어떤가요?",
			"SSE가 무엇인가요? 그리고 ragchat은 왜 웹소켓 대신 SSE로 답변을 스트리밍하나요? 메모리…"},
	}
	for _, tt := range tests {
		got := shortTitle(tt.in)
		if got != tt.want {
			t.Errorf("shortTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > titleRunes+1 {
			t.Errorf("shortTitle(%q) = %q: not valid or too long", tt.in, got)
		}
	}
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }
func TestClampLimit(t *testing.T) {
	for in, want := range map[int]int{-1: DefaultLimit, 0: DefaultLimit, 1: 1, MaxLimit: MaxLimit, MaxLimit + 1: MaxLimit} {
		if got := clampLimit(in); got != want {
			t.Errorf("clampLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
