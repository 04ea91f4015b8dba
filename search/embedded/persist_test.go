package embedded

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/search/searchtest"
)

func chunk(doc string, pos int, text string) rag.Chunk {
	return rag.Chunk{
		ID: rag.ChunkID(doc, pos), DocumentID: doc, Position: pos, Title: "T " + doc, URL: "https://x/" + doc,
		Heading: "H", Text: text, Vector: searchtest.Vector(text),
	}
}

func open(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// snapshotOf returns what a store answers, to compare across restarts.
func snapshotOf(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	n, _ := s.Count(context.Background())
	out["count"] = []string{string(rune('0' + n))}
	for _, m := range []rag.SearchMode{rag.ModeBM25, rag.ModeVector, rag.ModeHybrid} {
		for _, q := range []string{"alpha beta", "칸트의 철학", "gamma"} {
			ps, err := s.Search(context.Background(), rag.Query{Text: q, Vector: searchtest.Vector(q), K: 10, Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				out[string(m)+" "+q] = append(out[string(m)+" "+q], p.Chunk.ID+" "+p.Chunk.Title+" "+p.Chunk.Text)
			}
		}
	}
	return out
}

func fill(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Index(ctx, []rag.Chunk{chunk("a", 0, "alpha beta"), chunk("a", 1, "beta gamma"), chunk("k", 0, "칸트는 철학자다")}))
	must(s.Index(ctx, []rag.Chunk{chunk("b", 0, "gamma delta")}))
	must(s.Index(ctx, []rag.Chunk{chunk("a", 0, "alpha only now")})) // replaces a#0 and a#1
	must(s.Delete(ctx, "b", "nope"))
	must(s.Index(ctx, []rag.Chunk{chunk("c", 0, "gamma gamma beta")}))
}

func TestPersistence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		restart func(t *testing.T, s *Store, dir string)
	}{
		{"close writes a snapshot", func(t *testing.T, s *Store, dir string) {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(filepath.Join(dir, logName)); err != nil || st.Size() != headerSize {
				t.Errorf("log after Close: %v, %v; want an empty log", st, err)
			}
		}},
		{"crash replays the log", func(t *testing.T, s *Store, dir string) {
			s.log.Close() // no snapshot: as if the process died
		}},
		{"torn last frame is cut", func(t *testing.T, s *Store, dir string) {
			s.log.Close()
			f, err := os.OpenFile(filepath.Join(dir, logName), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte{200, 0, 0, 0, 1, 2, 3}) // a frame header promising 200 bytes, then nothing
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, Options{})
			fill(t, s)
			want := snapshotOf(t, s)
			tc.restart(t, s, dir)
			s2 := open(t, dir, Options{})
			defer s2.Close()
			if diff := cmp.Diff(want, snapshotOf(t, s2)); diff != "" {
				t.Fatalf("after restart (-before +after):\n%s", diff)
			}
			// The reopened store keeps working and persisting.
			if err := s2.Index(context.Background(), []rag.Chunk{chunk("d", 0, "alpha beta again")}); err != nil {
				t.Fatal(err)
			}
			want = snapshotOf(t, s2)
			s2.log.Close()
			s3 := open(t, dir, Options{})
			defer s3.Close()
			if diff := cmp.Diff(want, snapshotOf(t, s3)); diff != "" {
				t.Fatalf("after second restart (-before +after):\n%s", diff)
			}
		})
	}
}

func TestOpenRejectsOtherVersion(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{NoSync: true})
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, snapName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[8] = formatVersion + 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(dir, Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a newer format succeeded, want an error")
	}
}

func TestDimensionsChange(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{NoSync: true})
	fill(t, s)
	ctx := context.Background()
	other := chunk("z", 0, "x")
	other.Vector = make([]float32, searchtest.Dims*2)
	other.Vector[0] = 1
	if err := s.Index(ctx, []rag.Chunk{other}); err == nil {
		t.Error("Index with other dimensions succeeded, want an error")
	}
	if _, err := s.Search(ctx, rag.Query{Text: "x", Vector: other.Vector, Mode: rag.ModeVector}); err == nil {
		t.Error("Search with other dimensions succeeded, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, Options{Dimensions: searchtest.Dims})
	if s.Reset() || s.Dimensions() != searchtest.Dims {
		t.Errorf("same dimensions: Reset %v, Dimensions %d", s.Reset(), s.Dimensions())
	}
	s.Close()
	s = open(t, dir, Options{Dimensions: 2 * searchtest.Dims})
	defer s.Close()
	if n, _ := s.Count(ctx); !s.Reset() || n != 0 {
		t.Errorf("changed dimensions: Reset %v, Count %d; want true, 0", s.Reset(), n)
	}
	if err := s.Index(ctx, []rag.Chunk{other}); err != nil {
		t.Errorf("Index after reset: %v", err)
	}
}

func TestInvalid(t *testing.T) {
	s := open(t, t.TempDir(), Options{NoSync: true})
	defer s.Close()
	ctx := context.Background()
	for name, chunks := range map[string][]rag.Chunk{
		"no id":        {{DocumentID: "a", Text: "x"}},
		"no document":  {{ID: "a#0", Text: "x"}},
		"duplicate id": {chunk("a", 0, "x"), chunk("a", 0, "y")},
	} {
		if err := s.Index(ctx, chunks); !isInvalid(err) {
			t.Errorf("%s: Index = %v, want ErrInvalid", name, err)
		}
	}
	for name, q := range map[string]rag.Query{
		"unknown mode":       {Text: "x", Mode: "fuzzy"},
		"vector without one": {Text: "x", Mode: rag.ModeVector},
	} {
		if _, err := s.Search(ctx, q); !isInvalid(err) {
			t.Errorf("%s: Search = %v, want ErrInvalid", name, err)
		}
	}
}

// FuzzReadFrames feeds arbitrary bytes to the log reader: it must never
// panic, and whatever it accepts must survive a re-encode unchanged.
func FuzzReadFrames(f *testing.F) {
	good := op{kind: opIndex, entries: []entry{{chunk: rag.Chunk{ID: "a#0", DocumentID: "a", Title: "t", Text: "칸트"}, vec: []int8{1, -2, 3}, scale: 0.5}}}
	f.Add(encodeOp(&good))
	f.Add(encodeOp(&op{kind: opDelete, docIDs: []string{"a", "b"}}))
	f.Add(append(encodeOp(&good), 1, 2, 3))
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ops []op
		good, err := readFrames(bytes.NewReader(data), func(o op) error {
			ops = append(ops, o)
			return nil
		})
		if err != nil {
			t.Fatalf("readFrames returned an error for bad input: %v", err)
		}
		if good < 0 || good > int64(len(data)) {
			t.Fatalf("good bytes %d outside 0..%d", good, len(data))
		}
		var again []byte
		for i := range ops {
			again = append(again, encodeOp(&ops[i])...)
		}
		if !bytes.Equal(again, data[:good]) {
			t.Fatalf("re-encoded frames differ from the %d accepted bytes", good)
		}
	})
}

// TestDeleteReclaimsDisk: deleting most of the index shrinks its files
// (issue 16: a delete did not give the disk back).
func TestDeleteReclaimsDisk(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{NoSync: true})
	defer s.Close()
	ctx := context.Background()
	var big []rag.Chunk
	for i := 0; i < 300; i++ {
		big = append(big, chunk("big", i, strings.Repeat("alpha beta gamma delta ", 40)))
	}
	if err := s.Index(ctx, big); err != nil {
		t.Fatal(err)
	}
	if err := s.Index(ctx, []rag.Chunk{chunk("small", 0, "gamma")}); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		var n int64
		for _, name := range []string{snapName, logName} {
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil {
				n += st.Size()
			}
		}
		return n
	}
	before := size()
	if err := s.Delete(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	if after := size(); after*10 > before {
		t.Fatalf("index files %d bytes after deleting most of %d", after, before)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("count %d after the delete", n)
	}
}
