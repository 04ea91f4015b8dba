// Package embedded is ragchat's default search store: an in-process index
// of chunks with BM25 over Hangul-aware tokens (package tokenize, plus
// phrase terms for adjacent words and half-weight syllable terms for
// Hangul; English function words weigh less in questions) and cosine similarity over
// int8-quantised vectors, fused in hybrid mode by score (fusion.Scores, the
// default, tuned for the hash embedder) or reciprocal rank (fusion.RRF, for
// semantic embedders). With score fusion, hybrid search then reorders its
// best 50 by word matching with English word vectors (package softmatch),
// which finds passages that say what a question asks in other words. It is
// persisted in a directory (a snapshot plus a log of later changes), so a
// restart keeps the index without re-embedding.
//
// It is sized for 100k chunks on a small machine: vectors are stored
// column-wise as int8, so a sparse query vector (the hash embedder's) reads
// only its significant columns, large scans are split across cores, and
// the inverted index is keyed by term hashes with packed postings. At 100k
// synthetic chunks a hybrid search takes about 1.6 ms (p50, 0.7 ms of it
// word matching) on 2 cores and the index about 2.9 KB of heap per chunk
// (BenchmarkSearch, BenchmarkMemory).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"ragchat/rag"
	"ragchat/search/fusion"
	"ragchat/search/softmatch"
	"ragchat/tokenize"
	"ragchat/wordvec"
)

// Options tune a Store. The zero value is the tuned default for the
// offline hash embedder.
type Options struct {
	// Dimensions, when > 0, is the vector dimension the caller will index.
	// An index persisted with another dimension (the embedder changed) is
	// discarded at Open, since its vectors cannot be compared with the new
	// ones; Open reports that through Store.Reset.
	Dimensions int
	// K1 and B are the BM25 parameters (defaults DefaultK1, DefaultB).
	K1, B float64
	// TitleBoost counts the title's terms this many times (default 1).
	TitleBoost int
	// PhraseWeight weighs phrase terms (pairs of nearby content words)
	// against single words in BM25 (default DefaultPhraseWeight; negative
	// indexes no phrases).
	PhraseWeight float64
	// Fusion selects how hybrid mode merges the BM25 and vector lists:
	// FusionScores (the default) or FusionRRF.
	Fusion string
	// VectorWeight weighs the vector list against BM25 (weight 1) in hybrid
	// mode (default DefaultVectorWeight).
	VectorWeight float64
	// RRFK is the reciprocal-rank constant for FusionRRF (default fusion.DefaultK).
	RRFK float64
	// Window is how many candidates each list contributes to hybrid fusion
	// (default DefaultWindow, and at least the query's K).
	Window int
	// WordWeight weighs word-vector matching (package softmatch) against
	// the fused BM25 and vector scores in hybrid mode, over the best
	// RerankDepth candidates. 0 means DefaultWordWeight with FusionScores
	// (the offline hash embedder, whose vectors know only spellings) and
	// off with FusionRRF (a semantic embedder knows meanings already);
	// negative turns it off.
	WordWeight float64
	// WordVectors is the table softmatch uses (default wordvec.Default()).
	WordVectors *wordvec.Table
	// RerankDepth is how many fused candidates word matching reorders
	// (default DefaultRerankDepth, and at least the query's K).
	RerankDepth int
	// NoSync skips fsync (tests, benchmarks, throw-away eval indexes).
	NoSync bool
}

// Hybrid fusion methods.
const (
	// FusionScores sums min-max normalised scores (fusion.Scores). With the
	// hash embedder, whose vectors know no more than BM25 does, a rank
	// fusion lets the weaker list overturn confident BM25 hits; score
	// fusion with a small vector weight only decides close calls. Measured
	// with `ragchat eval`: see package eval.
	FusionScores = "scores"
	// FusionRRF is reciprocal rank fusion (fusion.RRF), the better choice
	// with a semantic embedder (e.g. --embedder openai), with VectorWeight 1.
	FusionRRF = "rrf"
)

// Tuned defaults (for the hash embedder; see package eval, which has the
// figures). K1 1.0 / B 0.8 scored best R@1 on the tuning half of the English
// set (k1 0.8-1.4 by b 0.6-0.9) and tied on the Korean one. The vector
// weight is small because every larger weight lost R@1 against BM25 alone:
// the hash vectors only break near-ties.
const (
	DefaultK1           = 1.0
	DefaultB            = 0.8
	DefaultPhraseWeight = 0.3
	DefaultVectorWeight = 0.02
	DefaultWindow       = 50
	// DefaultWordWeight and DefaultRerankDepth: see softmatch.DefaultWeight.
	// Korean questions are unaffected (the table is English).
	DefaultWordWeight  = softmatch.DefaultWeight
	DefaultRerankDepth = softmatch.DefaultDepth
)

func (o *Options) fill() {
	if o.K1 <= 0 {
		o.K1 = DefaultK1
	}
	if o.B <= 0 || o.B > 1 {
		o.B = DefaultB
	}
	if o.TitleBoost <= 0 {
		o.TitleBoost = 1
	}
	if o.PhraseWeight == 0 {
		o.PhraseWeight = DefaultPhraseWeight
	}
	if o.Fusion != FusionRRF {
		o.Fusion = FusionScores
	}
	if o.RRFK <= 0 {
		o.RRFK = fusion.DefaultK
	}
	if o.VectorWeight <= 0 {
		o.VectorWeight = DefaultVectorWeight
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.WordWeight == 0 && o.Fusion == FusionScores {
		o.WordWeight = DefaultWordWeight
	}
	if o.RerankDepth <= 0 {
		o.RerankDepth = DefaultRerankDepth
	}
}

// Store is the embedded index. It is safe for concurrent use: searches run
// in parallel; Index and Delete are serialised and block searches only while
// the prepared change is applied in memory.
type Store struct {
	dir  string
	opts Options

	wmu  sync.Mutex // serialises writers (log appends, compaction)
	log  *os.File
	logN int64 // bytes in the log
	dead int   // chunks deleted since the last snapshot (still on disk)
	snap int64 // bytes in the last snapshot

	mu     sync.RWMutex // guards ix
	ix     *index
	closed bool
	reset  bool
}

var _ rag.Store = (*Store)(nil)

// Open loads (or creates) the index in dir, creating dir if needed.
func Open(dir string, opts Options) (*Store, error) {
	opts.fill()
	if opts.WordWeight > 0 && opts.WordVectors == nil {
		t, err := wordvec.Default()
		if err != nil {
			return nil, fmt.Errorf("embedded: open: %w", err)
		}
		opts.WordVectors = t
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded: open: %w", err)
	}
	s := &Store{dir: dir, opts: opts}
	s.ix = newIndex(s.analyze)
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	return s, nil
}

// load reads the snapshot and replays the log, then opens the log for
// appending.
func (s *Store) load() error {
	snapPath := filepath.Join(s.dir, snapName)
	logPath := filepath.Join(s.dir, logName)
	apply := func(o op) error { s.apply(o); return nil }
	if f, err := os.Open(snapPath); err == nil {
		dims, err := readHeader(f)
		if err == nil {
			s.ix.setDims(dims)
			_, err = readFrames(f, apply)
		}
		st, _ := f.Stat()
		f.Close()
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if st != nil {
			s.snap = st.Size()
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	good := int64(0)
	if st.Size() >= headerSize {
		if _, err := readHeader(f); err != nil {
			f.Close()
			return fmt.Errorf("log: %w", err)
		}
		n, err := readFrames(f, apply)
		if err != nil {
			f.Close()
			return fmt.Errorf("log: %w", err)
		}
		good = headerSize + n
	} else {
		// New (or torn before its header was complete): start it over.
		if err := f.Truncate(0); err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil {
			err = writeHeader(f, 0)
		}
		if err != nil {
			f.Close()
			return err
		}
		good = headerSize
	}
	// Cut off a torn tail so that new frames follow the last good one.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	s.log, s.logN = f, good
	if d := s.opts.Dimensions; d > 0 && s.ix.dims != 0 && s.ix.dims != d {
		s.ix = newIndex(s.analyze)
		s.reset = true
		return s.compactLocked()
	}
	return nil
}

// Reset reports whether Open discarded a persisted index because its vector
// dimension differed from Options.Dimensions; the caller should re-index
// its documents.
func (s *Store) Reset() bool { return s.reset }

// Dimensions returns the vector dimension of the index (0 while no chunk
// with a vector was indexed).
func (s *Store) Dimensions() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ix.dims
}

// analyze returns the BM25 terms of a chunk: title (boosted), heading, text.
func (s *Store) analyze(c *rag.Chunk) (map[uint64]uint32, uint32) {
	terms := map[uint64]uint32{}
	var n uint32
	add := func(text string, times uint32) {
		toks := tokenize.Tokens(text)
		for _, t := range toks {
			terms[termKey(t)] += times
			n += times
		}
		for _, u := range syllables(toks) {
			terms[termKey(u)] += times
		}
		if s.opts.PhraseWeight > 0 {
			for _, p := range pairs(toks) {
				terms[termKey(p)] += times
			}
		}
	}
	add(c.Title, uint32(s.opts.TitleBoost))
	add(c.Heading, 1)
	add(c.Text, 1)
	return terms, n
}

// wordIDs returns the chunk's words for softmatch, or nil when word
// matching is off.
func (s *Store) wordIDs(c *rag.Chunk) []int32 {
	if s.opts.WordWeight <= 0 {
		return nil
	}
	return softmatch.WordIDs(s.opts.WordVectors, c.Title, c.Heading, c.Text)
}

// pairPrefix marks a phrase term (two adjacent content words); no token
// starts with a control character.
const pairPrefix = "\x01"

// phraseWindow is how far apart (in content words) two words of a phrase
// term may be. 2 (which also pairs "oil began" in "oil crisis began")
// measured 0.007 better English R@1 than 1, within noise, for about 40%
// more index memory per chunk.
const phraseWindow = 1

// pairs returns the phrase terms of a token stream: each ordered pair of
// content words (not stopwords) at most phraseWindow apart, so "oil crisis"
// in a question meets "oil crisis" in a passage more strongly than the two
// words far apart. Hangul is left out: its tokens are overlapping syllable
// bigrams, which already carry the order, and pairs of them measured worse.
func pairs(toks []string) []string {
	var out []string
	var win []string // the last PhraseWindow content words
	for _, t := range toks {
		if tokenize.IsStopword(t) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(t); unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			// Syllable bigrams already overlap; pairs of them only add noise.
			win = win[:0]
			continue
		}
		for _, p := range win {
			out = append(out, pairPrefix+p+" "+t)
		}
		win = append(win, t)
		if len(win) > phraseWindow {
			win = win[1:]
		}
	}
	return out
}

// syllablePrefix marks a syllable term (one Hangul, Han or kana character of
// a longer run); no token starts with a control character.
const syllablePrefix = "\x02"

// syllableWeight weighs syllable terms against other terms in BM25. A Korean
// noun of one syllable is hidden inside the bigram with its particle
// ("콩은" gives only "콩은", which "콩을" and "콩의" do not share), and a
// bigram across a particle or spacing change misses where single syllables
// still meet. Full weight lets common syllables drown the bigrams; half
// weight measured Korean R@1 +0.006 / +0.002 on the tuning / held-out half
// of ko_kobest_boolq (English unaffected; see package eval).
const syllableWeight = 0.5

// maxSyllableShare skips, at query time, syllable terms found in more than
// this share of the chunks: their IDF (halved) adds almost nothing to a
// ranking, and their postings are the longest in a Korean index. (At 0.1
// Korean R@1 lost 0.008 on the tuning half; 0.3 and 1 scored alike.)
const maxSyllableShare = 0.3

// syllables returns the syllable terms of a token stream. Tokens keeps only
// the overlapping bigrams of a Hangul run ("칸트는" is "칸트", "트는"), so the
// characters are read back from them: each bigram's first, and the second
// of a bigram that no overlapping bigram follows. A run of one character is
// a token of its own already and gets no syllable term.
func syllables(toks []string) []string {
	var out []string
	for i, t := range toks {
		if !isBigram(t) {
			continue
		}
		_, n1 := utf8.DecodeRuneInString(t)
		r2, n2 := utf8.DecodeRuneInString(t[n1:])
		out = append(out, syllablePrefix+t[:n1])
		if i+1 < len(toks) {
			if next, _ := utf8.DecodeRuneInString(toks[i+1]); next == r2 && len(toks[i+1]) > n2 {
				continue // the run goes on
			}
		}
		out = append(out, syllablePrefix+t[n1:])
	}
	return out
}

// isBigrammed reports whether tokenize splits runs of r into bigrams.
func isBigrammed(r rune) bool {
	return r >= 0xAC00 && r <= 0xD7A3 || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// qterm is a query term and the weight of its IDF.
type qterm struct {
	text   string
	weight float64
}

// Weights of a query's Hangul bigrams by their place in a word of three or
// more syllables. A Korean word is a stem followed by particles and endings
// ("이슬점은", "생산되는가"): its first bigram holds the stem's start, what
// the question is about, and its last mostly the particle or ending, which
// says how it is asked and matches passages on any topic. Two-syllable words
// keep weight 1 (their one bigram is both). Query side only, so the index
// does not change. Measured on ko_kobest_boolq (tuning half A / held-out
// half B): R@1 0.966 -> 0.974 / 0.956 -> 0.960; first 2.0 scored 0.976 /
// 0.958, last 0.3 or 0.7 within one question; weighting passages' bigrams
// the same way as well gained nothing more.
const (
	wordStartWeight = 1.5
	wordEndWeight   = 0.5
)

// functionWordWeight weighs English function words (tokenize.IsStopword)
// in a query. They say how a question is asked ("what", "which", "did"),
// not what it is about; BM25's IDF only shrinks them, and questions, which
// have many, still pull towards passages that repeat them. Passages keep
// them at full weight (their lengths and phrase terms stay as indexed).
// Measured on en_squad11_dev, hybrid (tuning half A / held-out half B), R@1
// against full weight (0.808 / 0.786): dropped +0.008 / ±0, 0.1 +0.010 /
// +0.002, 0.3 +0.010 / +0.004, 0.5 +0.004 / +0.010; R@10 within ±0.004.
const functionWordWeight = 0.3

// queryTerms returns the weighted BM25 terms of a query: its tokens (English
// function words down-weighted, Hangul bigrams weighted by their place in
// the word), its syllable terms and its phrase terms.
func (s *Store) queryTerms(text string) []qterm {
	toks := tokenize.Tokens(text)
	terms := make([]qterm, 0, 2*len(toks))
	last := lastWordStart(toks)
	for i, t := range toks {
		w := bigramWeight(toks, i)
		if tokenize.IsStopword(t) {
			w = functionWordWeight
		}
		if i >= last {
			w *= lastWordWeight
		}
		terms = append(terms, qterm{t, w})
	}
	for _, u := range syllables(toks) {
		terms = append(terms, qterm{u, 1})
	}
	if s.opts.PhraseWeight > 0 {
		for _, p := range pairs(toks) {
			terms = append(terms, qterm{p, 1})
		}
	}
	return terms
}

// lastWordWeight weighs the bigrams of a query's last word when it is
// Hangul. A Korean sentence ends in its predicate ("높아진다", "생산되는가",
// "있나요"): a verb or adjective with its endings, which says what is
// asserted or asked about the topic and is shared by passages on any topic.
// Measured on ko_kobest_boolq (tuning half A / held-out half B), R@1 0.972 /
// 0.964 at 1: 0.974 / 0.964 (MRR@10 +0.001 / +0.0005) anywhere from 0.7 to
// 0.9; 0.6 0.974 / 0.962, 0.5 0.972, 0.3 0.968 on A. English unaffected.
const lastWordWeight = 0.8

// lastWordStart returns the index in toks of the first bigram of the last
// word when toks ends in a run of Hangul (or Han, kana) bigrams and that run
// is not the whole query, and len(toks) otherwise.
func lastWordStart(toks []string) int {
	n := len(toks)
	if n == 0 || !isBigram(toks[n-1]) {
		return n
	}
	i := n - 1
	for i > 0 && overlaps(toks[i-1], toks[i]) {
		i--
	}
	if i == 0 {
		return n
	}
	return i
}

// bigramWeight returns the weight of toks[i]: wordStartWeight or
// wordEndWeight for the first and last bigram of a run of three or more
// bigrammed characters, 1 otherwise. Runs are read back from the overlap
// of consecutive bigrams, as in syllables.
func bigramWeight(toks []string, i int) float64 {
	if !isBigram(toks[i]) {
		return 1
	}
	joinsPrev := i > 0 && overlaps(toks[i-1], toks[i])
	joinsNext := i+1 < len(toks) && overlaps(toks[i], toks[i+1])
	switch {
	case joinsNext && !joinsPrev:
		return wordStartWeight
	case joinsPrev && !joinsNext:
		return wordEndWeight
	}
	return 1
}

// isBigram reports whether t is two bigrammed characters.
func isBigram(t string) bool {
	r1, n1 := utf8.DecodeRuneInString(t)
	if n1 == len(t) || !isBigrammed(r1) {
		return false
	}
	_, n2 := utf8.DecodeRuneInString(t[n1:])
	return n1+n2 == len(t)
}

// overlaps reports whether bigram b continues bigram a in one run ("칸트",
// "트는").
func overlaps(a, b string) bool {
	if !isBigram(a) || !isBigram(b) {
		return false
	}
	_, n := utf8.DecodeRuneInString(a)
	return strings.HasPrefix(b, a[n:])
}

// apply changes the index; ix.dims is set by the caller when needed.
func (s *Store) apply(o op) {
	ix := s.ix
	switch o.kind {
	case opDelete:
		for _, id := range o.docIDs {
			ix.removeDoc(id)
		}
	case opIndex, opPut:
		if o.kind == opIndex {
			for i := range o.entries {
				ix.removeDoc(o.entries[i].chunk.DocumentID)
			}
		}
		for i := range o.entries {
			e := &o.entries[i]
			if e.terms == nil {
				e.terms, e.len = s.analyze(&e.chunk)
				e.words = s.wordIDs(&e.chunk)
			}
			if e.vec != nil && ix.dims != len(e.vec) {
				switch {
				case ix.dims == 0: // the first vector
					ix.setDims(len(e.vec))
				case ix.live == 0:
					// A new embedder after everything was deleted: start
					// a fresh index of its dimension.
					*ix = *newIndex(s.analyze)
					ix.setDims(len(e.vec))
				default:
					e.vec = nil // Index rejects this; a log never holds it
				}
			}
			ix.add(e)
		}
	}
	if ix.live == 0 && len(ix.free) > 1024 {
		// Everything was deleted: drop the slots (and the vector dimension,
		// so another embedder can start afresh).
		*ix = *newIndex(s.analyze)
	}
}

// Index adds chunks; each document in the batch loses the chunks it had.
func (s *Store) Index(ctx context.Context, chunks []rag.Chunk) error {
	if len(chunks) == 0 {
		return nil
	}
	o := op{kind: opIndex, entries: make([]entry, len(chunks))}
	dims := 0
	seen := map[string]bool{}
	for i := range chunks {
		c := chunks[i]
		if c.ID == "" || c.DocumentID == "" {
			return fmt.Errorf("embedded: index: %w", rag.Invalid("chunks", "chunk %d has no id or document id", i))
		}
		if seen[c.ID] {
			return fmt.Errorf("embedded: index: %w", rag.Invalid("chunks", "chunk id %q appears twice", c.ID))
		}
		seen[c.ID] = true
		e := &o.entries[i]
		if len(c.Vector) > 0 {
			if dims != 0 && len(c.Vector) != dims {
				return fmt.Errorf("embedded: index: %w", rag.Invalid("chunks", "vectors of %d and %d dimensions in one batch", dims, len(c.Vector)))
			}
			dims = len(c.Vector)
			e.vec, e.scale = quantize(c.Vector)
		}
		c.Vector = nil
		e.chunk = c
		e.terms, e.len = s.analyze(&e.chunk)
		e.words = s.wordIDs(&e.chunk)
		if i%256 == 0 && ctx.Err() != nil {
			return fmt.Errorf("embedded: index: %w", ctx.Err())
		}
	}
	frame := encodeOp(&o)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	closed, cur, live := s.closed, s.ix.dims, s.ix.live
	s.mu.RUnlock()
	if closed {
		return errors.New("embedded: index: store is closed")
	}
	if live+len(chunks) > maxSlots {
		return fmt.Errorf("embedded: index: %d chunks would exceed the limit of %d: %w", live+len(chunks), maxSlots, rag.ErrTooLarge)
	}
	if dims != 0 && cur != 0 && dims != cur && live > 0 {
		return fmt.Errorf("embedded: index: %w", rag.Invalid("chunks", "vectors have %d dimensions, the index has %d (re-index all documents after changing the embedder)", dims, cur))
	}
	if err := s.appendLog(frame); err != nil {
		return fmt.Errorf("embedded: index: %w", err)
	}
	s.mu.Lock()
	s.apply(o)
	s.mu.Unlock()
	return s.maybeCompact()
}

// Reindex makes the index hold exactly what each yields: every batch each
// passes to fn is indexed (a batch must hold all of a document's chunks,
// since Index replaces a document's chunks with the batch's), and the
// documents each did not yield, such as one whose deletion was
// interrupted, are removed at the end. Searches see the index throughout.
func (s *Store) Reindex(ctx context.Context, each func(fn func([]rag.Chunk) error) error) error {
	seen := map[string]bool{}
	err := each(func(chunks []rag.Chunk) error {
		for _, c := range chunks {
			seen[c.DocumentID] = true
		}
		return s.Index(ctx, chunks)
	})
	if err != nil {
		return fmt.Errorf("embedded: reindex: %w", err)
	}
	var gone []string
	s.mu.RLock()
	for id := range s.ix.byDoc {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	s.mu.RUnlock()
	if err := s.Delete(ctx, gone...); err != nil {
		return fmt.Errorf("embedded: reindex: %w", err)
	}
	return nil
}

// Delete removes every chunk of the given documents.
func (s *Store) Delete(ctx context.Context, documentIDs ...string) error {
	if len(documentIDs) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	closed := s.closed
	var known []string
	for _, id := range documentIDs {
		if _, ok := s.ix.byDoc[id]; ok {
			known = append(known, id)
		}
	}
	s.mu.RUnlock()
	if closed {
		return errors.New("embedded: delete: store is closed")
	}
	if len(known) == 0 {
		return nil
	}
	o := op{kind: opDelete, docIDs: known}
	if err := s.appendLog(encodeOp(&o)); err != nil {
		return fmt.Errorf("embedded: delete: %w", err)
	}
	s.mu.Lock()
	for _, id := range known {
		s.dead += len(s.ix.byDoc[id])
	}
	s.apply(o)
	live := s.ix.live
	s.mu.Unlock()
	// A delete gives the disk back: once deleted chunks are a quarter of
	// what the files hold, they are rewritten without them.
	if s.dead*4 >= live+s.dead {
		return s.compactLocked()
	}
	return s.maybeCompact()
}

func (s *Store) appendLog(frame []byte) error {
	if _, err := s.log.Write(frame); err != nil {
		// Drop a partial frame so the next append starts clean.
		s.log.Truncate(s.logN)
		s.log.Seek(s.logN, io.SeekStart)
		return err
	}
	s.logN += int64(len(frame))
	if !s.opts.NoSync {
		return s.log.Sync()
	}
	return nil
}

// maybeCompact rewrites the snapshot once the log outgrows it, so that Open
// replays little and the files do not grow without bound. Called with wmu.
func (s *Store) maybeCompact() error {
	if s.logN < 64<<20 || s.logN < s.snap {
		return nil
	}
	return s.compactLocked()
}

// compactLocked writes a snapshot and empties the log. Called with wmu (or
// before the Store is shared); searches go on meanwhile since writers are
// the only ones that change ix.
func (s *Store) compactLocked() error {
	if err := writeSnapshot(s.dir, s.ix, !s.opts.NoSync); err != nil {
		return fmt.Errorf("embedded: snapshot: %w", err)
	}
	if st, err := os.Stat(filepath.Join(s.dir, snapName)); err == nil {
		s.snap = st.Size()
	}
	if err := s.log.Truncate(0); err != nil {
		return fmt.Errorf("embedded: truncate log: %w", err)
	}
	if _, err := s.log.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("embedded: truncate log: %w", err)
	}
	if err := writeHeader(s.log, 0); err != nil {
		return fmt.Errorf("embedded: truncate log: %w", err)
	}
	s.logN = headerSize
	s.dead = 0
	if !s.opts.NoSync {
		return s.log.Sync()
	}
	return nil
}

// Close writes a fresh snapshot when the log has changes and closes the
// files. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var err error
	if s.logN > headerSize {
		err = s.compactLocked()
	}
	if cerr := s.log.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("embedded: close: %w", cerr)
	}
	return err
}

// Count returns how many chunks the index holds.
func (s *Store) Count(ctx context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ix.live, nil
}

// Search returns up to q.K passages, best first. Scores are BM25 scores in
// ModeBM25, cosines in ModeVector and RRF scores in ModeHybrid.
func (s *Store) Search(ctx context.Context, q rag.Query) ([]rag.Passage, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	mode := q.Mode
	if mode == "" {
		mode = rag.ModeHybrid
	}
	switch mode {
	case rag.ModeHybrid, rag.ModeBM25, rag.ModeVector:
	default:
		return nil, fmt.Errorf("embedded: search: %w", rag.Invalid("mode", "unknown search mode %q", mode))
	}
	if mode == rag.ModeVector && len(q.Vector) == 0 {
		return nil, fmt.Errorf("embedded: search: %w", rag.Invalid("vector", "vector search needs a query vector"))
	}
	var terms []qterm
	if mode != rag.ModeVector {
		terms = s.queryTerms(q.Text)
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errors.New("embedded: search: store is closed")
	}
	ix := s.ix
	useVec := len(q.Vector) > 0 && mode != rag.ModeBM25 && ix.dims != 0
	if useVec && len(q.Vector) != ix.dims {
		return nil, fmt.Errorf("embedded: search: %w", rag.Invalid("vector", "query vector has %d dimensions, the index has %d", len(q.Vector), ix.dims))
	}
	var allowed map[uint32]bool
	if q.DocumentIDs != nil {
		allowed = map[uint32]bool{}
		for _, id := range q.DocumentIDs {
			for _, sl := range ix.byDoc[id] {
				allowed[sl] = true
			}
		}
		if len(allowed) == 0 {
			return []rag.Passage{}, nil
		}
	}
	switch {
	case mode == rag.ModeBM25:
		return s.passages(ix.bm25(terms, k, s.opts, allowed)), nil
	case mode == rag.ModeVector:
		if !useVec {
			return []rag.Passage{}, nil
		}
		return s.passages(ix.vector(q.Vector, k, allowed)), nil
	}
	// Hybrid: BM25 and vectors fused, then reordered by word matching.
	depth := k
	if s.opts.WordWeight > 0 {
		depth = max(k, s.opts.RerankDepth)
	}
	var fused []rag.Passage
	w := max(s.opts.Window, depth)
	lex := s.passages(ix.bm25(terms, w, s.opts, allowed))
	switch {
	case !useVec:
		fused = lex[:min(depth, len(lex))]
	case s.opts.Fusion == FusionScores:
		vec := s.passages(ix.vector(q.Vector, w, allowed))
		fused = fusion.Scores(depth,
			fusion.List{Passages: lex, Weight: 1},
			fusion.List{Passages: vec, Weight: s.opts.VectorWeight})
	default:
		vec := s.passages(ix.vector(q.Vector, w, allowed))
		fused = fusion.RRF(s.opts.RRFK, depth,
			fusion.List{Passages: lex, Weight: 1},
			fusion.List{Passages: vec, Weight: s.opts.VectorWeight})
	}
	if s.opts.WordWeight > 0 {
		fused = s.rerank(q.Text, fused)
	}
	return fused[:min(k, len(fused))], nil
}

// rerank reorders fused hybrid results by word matching (softmatch.Rerank).
// A query word's weight is its BM25 IDF (by its stem), so words common in
// this index count as little here as they do in BM25. Called with s.mu
// held for reading.
func (s *Store) rerank(text string, ps []rag.Passage) []rag.Passage {
	ix := s.ix
	n := float64(ix.live)
	q := softmatch.NewQuery(s.opts.WordVectors, text, softmatch.DefaultThreshold, func(word string) float64 {
		key := termKey(tokenize.Stem(word))
		df := float64(len(ix.postings[key]))
		if _, ok := ix.single[key]; ok {
			df = 1
		}
		return math.Log(1 + (n-df+0.5)/(df+0.5))
	})
	return softmatch.Rerank(q, ps, s.opts.WordWeight, func(p rag.Passage) []int32 { return ix.wordsOf(p.Chunk) })
}

func (s *Store) passages(hits []hit) []rag.Passage {
	out := make([]rag.Passage, len(hits))
	for i, h := range hits {
		out[i] = rag.Passage{Chunk: s.ix.chunks[h.slot], Score: float64(h.score)}
	}
	return out
}
