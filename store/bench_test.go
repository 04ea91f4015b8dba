package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"ragchat/rag"
	"ragchat/store"
	"ragchat/store/storetest"
)

// benchDims is the vector size of the benchmarks, a common embedding size.
const benchDims = 384

// BenchmarkSaveDocument stores documents of 100 chunks (≈700 bytes of text
// and a 384-dim vector each) and reports chunks/s.
func BenchmarkSaveDocument(b *testing.B) {
	const perDoc = 100
	text := strings.Repeat("Server-sent events stream tokens over plain HTTP. ", 14)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				chunks := make([]rag.Chunk, perDoc)
				for p := range chunks {
					vec := make([]float32, benchDims)
					for k := range vec {
						vec[k] = rng.Float32()
					}
					chunks[p] = rag.Chunk{Position: p, Heading: "Streaming", Text: text, Vector: vec}
				}
				doc := rag.Document{Title: "bench", Text: fmt.Sprint("document ", i)}
				if _, _, err := db.SaveDocument(ctx, doc, chunks); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i*perDoc)/b.Elapsed().Seconds(), "chunks/s")
		})
	}
}

// BenchmarkHistory measures a conversation of 1,000 messages: reading it
// whole, then starting turns (each reads the last 50 as history; the
// conversation grows as it runs, which the keyed lookup does not feel).
func BenchmarkHistory(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			ctx := context.Background()
			id := seedConversation(b, db, 500)
			b.Run("Conversation", func(b *testing.B) {
				for b.Loop() {
					_, msgs, err := db.Conversation(ctx, id)
					if err != nil {
						b.Fatal(err)
					}
					if len(msgs) != 1000 {
						b.Fatalf("%d messages", len(msgs))
					}
				}
			})
			b.Run("BeginTurn", func(b *testing.B) {
				for b.Loop() {
					tr, err := db.BeginTurn(ctx, "", id, "another question", "r")
					if err != nil {
						b.Fatal(err)
					}
					if len(tr.History) != store.HistoryLimit {
						b.Fatalf("history of %d", len(tr.History))
					}
				}
			})
		})
	}
}

// seedConversation stores turns complete turns (2 messages each) with
// realistic answers and sources.
func seedConversation(b *testing.B, db *store.DB, turns int) string {
	b.Helper()
	ctx := context.Background()
	answer := strings.Repeat("SSE keeps one HTTP response open and writes events [1]. ", 10)
	sources := make([]rag.Source, 5)
	for i := range sources {
		sources[i] = rag.Source{N: i + 1, DocumentID: "d", ChunkID: fmt.Sprint("d#", i), Title: "SSE",
			Snippet: strings.Repeat("snippet ", 20), Score: 0.5}
	}
	id := ""
	for i := range turns {
		tr, err := db.BeginTurn(ctx, "", id, fmt.Sprint("question ", i), "r")
		if err != nil {
			b.Fatal(err)
		}
		id = tr.ConversationID
		err = db.FinishTurn(ctx, rag.Message{ID: tr.AssistantMessageID, Content: answer, Sources: sources,
			Status: rag.StatusComplete, FinishReason: "stop", Timings: &rag.Timings{TotalMS: 100}})
		if err != nil {
			b.Fatal(err)
		}
	}
	return id
}
