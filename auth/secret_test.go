package auth

import (
	"strings"
	"testing"
)

func TestParseBearer(t *testing.T) {
	key := newToken(keyPrefix)
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"Bearer " + key, true},
		{"bearer " + key, true},
		{"Bearer  " + key + " ", true},
		{"Bearer " + key[:len(key)-1], false},
		{"Bearer " + key + "x", false},
		{"Bearer " + newToken(sessionPrefix), false},
		{"Basic " + key, false},
		{key, false},
		{"Bearer " + strings.Replace(key, key[5:6], "!", 1), false},
		{"", false},
	} {
		if _, ok := ParseBearer(tc.in); ok != tc.want {
			t.Errorf("ParseBearer(%q) ok = %v, want %v", tc.in, ok, tc.want)
		}
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse battery")
	if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horse batterz"); ok {
		t.Fatal("wrong password accepted")
	}
	if _, err := CheckPassword("$argon2id$v=19$m=999999999,t=1,p=1$c2FsdHNhbHQ$c3Vtc3Vtc3Vtc3Vtc3Vtc3Vt", "x"); err == nil {
		t.Fatal("a hash asking for a huge memory cost was accepted")
	}
}

// FuzzParseCredentials: the cookie, bearer and stored-hash parsers never
// panic, and accept only the shapes they promise.
func FuzzParseCredentials(f *testing.F) {
	f.Add("Bearer " + newToken(keyPrefix))
	f.Add(newToken(sessionPrefix))
	f.Add(HashPassword("some password"))
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		if k, ok := ParseBearer(s); ok && (!strings.HasPrefix(k, keyPrefix) || len(k) != tokenLen) {
			t.Fatalf("ParseBearer(%q) accepted %q", s, k)
		}
		if v, ok := ParseSession(s); ok && (!strings.HasPrefix(v, sessionPrefix) || len(v) != tokenLen) {
			t.Fatalf("ParseSession(%q) accepted", s)
		}
		if p, err := parseHash(s); err == nil && (p.memory > 256*1024 || p.time > 10) {
			t.Fatalf("parseHash(%q) accepted costly parameters", s)
		}
	})
}
