//go:build !js

package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/store"
)

// TestEachDocumentBatch checks that a rebuild's batches never split a
// document, whatever the documents' sizes against the page size, and
// yield every chunk once, in order.
func TestEachDocumentBatch(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	sizes := []int{300, 400, reindexBatch, 1, 2*reindexBatch + 7, 10, reindexBatch - 1}
	total := 0
	for i, n := range sizes {
		chunks := make([]rag.Chunk, n)
		for j := range chunks {
			chunks[j] = rag.Chunk{Position: j, Text: fmt.Sprintf("doc %d chunk %d", i, j)}
		}
		if _, _, err := db.SaveDocument(ctx, rag.Document{ID: fmt.Sprintf("d%02d", i), Title: "t", Text: fmt.Sprint("doc ", i)}, chunks); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	seen := map[string]bool{} // documents whose batch has passed
	var got []string
	err = eachDocumentBatch(ctx, db, func(chunks []rag.Chunk) error {
		inBatch := map[string]int{}
		for _, c := range chunks {
			if seen[c.DocumentID] {
				t.Errorf("document %s is split across batches", c.DocumentID)
			}
			inBatch[c.DocumentID]++
			got = append(got, c.ID)
		}
		for id := range inBatch {
			seen[id] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != total {
		t.Fatalf("%d chunks yielded, want %d", len(got), total)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("chunk %s yielded twice", got[i])
		}
	}
}

// TestEmbedderChange checks that vectors stored by another embedder (or by
// a build that recorded none) are made again when the data directory is
// opened: the new vectors are in the database and the setting names the
// configured embedder; an unchanged embedder re-embeds nothing.
func TestEmbedderChange(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	doc := filepath.Join(dir, "a.md")
	if err := os.WriteFile(doc, []byte("# Lanterns\n\nPaper lanterns float on the river at the autumn festival.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"RAGCHAT_DATA_DIR": data, "RAGCHAT_LOG_LEVEL": "warn", "RAGCHAT_SAMPLE_CORPUS": "false"}[k]
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"ingest", doc}, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr.String())
	}
	want := offline.NewHashEmbedder(0).Identity()

	// open runs what every writer runs at start and returns the log.
	open := func(t *testing.T, tamper func(db *store.DB)) (string, *dataSession) {
		t.Helper()
		cfg := testConfig(t, data)
		if tamper != nil {
			db, err := store.Open(ctx, cfg.databaseURL())
			if err != nil {
				t.Fatal(err)
			}
			tamper(db)
			db.Close()
		}
		var logs bytes.Buffer
		s, err := openForWriting(ctx, &cfg, "test", slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return logs.String(), s
	}
	vectorOf := func(t *testing.T, s *dataSession) []float32 {
		t.Helper()
		docs, _, err := s.db.ListDocuments(ctx, "", 10)
		if err != nil || len(docs) != 1 {
			t.Fatalf("documents: %v, %v", docs, err)
		}
		chunks, err := s.db.Chunks(ctx, docs[0].ID)
		if err != nil || len(chunks) == 0 {
			t.Fatalf("chunks: %v", err)
		}
		want, err := offline.NewHashEmbedder(0).Embed(ctx, []string{rag.EmbeddingText(chunks[0])})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(chunks[0].Vector, want[0]) {
			t.Error("the stored vector is not the configured embedder's vector of the chunk")
		}
		return chunks[0].Vector
	}
	bogus := func(db *store.DB) {
		var chunks []rag.Chunk
		if err := db.EachChunk(ctx, 0, func(c []rag.Chunk) error { chunks = append(chunks, c...); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range chunks {
			v := make([]float32, len(chunks[i].Vector))
			v[0] = 1 // same dimension, different embedder
			chunks[i].Vector = v
		}
		if err := db.SetVectors(ctx, chunks); err != nil {
			t.Fatal(err)
		}
	}

	for _, tt := range []struct {
		name    string
		setting func(db *store.DB) error
	}{
		{"another embedder", func(db *store.DB) error { return db.SetSetting(ctx, embedderKey, "openai/some-model/512") }},
		{"none recorded", func(db *store.DB) error {
			// As a database of a build before settings: the table is new
			// (reverting 0003_accounts, then 0002_settings).
			for range 2 {
				if err := db.MigrateDown(ctx); err != nil {
					return err
				}
			}
			return db.MigrateUp(ctx)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs, s := open(t, func(db *store.DB) {
				bogus(db)
				if err := tt.setting(db); err != nil {
					t.Fatal(err)
				}
			})
			defer s.Close()
			if !strings.Contains(logs, "embedding every chunk again") {
				t.Errorf("no warning about re-embedding in the log:\n%s", logs)
			}
			vectorOf(t, s)
			if got, _, _ := s.db.Setting(ctx, embedderKey); got != want {
				t.Errorf("recorded embedder %q, want %q", got, want)
			}
			// The index holds the document under its new vector: a vector
			// search for its own text finds it first.
			q, _ := offline.NewHashEmbedder(0).Embed(ctx, []string{"Paper lanterns float on the river"})
			ps, err := s.index.Search(ctx, rag.Query{Vector: q[0], K: 1, Mode: rag.ModeVector})
			if err != nil || len(ps) != 1 {
				t.Fatalf("vector search: %v, %v", ps, err)
			}
		})
	}
	t.Run("unchanged", func(t *testing.T) {
		logs, s := open(t, nil)
		defer s.Close()
		if strings.Contains(logs, "embedding every chunk again") {
			t.Errorf("re-embedded with the same embedder:\n%s", logs)
		}
	})
}
