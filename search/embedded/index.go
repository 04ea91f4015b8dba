package embedded

import (
	"math"
	"runtime"
	"strings"
	"sync"

	"ragchat/rag"
)

// index is the in-memory state of a Store: chunk slots, a BM25 inverted
// index and the quantised vectors. It is not safe for concurrent use; Store
// guards it.
//
// Slots are reused after deletes, so every per-slot slice has the same
// length and a chunk keeps its slot for its lifetime. Postings are removed
// eagerly on delete (a linear scan of each of the chunk's terms), so search
// never sees dead entries and BM25 statistics stay exact.
type index struct {
	dims int // vector dimension, 0 until the first chunk with a vector

	chunks []rag.Chunk // Vector always nil; ID "" marks a free slot
	words  [][]int32   // the chunk's softmatch.WordIDs; nil without word vectors
	docLen []uint32    // BM25 document length in tokens
	scale  []float32   // dequantisation factor of the slot's vector; 0 = no vector
	cols   [][]int8    // dims columns of quantised vector components, one entry per slot
	nz     []uint32    // per dimension, how many live vectors are non-zero there
	free   []uint32

	byDoc    map[string][]uint32
	postings map[uint64][]posting // by termKey, terms in two or more chunks
	single   map[uint64]posting   // by termKey, terms in exactly one chunk
	totalLen uint64
	live     int

	// analyze returns a chunk's BM25 terms with their frequencies and its
	// length; removal re-analyses instead of keeping term lists per slot.
	analyze func(c *rag.Chunk) (map[uint64]uint32, uint32)
}

// posting is a slot and the term's frequency there, packed in 32 bits
// (slot<<8 | tf, tf capped at 255): postings are most of the index's
// memory, and no chunk repeats a term 255 times usefully.
type posting uint32

const maxSlots = 1 << 24

func mkPosting(slot, tf uint32) posting { return posting(slot<<8 | min(tf, 255)) }
func (p posting) slot() uint32          { return uint32(p) >> 8 }
func (p posting) tf() uint32            { return uint32(p) & 255 }

// termKey is the 64-bit FNV-1a hash of a term. The inverted index is keyed
// by it rather than by the term's string: a vocabulary of mostly rare words
// and phrases would otherwise cost a string allocation per term, and a
// collision in 64 bits is not a practical concern at this size.
func termKey(t string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(t); i++ {
		h ^= uint64(t[i])
		h *= 1099511628211
	}
	return h
}

// entry is a chunk prepared for the index outside the lock: its terms and
// quantised vector.
type entry struct {
	chunk rag.Chunk         // Vector nil
	terms map[uint64]uint32 // by termKey
	len   uint32
	words []int32 // softmatch.WordIDs of the chunk
	vec   []int8  // nil when the chunk has no vector
	scale float32
}

func newIndex(analyze func(c *rag.Chunk) (map[uint64]uint32, uint32)) *index {
	return &index{byDoc: map[string][]uint32{}, postings: map[uint64][]posting{}, single: map[uint64]posting{}, analyze: analyze}
}

// quantize L2-normalises v and maps it to int8 with one scale per vector, so
// that dot products of stored vectors are cosines. Returns nil for a zero or
// empty vector.
func quantize(v []float32) ([]int8, float32) {
	var n, maxAbs float64
	for _, x := range v {
		n += float64(x) * float64(x)
		maxAbs = math.Max(maxAbs, math.Abs(float64(x)))
	}
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, 0
	}
	q := make([]int8, len(v))
	// q = round(x / maxAbs * 127); x/|v| = q * maxAbs/(127*|v|)
	f := 127 / maxAbs
	for i, x := range v {
		q[i] = int8(math.Round(float64(x) * f))
	}
	return q, float32(maxAbs / 127 / math.Sqrt(n))
}

func (ix *index) setDims(d int) {
	ix.dims = d
	ix.nz = make([]uint32, d)
	ix.cols = make([][]int8, d)
	for j := range ix.cols {
		ix.cols[j] = make([]int8, len(ix.chunks))
	}
}

// removeDoc frees the slots of a document.
func (ix *index) removeDoc(docID string) {
	slots, ok := ix.byDoc[docID]
	if !ok {
		return
	}
	delete(ix.byDoc, docID)
	for _, s := range slots {
		ix.removeSlot(s)
	}
}

func (ix *index) removeSlot(s uint32) {
	c := &ix.chunks[s]
	terms, _ := ix.analyze(c)
	for term := range terms {
		if p, ok := ix.single[term]; ok && p.slot() == s {
			delete(ix.single, term)
			continue
		}
		ps := ix.postings[term]
		for i := range ps {
			if ps[i].slot() == s {
				ps[i] = ps[len(ps)-1]
				ps = ps[:len(ps)-1]
				break
			}
		}
		switch len(ps) {
		case 0:
			delete(ix.postings, term)
		case 1:
			delete(ix.postings, term)
			ix.single[term] = ps[0]
		default:
			ix.postings[term] = ps
		}
	}
	ix.totalLen -= uint64(ix.docLen[s])
	ix.docLen[s] = 0
	if ix.scale[s] != 0 {
		for j := range ix.cols {
			if ix.cols[j][s] != 0 {
				ix.nz[j]--
			}
			ix.cols[j][s] = 0
		}
		ix.scale[s] = 0
	}
	*c = rag.Chunk{}
	ix.words[s] = nil
	ix.free = append(ix.free, s)
	ix.live--
}

// add puts a prepared entry in a slot. The caller has checked the vector's
// dimension.
func (ix *index) add(e *entry) {
	var s uint32
	if n := len(ix.free); n > 0 {
		s = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		s = uint32(len(ix.chunks))
		ix.chunks = append(ix.chunks, rag.Chunk{})
		ix.words = append(ix.words, nil)
		ix.docLen = append(ix.docLen, 0)
		ix.scale = append(ix.scale, 0)
		for j := range ix.cols {
			ix.cols[j] = append(ix.cols[j], 0)
		}
	}
	ix.chunks[s] = e.chunk
	ix.words[s] = e.words
	ix.docLen[s] = e.len
	ix.totalLen += uint64(e.len)
	for term, tf := range e.terms {
		p := mkPosting(s, tf)
		if ps, ok := ix.postings[term]; ok {
			ix.postings[term] = append(ps, p)
		} else if q, ok := ix.single[term]; ok {
			delete(ix.single, term)
			ix.postings[term] = []posting{q, p}
		} else {
			// Most terms (rare words, and most phrases) occur in one
			// chunk only: a map entry of 12 bytes instead of a slice.
			ix.single[term] = p
		}
	}
	if e.vec != nil && ix.dims == len(e.vec) {
		for j, x := range e.vec {
			ix.cols[j][s] = x
			if x != 0 {
				ix.nz[j]++
			}
		}
		ix.scale[s] = e.scale
	}
	ix.byDoc[e.chunk.DocumentID] = append(ix.byDoc[e.chunk.DocumentID], s)
	ix.live++
}

// wordsOf returns the softmatch word IDs of an indexed chunk.
func (ix *index) wordsOf(c rag.Chunk) []int32 {
	for _, s := range ix.byDoc[c.DocumentID] {
		if ix.chunks[s].ID == c.ID {
			return ix.words[s]
		}
	}
	return nil
}

// hit is a scored slot.
type hit struct {
	slot  uint32
	score float32
}

// topK keeps the k best hits in a min-heap (worst at the root). Ties go to
// the lower slot, so results are deterministic.
type topK struct {
	k int
	h []hit
}

func worse(a, b hit) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.slot > b.slot
}

func (t *topK) push(x hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !worse(t.h[0], x) {
		return
	}
	t.h[0] = x
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// full reports whether x cannot enter the heap (a cheap pre-check).
func (t *topK) rejects(x hit) bool {
	return len(t.h) == t.k && !worse(t.h[0], x)
}

// sorted returns the hits best first.
func (t *topK) sorted() []hit {
	out := make([]hit, len(t.h))
	copy(out, t.h)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && worse(out[j-1], out[j]); j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

var f32Pool = sync.Pool{New: func() any { return new([]float32) }}
var i32Pool = sync.Pool{New: func() any { return new([]int32) }}

// bm25 returns the k best slots for the query terms. allowed, when not nil,
// restricts the slots.
func (ix *index) bm25(terms []qterm, k int, o Options, allowed map[uint32]bool) []hit {
	k1, b := o.K1, o.B
	if ix.live == 0 || len(terms) == 0 {
		return nil
	}
	accp := f32Pool.Get().(*[]float32)
	defer f32Pool.Put(accp)
	if cap(*accp) < len(ix.chunks) {
		*accp = make([]float32, len(ix.chunks))
	}
	acc := (*accp)[:len(ix.chunks)]
	var touched []uint32
	n := float64(ix.live)
	avg := float64(ix.totalLen) / n
	if avg == 0 {
		avg = 1
	}
	seen := map[uint64]bool{}
	for _, qt := range terms {
		t := qt.text
		key := termKey(t)
		if seen[key] {
			continue
		}
		seen[key] = true
		ps := ix.postings[key]
		if p, ok := ix.single[key]; ok {
			ps = []posting{p}
		}
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1+(n-df+0.5)/(df+0.5)) * qt.weight
		switch {
		case strings.HasPrefix(t, pairPrefix):
			idf *= o.PhraseWeight
		case strings.HasPrefix(t, syllablePrefix):
			if df > maxSyllableShare*n {
				continue
			}
			idf *= syllableWeight
		}
		for _, p := range ps {
			slot := p.slot()
			if allowed != nil && !allowed[slot] {
				continue
			}
			tf := float64(p.tf())
			norm := k1 * (1 - b + b*float64(ix.docLen[slot])/avg)
			if acc[slot] == 0 {
				touched = append(touched, slot)
			}
			acc[slot] += float32(idf * tf * (k1 + 1) / (tf + norm))
		}
	}
	top := topK{k: k}
	for _, s := range touched {
		top.push(hit{slot: s, score: acc[s]})
		acc[s] = 0
	}
	return top.sorted()
}

// weightDims scales each query component by the inverse document frequency
// of its dimension. Sparse vectors such as feature hashes carry a word (or
// n-gram) per dimension: a dimension that is non-zero in most chunks holds a
// common feature and says little, exactly as a common word does in BM25. The
// hashing embedder cannot know which features are common; the index can.
// The weighting applies only while the index's vectors are sparse (at most
// half of all components non-zero). In dense vectors — a model's embeddings,
// or hash vectors of long chunks where most dimensions hold colliding
// features — a dimension's document frequency is noise, not rarity, and
// the ranking stays plain cosine. Measured with ragchat eval: Korean
// (short passages, sparse) vector R@1 0.766 -> 0.787; English (passages of
// ~130 words, ~80% non-zero at 512 dimensions) 0.548 -> 0.486 if forced on.
func (ix *index) weightDims(q []float32) []float32 {
	var total uint64
	for _, c := range ix.nz {
		total += uint64(c)
	}
	n := float64(ix.live)
	if float64(total) > 0.5*n*float64(ix.dims) {
		return q
	}
	out := make([]float32, len(q))
	for j, x := range q {
		if x == 0 {
			continue
		}
		df := float64(ix.nz[j])
		out[j] = x * float32(math.Log(1+(n-df+0.5)/(df+0.5)))
	}
	return out
}

// minQueryComponent is the smallest quantised query component (of ±127)
// whose column is read: smaller ones (mostly character n-grams of common
// words) move scores by a few percent at most but cost a full column scan
// each. Measured with ragchat eval: recall unchanged (±0.002) at 16, about
// 12% of the largest component; at 32 English vector R@1 drops by 0.02.
const minQueryComponent = 16

// parallelMin is the slot count from which vector scoring is split across
// cores: below it the goroutine overhead outweighs the gain.
const parallelMin = 16384

// vector returns the k best slots by cosine with q (already checked to have
// ix.dims components).
func (ix *index) vector(q []float32, k int, allowed map[uint32]bool) []hit {
	if ix.live == 0 || ix.dims == 0 {
		return nil
	}
	q = ix.weightDims(q)
	qv, qscale := quantize(q)
	if qv == nil {
		return nil
	}
	// Hash embeddings of short queries are sparse: only the non-zero
	// components need their columns read.
	type comp struct {
		j int
		w int32
	}
	var nz []comp
	for j, x := range qv {
		if x >= minQueryComponent || x <= -minQueryComponent {
			nz = append(nz, comp{j, int32(x)})
		}
	}
	if allowed != nil {
		top := topK{k: k}
		for s := range allowed {
			if ix.scale[s] == 0 {
				continue
			}
			var dot int32
			for _, c := range nz {
				dot += c.w * int32(ix.cols[c.j][s])
			}
			top.push(hit{slot: s, score: float32(dot) * ix.scale[s] * qscale})
		}
		return top.sorted()
	}
	n := len(ix.chunks)
	score := func(lo, hi int) []hit {
		accp := i32Pool.Get().(*[]int32)
		defer i32Pool.Put(accp)
		if cap(*accp) < hi-lo {
			*accp = make([]int32, hi-lo)
		}
		acc := (*accp)[:hi-lo]
		clear(acc)
		for _, c := range nz {
			col := ix.cols[c.j][lo:hi]
			col = col[:len(acc)]
			w := c.w
			i := 0
			for ; i+4 <= len(col); i += 4 {
				a, x := acc[i:i+4:i+4], col[i:i+4:i+4]
				a[0] += w * int32(x[0])
				a[1] += w * int32(x[1])
				a[2] += w * int32(x[2])
				a[3] += w * int32(x[3])
			}
			for ; i < len(col); i++ {
				acc[i] += w * int32(col[i])
			}
		}
		top := topK{k: k}
		sc := ix.scale[lo:hi]
		for i, a := range acc {
			if sc[i] == 0 {
				continue
			}
			h := hit{slot: uint32(lo + i), score: float32(a) * sc[i] * qscale}
			if top.rejects(h) {
				continue
			}
			top.push(h)
		}
		return top.h
	}
	parts := 1
	if n >= parallelMin {
		parts = min(runtime.GOMAXPROCS(0), 8)
	}
	if parts == 1 {
		t := topK{k: k, h: score(0, n)}
		return t.sorted()
	}
	results := make([][]hit, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := n*p/parts, n*(p+1)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[p] = score(lo, hi)
		}()
	}
	wg.Wait()
	top := topK{k: k}
	for _, r := range results {
		for _, h := range r {
			top.push(h)
		}
	}
	return top.sorted()
}
