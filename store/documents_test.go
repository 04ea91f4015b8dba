package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/store"
)

// makeChunks returns n chunks of text with small distinct vectors.
func makeChunks(n int, text string) []rag.Chunk {
	chunks := make([]rag.Chunk, n)
	for i := range chunks {
		chunks[i] = rag.Chunk{
			Position: i,
			Heading:  fmt.Sprintf("Section %d", i),
			Text:     fmt.Sprintf("%s, part %d", text, i),
			Vector:   []float32{float32(i), -0.5, 1e-7, float32(n)},
		}
	}
	return chunks
}

func mustSave(t *testing.T, db *store.DB, doc rag.Document, chunks []rag.Chunk, want store.SaveOutcome) rag.Document {
	t.Helper()
	saved, outcome, err := db.SaveDocument(context.Background(), doc, chunks)
	if err != nil {
		t.Fatalf("SaveDocument(%q): %v", doc.Title, err)
	}
	if outcome != want {
		t.Fatalf("SaveDocument(%q) outcome = %v, want %v", doc.Title, outcome, want)
	}
	return saved
}

func TestSaveDocumentCreated(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before := time.Now().UTC().Add(-time.Second)
		doc := rag.Document{Title: "SSE", URL: "https://example.com/sse", Source: "docs/sse.md",
			Text: "SSE는 서버가 보내는 이벤트입니다.", Metadata: map[string]string{"lang": "ko"}}
		chunks := makeChunks(3, "SSE")
		saved := mustSave(t, db, doc, chunks, store.Created)

		sum := sha256.Sum256([]byte(doc.Text))
		if len(saved.ID) != 24 || saved.Hash != hex.EncodeToString(sum[:]) || saved.ContentType != "text/plain" ||
			saved.ChunkCount != 3 || saved.CreatedAt.Before(before) || saved.CreatedAt.Location() != time.UTC ||
			!saved.UpdatedAt.Equal(saved.CreatedAt) {
			t.Errorf("saved = %+v: want a generated id, the SHA-256 hash, text/plain, 3 chunks, UTC times", saved)
		}
		got, err := db.Document(ctx, saved.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(saved, got); diff != "" {
			t.Errorf("Document differs from what SaveDocument returned (-saved +got):\n%s", diff)
		}
		for i, c := range chunks { // stamped in place
			if c.ID != rag.ChunkID(saved.ID, i) || c.DocumentID != saved.ID || c.Title != "SSE" || c.URL != doc.URL {
				t.Errorf("chunk %d not stamped: %+v", i, c)
			}
		}
		stored, err := db.Chunks(ctx, saved.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(chunks, stored); diff != "" {
			t.Errorf("Chunks (-saved +stored):\n%s", diff)
		}

		// The caller's id is kept; taking an existing one is refused.
		mine := mustSave(t, db, rag.Document{ID: "doc-1", Title: "Mine", Text: "other text", ContentType: "text/markdown"},
			nil, store.Created)
		if mine.ID != "doc-1" || mine.ContentType != "text/markdown" || mine.ChunkCount != 0 {
			t.Errorf("saved = %+v, want id doc-1, text/markdown, no chunks", mine)
		}
		_, _, err = db.SaveDocument(ctx, rag.Document{ID: "doc-1", Title: "Again", Text: "third text"}, nil)
		wantField(t, err, rag.ErrInvalid, "id")
		if n, err := db.CountDocuments(ctx); err != nil || n != 2 {
			t.Errorf("CountDocuments = %d, %v; want 2", n, err)
		}
	})
}

func TestSaveDocumentUnchangedAndReplaced(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1 := mustSave(t, db, rag.Document{Title: "Guide v1", Source: "docs/guide.md", Text: "version one"},
			makeChunks(5, "one"), store.Created)

		// Same content under another title and source: the same document.
		again := makeChunks(2, "ignored")
		same := mustSave(t, db, rag.Document{Title: "Copy", Source: "elsewhere.md", Text: "version one"}, again, store.Unchanged)
		v1.Text = ""
		if diff := cmp.Diff(v1, same); diff != "" {
			t.Errorf("Unchanged returned (-first +got):\n%s", diff)
		}
		if again[0].ID != "" {
			t.Errorf("Unchanged stamped the caller's chunks: %+v", again[0])
		}

		// New content at the same source replaces it under the same id.
		newChunks := makeChunks(2, "two")
		v2 := mustSave(t, db, rag.Document{ID: "ignored-id", Title: "Guide v2", Source: "docs/guide.md",
			Text: "version two", URL: "https://example.com/guide"}, newChunks, store.Replaced)
		if v2.ID != v1.ID || !v2.CreatedAt.Equal(v1.CreatedAt) || v2.UpdatedAt.Before(v1.UpdatedAt) ||
			v2.Title != "Guide v2" || v2.ChunkCount != 2 {
			t.Errorf("replaced = %+v, want id %s, created %v, title Guide v2, 2 chunks", v2, v1.ID, v1.CreatedAt)
		}
		got, err := db.Document(ctx, v1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v2, got); diff != "" {
			t.Errorf("Document after replace (-returned +stored):\n%s", diff)
		}
		stored, err := db.Chunks(ctx, v1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newChunks, stored); diff != "" {
			t.Errorf("chunks after replace (-new +stored):\n%s", diff)
		}
		if stored[0].ID != v1.ID+"#0" || stored[0].Title != "Guide v2" {
			t.Errorf("replaced chunk = %+v, want the old id and the new title", stored[0])
		}
		if n, err := db.CountDocuments(ctx); err != nil || n != 1 {
			t.Errorf("CountDocuments = %d, %v; want 1", n, err)
		}
	})
}

func TestSaveDocumentBadInput(t *testing.T) {
	tests := []struct {
		name   string
		doc    rag.Document
		chunks []rag.Chunk
		field  string
	}{
		{"empty text", rag.Document{Title: "t"}, nil, "text"},
		{"blank text", rag.Document{Title: "t", Text: " \n\t"}, nil, "text"},
		{"NUL in text", rag.Document{Title: "t", Text: "a\x00b"}, nil, "text"},
		{"invalid UTF-8 title", rag.Document{Title: "\xff", Text: "x"}, nil, "title"},
		{"NUL in source", rag.Document{Text: "x", Source: "a\x00"}, nil, "source"},
		{"long id", rag.Document{ID: strings.Repeat("x", 201), Text: "x"}, nil, "id"},
		{"bad metadata", rag.Document{Text: "x", Metadata: map[string]string{"k": "\xfe"}}, nil, "metadata"},
		{"repeated position", rag.Document{Text: "x"}, []rag.Chunk{{Position: 1, Text: "a"}, {Position: 1, Text: "b"}}, "chunks"},
		{"negative position", rag.Document{Text: "x"}, []rag.Chunk{{Position: -1, Text: "a"}}, "chunks"},
		{"NUL in chunk", rag.Document{Text: "x"}, []rag.Chunk{{Text: "a\x00"}}, "chunks"},
	}
	eachDialect(t, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := db.SaveDocument(context.Background(), tt.doc, tt.chunks)
				wantField(t, err, rag.ErrInvalid, tt.field)
			})
		}
		if n, err := db.CountDocuments(context.Background()); err != nil || n != 0 {
			t.Errorf("CountDocuments after bad input = %d, %v; want 0", n, err)
		}
	})
}

// TestSaveDocumentAtomic breaks the chunk insert after the document row and
// a first batch of chunks were written: nothing of it may remain.
func TestSaveDocumentAtomic(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		store.SetChunkHook(db, func(batch int) error {
			if batch == 1 {
				return boom
			}
			return nil
		})
		_, _, err := db.SaveDocument(ctx, rag.Document{Title: "big", Source: "big.md", Text: "big text"},
			makeChunks(2*store.ChunkBatch+1, "big"))
		if !errors.Is(err, boom) {
			t.Fatalf("SaveDocument = %v, want the injected failure", err)
		}
		if n, err := db.CountDocuments(ctx); err != nil || n != 0 {
			t.Errorf("CountDocuments = %d, %v; want 0", n, err)
		}
		if n := countChunks(t, db); n != 0 {
			t.Errorf("%d chunks left behind", n)
		}

		// A failed replacement keeps the old version whole.
		store.SetChunkHook(db, nil)
		old := mustSave(t, db, rag.Document{Title: "v1", Source: "big.md", Text: "v1"}, makeChunks(3, "v1"), store.Created)
		store.SetChunkHook(db, func(int) error { return boom })
		if _, _, err := db.SaveDocument(ctx, rag.Document{Title: "v2", Source: "big.md", Text: "v2"}, makeChunks(1, "v2")); !errors.Is(err, boom) {
			t.Fatalf("SaveDocument(v2) = %v, want the injected failure", err)
		}
		store.SetChunkHook(db, nil)
		got, err := db.Document(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(old, got); diff != "" {
			t.Errorf("document after a failed replace (-v1 +got):\n%s", diff)
		}
		if n := countChunks(t, db); n != 3 {
			t.Errorf("%d chunks after a failed replace, want the old 3", n)
		}
	})
}

func countChunks(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	err := db.EachChunk(context.Background(), 0, func(c []rag.Chunk) error { n += len(c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveDocumentConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		const n = 8
		var wg sync.WaitGroup
		outcomes := make([]store.SaveOutcome, n)
		ids := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				// Same content (so one document) and, for half of them, the same source.
				doc := rag.Document{Title: fmt.Sprint(i), Text: "same text", Source: fmt.Sprint("s", i%2)}
				var saved rag.Document
				saved, outcomes[i], errs[i] = db.SaveDocument(context.Background(), doc, makeChunks(3, "same"))
				ids[i] = saved.ID
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("SaveDocument %d: %v", i, err)
			}
		}
		slices.Sort(outcomes)
		want := append([]store.SaveOutcome{store.Created}, slices.Repeat([]store.SaveOutcome{store.Unchanged}, n-1)...)
		if diff := cmp.Diff(want, outcomes); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		if uniq := slices.Compact(slices.Sorted(slices.Values(ids))); len(uniq) != 1 {
			t.Errorf("ids = %v, want one document", ids)
		}
		if n := countChunks(t, db); n != 3 {
			t.Errorf("%d chunks, want 3", n)
		}
	})
}

func TestListAndDeleteDocuments(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var saved []rag.Document
		for i := range 5 {
			d := mustSave(t, db, rag.Document{Title: fmt.Sprint("doc ", i), Text: fmt.Sprint("text ", i)},
				makeChunks(i, "c"), store.Created)
			d.Text = ""
			saved = append(saved, d)
		}
		// Newest first; equal times fall back to id order.
		slices.SortFunc(saved, func(a, b rag.Document) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		var listed []rag.Document
		cursor, pages := "", 0
		for {
			page, next, err := db.ListDocuments(ctx, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			listed, pages = append(listed, page...), pages+1
			if next == "" {
				break
			}
			cursor = next
		}
		if diff := cmp.Diff(saved, listed); diff != "" || pages != 3 {
			t.Errorf("listed in %d pages (want 3), (-want +got):\n%s", pages, diff)
		}
		if all, next, err := db.ListDocuments(ctx, "", 0); err != nil || len(all) != 5 || next != "" {
			t.Errorf("ListDocuments(limit 0) = %d docs, %q, %v; want all 5 on one page", len(all), next, err)
		}
		for _, bad := range []string{"!!", "eDox", conversationCursor(t, db)} {
			_, _, err := db.ListDocuments(ctx, bad, 2)
			wantField(t, err, rag.ErrInvalid, "cursor")
		}

		victim := saved[1]
		if err := db.DeleteDocument(ctx, victim.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.Document(ctx, victim.ID)
		wantField(t, err, rag.ErrNotFound, "id")
		_, err = db.Chunks(ctx, victim.ID)
		wantField(t, err, rag.ErrNotFound, "document_id")
		wantField(t, db.DeleteDocument(ctx, victim.ID), rag.ErrNotFound, "id")
		if n, err := db.CountDocuments(ctx); err != nil || n != 4 {
			t.Errorf("CountDocuments = %d, %v; want 4", n, err)
		}
		if got, want := countChunks(t, db), 0+1+2+3+4-victim.ChunkCount; got != want {
			t.Errorf("%d chunks after delete, want %d", got, want)
		}
		// A document without chunks has none, which is not an error.
		empty := saved[slices.IndexFunc(saved, func(d rag.Document) bool { return d.ChunkCount == 0 })]
		if c, err := db.Chunks(ctx, empty.ID); err != nil || len(c) != 0 {
			t.Errorf("Chunks(no chunks) = %v, %v; want none", c, err)
		}
	})
}

// conversationCursor returns a valid cursor of the conversation list.
func conversationCursor(t *testing.T, db *store.DB) string {
	t.Helper()
	for range 2 {
		if _, err := db.BeginTurn(context.Background(), "", "", "q", "r"); err != nil {
			t.Fatal(err)
		}
	}
	_, next, err := db.ListConversations(context.Background(), "", "", 1)
	if err != nil || next == "" {
		t.Fatalf("ListConversations = %q, %v; want a next cursor", next, err)
	}
	return next
}

func TestEachChunk(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var want []rag.Chunk
		for i, n := range []int{5, 0, 7} {
			chunks := makeChunks(n, fmt.Sprint("doc", i))
			mustSave(t, db, rag.Document{ID: fmt.Sprint("d", i), Title: fmt.Sprint(i), Text: fmt.Sprint("t", i)}, chunks, store.Created)
			want = append(want, chunks...)
		}
		var got []rag.Chunk
		var sizes []int
		err := db.EachChunk(ctx, 4, func(c []rag.Chunk) error {
			got, sizes = append(got, c...), append(sizes, len(c))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EachChunk (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{4, 4, 4}, sizes); diff != "" {
			t.Errorf("batch sizes (-want +got):\n%s", diff)
		}

		stop := errors.New("stop")
		calls := 0
		err = db.EachChunk(ctx, 5, func([]rag.Chunk) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("EachChunk with a failing fn = %v after %d calls, want stop after 1", err, calls)
		}
	})
}

func TestSetVectors(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustSave(t, db, rag.Document{ID: "a", Title: "A", Text: "alpha"}, makeChunks(3, "alpha"), store.Created)
		mustSave(t, db, rag.Document{ID: "b", Title: "B", Text: "beta"}, makeChunks(2, "beta"), store.Created)
		chunks, err := db.Chunks(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		for i := range chunks {
			chunks[i].Vector = []float32{9, float32(i)}
		}
		// A chunk whose text changed since it was read keeps its vector,
		// and so does one that does not exist.
		stale := chunks[2]
		stale.Text = "not what is stored"
		update := append(chunks[:2:2], stale, rag.Chunk{DocumentID: "gone", Position: 0, Vector: []float32{1}})
		if err := db.SetVectors(ctx, update); err != nil {
			t.Fatal(err)
		}
		got, err := db.Chunks(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		want := makeChunks(3, "alpha")
		want[0].Vector, want[1].Vector = []float32{9, 0}, []float32{9, 1}
		for i := range got {
			if diff := cmp.Diff(want[i].Vector, got[i].Vector); diff != "" {
				t.Errorf("chunk %d vector (-want +got):\n%s", i, diff)
			}
		}
		other, err := db.Chunks(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(makeChunks(2, "beta")[1].Vector, other[1].Vector); diff != "" {
			t.Errorf("another document's vector changed (-want +got):\n%s", diff)
		}
		if err := db.SetVectors(ctx, nil); err != nil {
			t.Errorf("SetVectors(nil) = %v", err)
		}
	})
}

func TestSettings(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if v, ok, err := db.Setting(ctx, "embedder"); err != nil || ok || v != "" {
			t.Fatalf("Setting of a new store = %q, %v, %v; want none", v, ok, err)
		}
		for _, v := range []string{"hash/512/abc", "openai/text-embedding-3-small/1536", ""} {
			if err := db.SetSetting(ctx, "embedder", v); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := db.Setting(ctx, "embedder"); err != nil || !ok || got != v {
				t.Fatalf("Setting = %q, %v, %v; want %q", got, ok, err, v)
			}
		}
		if _, ok, _ := db.Setting(ctx, "other"); ok {
			t.Error("an unset key has a value")
		}
	})
}

// TestDeleteReclaimsDisk: with SQLite, deleting a document gives its pages
// back (issue 16: the file kept its size after deletes).
func TestDeleteReclaimsDisk(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	big := mustSave(t, db, rag.Document{Title: "big", Text: strings.Repeat("many words ", 1000)},
		makeChunks(2000, strings.Repeat("padding text ", 40)), store.Created)
	pages := func() (n, free int) {
		for q, p := range map[string]*int{`PRAGMA page_count`: &n, `PRAGMA freelist_count`: &free} {
			if err := store.SQLOf(db).QueryRowContext(ctx, q).Scan(p); err != nil {
				t.Fatal(err)
			}
		}
		return n, free
	}
	before, _ := pages()
	if err := db.DeleteDocument(ctx, big.ID); err != nil {
		t.Fatal(err)
	}
	after, free := pages()
	if after*4 > before || free != 0 {
		t.Fatalf("pages %d → %d, %d free: the delete gave nothing back", before, after, free)
	}
}
