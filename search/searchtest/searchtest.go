// Package searchtest is the conformance suite every rag.Store passes
// (search/embedded, search/elastic). It indexes a small English and Korean
// corpus with vectors from its own tiny deterministic embedder, so a store
// under test needs to know only Dims, not the real embedders.
//
// The suite assumes that what Index and Delete return after is visible to
// the next Search and Count (a store backed by a refreshing index must wait
// for the refresh).
package searchtest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"ragchat/rag"
)

// Dims is the dimension of every vector the suite indexes and queries with.
const Dims = 64

// Vector embeds text with the suite's own feature-hashing embedder: lower-cased
// words (without a few English function words) and Hangul syllable bigrams,
// signed, L2-normalised. It is deliberately
// independent of rag/offline so that changes there cannot change the suite.
func Vector(text string) []float32 {
	v := make([]float32, Dims)
	add := func(feature string) {
		h := fnv.New32a()
		h.Write([]byte(feature))
		x := h.Sum32()
		sign := float32(1)
		if x&0x80000000 != 0 {
			sign = -1
		}
		v[x%Dims] += sign
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopwords[w] {
			continue
		}
		add("w:" + w)
		rs := []rune(w)
		if len(rs) > 1 && unicode.Is(unicode.Hangul, rs[0]) {
			for i := 0; i+1 < len(rs); i++ {
				add("b:" + string(rs[i:i+2]))
			}
		}
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}

var stopwords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "in": true, "on": true,
	"and": true, "or": true, "is": true, "are": true, "by": true, "to": true, "what": true, "from": true, "under": true}

// doc is a document of the test corpus: its chunks' texts, in order.
type doc struct {
	id, title, url string
	heading        string
	texts          []string
}

var corpus = []doc{
	{id: "en-rainbow", title: "Rainbows", url: "https://example.com/rainbow", heading: "Optics > Rainbows", texts: []string{
		"A rainbow is caused by refraction, reflection and dispersion of sunlight in water droplets.",
		"The colours of a rainbow are red, orange, yellow, green, blue, indigo and violet.",
	}},
	{id: "en-volcano", title: "Volcanoes", url: "https://example.com/volcano", heading: "Geology", texts: []string{
		"A volcano is a rupture in the crust where lava, ash and gases escape from a magma chamber.",
		"Mount Vesuvius erupted in the year 79 and buried the city of Pompeii under ash.",
		"Shield volcanoes have gentle slopes built by fluid basalt lava flows.",
	}},
	{id: "en-sse", title: "Server-Sent Events", url: "https://example.com/sse", heading: "Streaming", texts: []string{
		"Server-Sent Events stream text messages from a server to a browser over one long HTTP response.",
	}},
	{id: "ko-kant", title: "칸트", url: "https://example.com/kant", heading: "철학", texts: []string{
		"임마누엘 칸트는 독일의 철학자로 순수이성비판을 썼다.",
		"칸트의 정언명령은 보편적 법칙이 될 수 있는 준칙에 따라 행위하라고 요구한다.",
	}},
	{id: "ko-kimchi", title: "김치", heading: "음식", texts: []string{
		"김치는 배추와 무를 소금에 절여 고춧가루와 마늘로 양념한 한국의 발효 음식이다.",
	}},
}

func chunksOf(d doc) []rag.Chunk {
	out := make([]rag.Chunk, len(d.texts))
	for i, text := range d.texts {
		out[i] = rag.Chunk{
			ID:         rag.ChunkID(d.id, i),
			DocumentID: d.id,
			Position:   i,
			Title:      d.title,
			URL:        d.url,
			Heading:    d.heading,
			Text:       text,
			Vector:     Vector(d.title + "\n" + d.heading + "\n" + text),
		}
	}
	return out
}

func allChunks() []rag.Chunk {
	var out []rag.Chunk
	for _, d := range corpus {
		out = append(out, chunksOf(d)...)
	}
	return out
}

var modes = []rag.SearchMode{rag.ModeBM25, rag.ModeVector, rag.ModeHybrid}

func query(text string, k int, mode rag.SearchMode, docs ...string) rag.Query {
	return rag.Query{Text: text, Vector: Vector(text), K: k, Mode: mode, DocumentIDs: docs}
}

func search(t *testing.T, s rag.Store, q rag.Query) []rag.Passage {
	t.Helper()
	ps, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%q, mode %s, k %d): %v", q.Text, q.Mode, q.K, err)
	}
	checkOrder(t, ps)
	return ps
}

func checkOrder(t *testing.T, ps []rag.Passage) {
	t.Helper()
	seen := map[string]bool{}
	for i, p := range ps {
		if seen[p.Chunk.ID] {
			t.Errorf("passage %d: chunk %s returned twice", i, p.Chunk.ID)
		}
		seen[p.Chunk.ID] = true
		if math.IsNaN(p.Score) || math.IsInf(p.Score, 0) {
			t.Errorf("passage %d (%s): score %v", i, p.Chunk.ID, p.Score)
		}
		if i > 0 && p.Score > ps[i-1].Score {
			t.Errorf("scores not descending: [%d] %s %v > [%d] %s %v", i, p.Chunk.ID, p.Score, i-1, ps[i-1].Chunk.ID, ps[i-1].Score)
		}
	}
}

func index(t *testing.T, s rag.Store, chunks []rag.Chunk) {
	t.Helper()
	if err := s.Index(context.Background(), chunks); err != nil {
		t.Fatalf("Index(%d chunks): %v", len(chunks), err)
	}
}

func count(t *testing.T, s rag.Store) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func ids(ps []rag.Passage) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Chunk.ID
	}
	return out
}

func docIDs(ps []rag.Passage) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Chunk.DocumentID
	}
	return out
}

// Run runs the conformance suite. open returns a new, empty store for each
// subtest; it should register its own cleanup (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) rag.Store) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if n := count(t, s); n != 0 {
			t.Errorf("Count of a new store = %d, want 0", n)
		}
		for _, m := range modes {
			if ps := search(t, s, query("rainbow", 5, m)); len(ps) != 0 {
				t.Errorf("mode %s: empty store returned %v", m, ids(ps))
			}
		}
		if err := s.Index(ctx, nil); err != nil {
			t.Errorf("Index(nil) = %v, want nil", err)
		}
		if err := s.Delete(ctx, "no-such-doc"); err != nil {
			t.Errorf("Delete(unknown) on empty store = %v, want nil", err)
		}
	})

	t.Run("Find", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		if n, want := count(t, s), len(allChunks()); n != want {
			t.Fatalf("Count = %d, want %d", n, want)
		}
		tests := []struct {
			name, q, want string
		}{
			{"english", "what is the refraction of sunlight in rainbow droplets", "en-rainbow#0"},
			{"english second chunk", "Vesuvius Pompeii", "en-volcano#1"},
			{"english other doc", "server sent events browser stream", "en-sse#0"},
			{"korean", "칸트 순수이성비판", "ko-kant#0"},
			{"korean particles", "칸트의 정언명령은 무엇인가", "ko-kant#1"},
			{"korean other doc", "배추 김치 양념", "ko-kimchi#0"},
		}
		for _, tt := range tests {
			for _, m := range modes {
				t.Run(tt.name+"/"+string(m), func(t *testing.T) {
					ps := search(t, s, query(tt.q, 3, m))
					if len(ps) == 0 || ps[0].Chunk.ID != tt.want {
						t.Fatalf("Search(%q) = %v, want %s first", tt.q, ids(ps), tt.want)
					}
				})
			}
		}
	})

	t.Run("PassageFields", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		want := chunksOf(corpus[1])[1]
		for _, m := range modes {
			ps := search(t, s, query("Vesuvius erupted and buried Pompeii", 1, m))
			if len(ps) != 1 {
				t.Fatalf("mode %s: got %d passages, want 1", m, len(ps))
			}
			got := ps[0].Chunk
			if got.ID != want.ID || got.DocumentID != want.DocumentID || got.Position != want.Position ||
				got.Title != want.Title || got.URL != want.URL || got.Heading != want.Heading || got.Text != want.Text {
				t.Errorf("mode %s: passage chunk = %+v\nwant (ignoring Vector) %+v", m, withoutVector(got), withoutVector(want))
			}
			if ps[0].Score <= 0 {
				t.Errorf("mode %s: score of the best match = %v, want > 0", m, ps[0].Score)
			}
		}
	})

	t.Run("K", func(t *testing.T) {
		s := open(t)
		var chunks []rag.Chunk
		for i := range 12 {
			id := fmt.Sprintf("many-%02d", i)
			chunks = append(chunks, rag.Chunk{
				ID: rag.ChunkID(id, 0), DocumentID: id, Title: "Lighthouse " + id,
				Text:   fmt.Sprintf("The lighthouse keeper wrote log entry number %d about the storm.", i),
				Vector: Vector("lighthouse keeper storm log entry " + id),
			})
		}
		index(t, s, chunks)
		for _, m := range modes {
			for _, tc := range []struct{ k, want int }{{1, 1}, {3, 3}, {0, 5}, {-1, 5}, {12, 12}, {50, 12}} {
				ps := search(t, s, query("lighthouse keeper storm", tc.k, m))
				if len(ps) != tc.want {
					t.Errorf("mode %s, K %d: got %d passages, want %d", m, tc.k, len(ps), tc.want)
				}
			}
		}
	})

	t.Run("ReplaceDocument", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		before := count(t, s)
		// A new version of the volcano document with one chunk instead of three.
		v2 := doc{id: "en-volcano", title: "Volcanoes (revised)", heading: "Geology", texts: []string{
			"Stratovolcanoes are tall cones of hardened lava and tephra.",
		}}
		index(t, s, chunksOf(v2))
		if n, want := count(t, s), before-2; n != want {
			t.Errorf("Count after replacing a 3-chunk document with 1 chunk = %d, want %d", n, want)
		}
		for _, m := range modes {
			for _, p := range search(t, s, query("Vesuvius Pompeii shield basalt volcano lava", 10, m)) {
				if p.Chunk.DocumentID == "en-volcano" && (p.Chunk.Position != 0 || p.Chunk.Title != "Volcanoes (revised)") {
					t.Errorf("mode %s: stale chunk of a replaced document returned: %+v", m, withoutVector(p.Chunk))
				}
			}
			ps := search(t, s, query("stratovolcanoes tephra cones", 1, m))
			if len(ps) != 1 || ps[0].Chunk.ID != "en-volcano#0" || ps[0].Chunk.Text != v2.texts[0] {
				t.Errorf("mode %s: new version not found first: %v", m, ids(ps))
			}
		}
		// Replacing within one batch: two documents at once, one of them new.
		v3 := doc{id: "en-sse", title: "SSE", texts: []string{"EventSource reconnects with Last-Event-ID.", "Heartbeats are comment lines."}}
		newDoc := doc{id: "en-new", title: "New", texts: []string{"A brand new document about tides and the moon."}}
		index(t, s, append(chunksOf(v3), chunksOf(newDoc)...))
		if n, want := count(t, s), before-2+1+1; n != want {
			t.Errorf("Count after batch replace = %d, want %d", n, want)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		total := count(t, s)
		if err := s.Delete(ctx, "en-volcano", "ko-kant", "unknown-doc"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if n, want := count(t, s), total-5; n != want {
			t.Errorf("Count after Delete = %d, want %d", n, want)
		}
		for _, m := range modes {
			for _, q := range []string{"Vesuvius Pompeii volcano lava", "칸트 순수이성비판 정언명령"} {
				for _, p := range search(t, s, query(q, 10, m)) {
					if p.Chunk.DocumentID == "en-volcano" || p.Chunk.DocumentID == "ko-kant" {
						t.Errorf("mode %s: deleted chunk %s returned", m, p.Chunk.ID)
					}
				}
			}
		}
		if err := s.Delete(ctx); err != nil {
			t.Errorf("Delete() with no ids = %v, want nil", err)
		}
		if err := s.Delete(ctx, "en-volcano"); err != nil {
			t.Errorf("Delete of an already deleted document = %v, want nil", err)
		}
		// Deleted documents can come back.
		index(t, s, chunksOf(corpus[1]))
		if n, want := count(t, s), total-2; n != want {
			t.Errorf("Count after re-indexing = %d, want %d", n, want)
		}
	})

	t.Run("DocumentIDs", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		for _, m := range modes {
			ps := search(t, s, query("rainbow volcano lava Vesuvius 칸트", 10, m, "en-volcano", "ko-kimchi"))
			if len(ps) == 0 {
				t.Errorf("mode %s: filtered search found nothing", m)
			}
			for _, p := range ps {
				if p.Chunk.DocumentID != "en-volcano" && p.Chunk.DocumentID != "ko-kimchi" {
					t.Errorf("mode %s: chunk %s outside the filter", m, p.Chunk.ID)
				}
			}
			ps = search(t, s, query("rainbow", 10, m, "no-such-doc"))
			if len(ps) != 0 {
				t.Errorf("mode %s: filter on an unknown document returned %v", m, ids(ps))
			}
		}
	})

	t.Run("Ranking", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		for _, m := range modes {
			ps := search(t, s, query("rainbow colours red orange violet", 10, m))
			if len(ps) < 2 {
				t.Fatalf("mode %s: got %v, want at least 2 passages", m, ids(ps))
			}
			if ps[0].Chunk.ID != "en-rainbow#1" {
				t.Errorf("mode %s: first = %s, want en-rainbow#1", m, ps[0].Chunk.ID)
			}
			if m != rag.ModeVector && ps[1].Chunk.ID != "en-rainbow#0" {
				// The other rainbow chunk shares only the word "rainbow".
				t.Errorf("mode %s: second = %s, want en-rainbow#0 (order %v)", m, ps[1].Chunk.ID, ids(ps))
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		index(t, s, allChunks())
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 4 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				d := doc{id: fmt.Sprintf("conc-%d", i), title: "Concurrent", texts: []string{"parallel writers and readers share the store"}}
				for range 5 {
					if err := s.Index(ctx, chunksOf(d)); err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				for _, m := range modes {
					if _, err := s.Search(ctx, query("parallel readers rainbow", 5, m)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n, want := count(t, s), len(allChunks())+4; n != want {
			t.Errorf("Count after concurrent indexing = %d, want %d", n, want)
		}
		got := docIDs(search(t, s, query("parallel writers readers", 10, rag.ModeBM25)))
		slices.Sort(got)
		if want := []string{"conc-0", "conc-1", "conc-2", "conc-3"}; !slices.Equal(got, want) {
			t.Errorf("documents found after concurrent indexing = %v, want %v", got, want)
		}
	})
}

func withoutVector(c rag.Chunk) rag.Chunk {
	c.Vector = nil
	return c
}
