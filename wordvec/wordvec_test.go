package wordvec

import (
	"bytes"
	"testing"
)

func TestDefaultTable(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 30000 {
		t.Fatalf("Len = %d, want 30000", tab.Len())
	}
	id := func(w string) int32 {
		t.Helper()
		i, ok := tab.ID(w)
		if !ok {
			t.Fatalf("%q not in the table", w)
		}
		return i
	}
	if i := id("the"); i != 0 {
		t.Errorf(`ID("the") = %d, want 0 (the most frequent word)`, i)
	}
	for _, w := range []string{",", "The", ""} {
		if _, ok := tab.ID(w); ok {
			t.Errorf("ID(%q) found; the table holds lower-case words only", w)
		}
	}
	// Related words are closer than unrelated ones; a word is itself.
	tests := []struct{ a, b, unrelated string }{
		{"siblings", "brothers", "tax"},
		{"school", "university", "oxygen"},
		{"king", "queen", "carbon"},
		{"launched", "started", "pigeons"},
	}
	for _, tt := range tests {
		near := tab.Similarity(id(tt.a), id(tt.b))
		far := tab.Similarity(id(tt.a), id(tt.unrelated))
		if near <= far+0.2 {
			t.Errorf("sim(%s, %s) = %.2f, sim(%s, %s) = %.2f: want the first clearly higher", tt.a, tt.b, near, tt.a, tt.unrelated, far)
		}
		if s := tab.Similarity(id(tt.a), id(tt.a)); s != 1 {
			t.Errorf("sim(%s, %s) = %v, want 1", tt.a, tt.a, s)
		}
		if ab, ba := tab.Similarity(id(tt.a), id(tt.b)), tab.Similarity(id(tt.b), id(tt.a)); ab != ba {
			t.Errorf("similarity not symmetric: %v, %v", ab, ba)
		}
	}
	// Quantisation keeps unit length: a row's vector with itself (not the
	// a == b shortcut) is within 1% of 1.
	a := id("water")
	var dot float32
	for _, x := range tab.vec(a) {
		dot += float32(int8(x)) * float32(int8(x))
	}
	if n := dot * tab.scale[a] * tab.scale[a]; n < 0.99 || n > 1.01 {
		t.Errorf("|water|² = %.4f, want 1 ± 0.01", n)
	}
}

func TestReadRejectsBadInput(t *testing.T) {
	for name, in := range map[string][]byte{
		"short":      []byte("hello"),
		"bad magic":  []byte("something else entirely\n"),
		"truncated":  []byte(magic + "\x02\x00\x00\x00"),
		"huge":       []byte(magic + "\xff\xff\xff\xff\x64\x00\x00\x00\x01\x00\x00\x00"),
		"short rows": []byte(magic + "\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00a\x00\x00\x80\x3f\x01"),
		"NaN scale":  []byte(magic + "\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00a\x00\x00\xc0\x7f\x01"),
	} {
		if _, err := Read(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: Read succeeded, want an error", name)
		}
	}
}

func BenchmarkDefault(b *testing.B) {
	for range b.N {
		if _, err := Parse(defaultTable); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRead: Read never panics and never returns a table that answers
// outside its rows, whatever the bytes.
func FuzzRead(f *testing.F) {
	f.Add([]byte(magic + "\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00a\x00\x00\x80\x3f\x01\x02"))
	f.Add([]byte(magic + "\x02\x00\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00a\nb\x00\x00\x80\x3f\x7f\x00\x00\x80\x3f\x81"))
	f.Add([]byte(magic + "\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00a\x00\x00\xc0\x7f\x01")) // NaN scale
	f.Add([]byte("not a table"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tab, err := Read(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, w := range tab.Words() {
			id, ok := tab.ID(w)
			if !ok || id < 0 || int(id) >= tab.Len() {
				t.Fatalf("ID(%q) = %d, %v with %d rows", w, id, ok, tab.Len())
			}
			if s := tab.Similarity(id, 0); s != s { // NaN
				t.Fatalf("Similarity(%d, 0) is NaN", id)
			}
		}
	})
}
