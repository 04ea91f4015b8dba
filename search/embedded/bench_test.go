package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/wordvec"
)

// Synthetic corpus: words drawn from a Zipf distribution over a vocabulary
// of real English words (package wordvec's, in order of frequency, so word
// matching sees realistic word lists) and made-up Korean words, so postings
// lengths and vector sparsity resemble real text.
type synth struct {
	vocab []string
	zipf  *rand.Zipf
	rng   *rand.Rand
}

func newSynth(seed uint64) *synth {
	rng := rand.New(rand.NewPCG(seed, 1))
	table, err := wordvec.Default()
	if err != nil {
		panic(err)
	}
	english := make([]string, table.Len())
	for _, w := range table.Words() {
		id, _ := table.ID(w)
		english[id] = w
	}
	hangul := []rune("가나다라마바사아자차카타파하기니디리미비시이지치키티피히고노도로모보소오조초코토포호")
	vocab := make([]string, 30000)
	for i := range vocab {
		var b strings.Builder
		if i%5 == 4 {
			for range 2 + rng.IntN(3) {
				b.WriteRune(hangul[rng.IntN(len(hangul))])
			}
		} else {
			b.WriteString(english[i])
		}
		vocab[i] = b.String()
	}
	return &synth{vocab: vocab, rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))}
}

func (s *synth) text(words int) string {
	ws := make([]string, words)
	for i := range ws {
		ws[i] = s.vocab[s.zipf.Uint64()]
	}
	return strings.Join(ws, " ")
}

// query picks words of middling frequency, as questions name specific things.
func (s *synth) query() string {
	ws := make([]string, 6)
	for i := range ws {
		ws[i] = s.vocab[50+s.rng.IntN(5000)]
	}
	return strings.Join(ws, " ")
}

func synthChunks(b testing.TB, emb *offline.HashEmbedder, s *synth, first, n int) []rag.Chunk {
	b.Helper()
	chunks := make([]rag.Chunk, n)
	texts := make([]string, n)
	for i := range chunks {
		doc := fmt.Sprintf("doc-%d", (first+i)/4)
		chunks[i] = rag.Chunk{ID: rag.ChunkID(doc, i%4), DocumentID: doc, Position: i % 4, Title: "Synthetic " + doc, Text: s.text(90)}
		texts[i] = chunks[i].Title + "\n" + chunks[i].Text
	}
	vecs, err := emb.Embed(context.Background(), texts)
	if err != nil {
		b.Fatal(err)
	}
	for i := range chunks {
		chunks[i].Vector = vecs[i]
	}
	return chunks
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*Store{}
)

// benchStore returns a store of n synthetic chunks, built once per process.
func benchStore(b *testing.B, n int) *Store {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchStores[n]; ok {
		return s
	}
	emb := offline.NewHashEmbedder(0)
	syn := newSynth(uint64(n))
	s, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	// Documents are indexed in batches, as ingestion does.
	for lo := 0; lo < n; lo += 4000 {
		if err := s.Index(context.Background(), synthChunks(b, emb, syn, lo, min(4000, n-lo))); err != nil {
			b.Fatal(err)
		}
	}
	if c, _ := s.Count(context.Background()); c != n {
		b.Fatalf("bench store has %d chunks, want %d", c, n)
	}
	benchStores[n] = s
	return s
}

func BenchmarkSearch(b *testing.B) {
	emb := offline.NewHashEmbedder(0)
	for _, n := range []int{10_000, 100_000} {
		for _, mode := range []rag.SearchMode{rag.ModeHybrid, "hybrid-without-word-matching", rag.ModeBM25, rag.ModeVector} {
			b.Run(fmt.Sprintf("chunks=%d/mode=%s", n, mode), func(b *testing.B) {
				s := benchStore(b, n)
				if mode == "hybrid-without-word-matching" {
					// The same index, the rerank skipped (the word lists stay).
					mode = rag.ModeHybrid
					s.mu.Lock()
					s.opts.WordWeight = -1
					s.mu.Unlock()
					defer func() {
						s.mu.Lock()
						s.opts.WordWeight = DefaultWordWeight
						s.mu.Unlock()
					}()
				}
				syn := newSynth(99)
				queries := make([]rag.Query, 256)
				for i := range queries {
					text := syn.query()
					v, _ := emb.Embed(context.Background(), []string{text})
					queries[i] = rag.Query{Text: text, Vector: v[0], K: 5, Mode: mode}
				}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					start := time.Now()
					if _, err := s.Search(context.Background(), queries[i%len(queries)]); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			})
		}
	}
}

// BenchmarkIndex measures indexing throughput (embedding excluded) in
// batches of 100 chunks (25 documents).
func BenchmarkIndex(b *testing.B) {
	emb := offline.NewHashEmbedder(0)
	chunks := synthChunks(b, emb, newSynth(7), 0, 2000)
	s, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		batch := slices.Clone(chunks[(i*100)%len(chunks):][:100])
		for j := range batch {
			// New documents each round, so the index grows as in a real ingest.
			batch[j].DocumentID = fmt.Sprintf("r%d-%s", i, batch[j].DocumentID)
			batch[j].ID = rag.ChunkID(batch[j].DocumentID, batch[j].Position)
		}
		if err := s.Index(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkMemory reports the heap a store of 20k synthetic chunks takes
// per chunk (texts, postings, vectors), measured with runtime.MemStats
// around opening it from disk, so nothing is shared with the input. It
// measures once, whatever b.N is (its ns/op means nothing).
func BenchmarkMemory(b *testing.B) {
	const n = 20_000
	dir := b.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	emb := offline.NewHashEmbedder(0)
	syn := newSynth(3)
	for lo := 0; lo < n; lo += 1000 {
		if err := s.Index(context.Background(), synthChunks(b, emb, syn, lo, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for range 1 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := Open(dir, Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/chunk")
		s.Close()
	}
}
