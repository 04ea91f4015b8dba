package offline

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"ragchat/rag"
	"ragchat/tokenize"
)

// DefaultHashDimensions is the dimension of a HashEmbedder made with dims <= 0:
// large enough that the features of one passage rarely collide, small
// enough that the embedded store's vector index stays a few hundred bytes
// per chunk.
const DefaultHashDimensions = 512

// HashEmbedder embeds text by feature hashing (the "hashing trick"): each
// word token (tokenize.Tokens, without English stopwords) and each character
// n-gram of a word adds ±weight to one dimension chosen by a hash of the
// feature; the vector is then L2-normalised, so cosine is a dot product.
// Character n-grams let inflections and compounds that the tokenizer does not
// unify still share most features; Hangul tokens are already syllable
// bigrams, which play the same part for Korean.
//
// It needs no model and no state: the same text gives the same vector in
// every process and on every platform (FNV-1a over UTF-8 bytes, no map
// iteration order, no floating-point reductions whose order varies). It is
// safe for concurrent use.
type HashEmbedder struct {
	dims int
	cfg  hashConfig

	identityOnce sync.Once
	identity     string
}

// hashConfig holds the feature weights, measured with `ragchat eval` (see
// package eval): word features carry the meaning; adjacent word pairs give
// some credit to phrases; character trigrams give partial credit to
// inflections and compounds the tokenizer does not unify (all of a word's
// trigrams together weigh as much as the word); sublinear term frequency
// keeps a repeated word from dominating a passage's vector.
type hashConfig struct {
	word, ngram, bigram float64
	ngramSize           int
	sublinear           bool // 1+ln(tf) instead of tf
}

var defaultHashConfig = hashConfig{word: 1, ngram: 1, bigram: 0.5, ngramSize: 3, sublinear: true}

var _ rag.Embedder = (*HashEmbedder)(nil)

// NewHashEmbedder returns an embedder of dims dimensions
// (DefaultHashDimensions when dims <= 0).
func NewHashEmbedder(dims int) *HashEmbedder {
	if dims <= 0 {
		dims = DefaultHashDimensions
	}
	return &HashEmbedder{dims: dims, cfg: defaultHashConfig}
}

// identityProbes are texts whose vectors fingerprint the embedder: they
// touch stemming, possessives, character n-grams, word pairs, Hangul
// bigrams and NFKC folding, so that a change to any of them (in this
// package or in package tokenize) changes Identity.
var identityProbes = []string{
	"The quick brown foxes jumped over the lazy dog's kennels, and grew tired.",
	"칸트는 쾨니히스베르크에서 태어났다. ＡＰＩ는 HTTP/2 streams를 쓴다.",
	"Erupted eruptions; 3.14 µs — naïve café.",
}

// Identity names what makes this embedder's vectors comparable: its
// dimension and a fingerprint of the vectors of a few fixed texts. Vectors
// stored under another identity (an earlier build whose tokenizer or
// features differed) must be made again.
func (e *HashEmbedder) Identity() string {
	e.identityOnce.Do(func() {
		vecs, _ := e.Embed(context.Background(), identityProbes)
		h := fnv.New64a()
		var b [4]byte
		for _, v := range vecs {
			for _, x := range v {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
				h.Write(b[:])
			}
		}
		e.identity = fmt.Sprintf("hash/%d/%016x", e.dims, h.Sum64())
	})
	return e.identity
}

// Dimensions returns the length of every vector Embed returns.
func (e *HashEmbedder) Dimensions() int { return e.dims }

// Embed returns one vector per text. Empty texts give zero vectors.
func (e *HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	acc := make([]float64, e.dims)
	var toks []string
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("hash embedder: %w", err)
			}
		}
		toks = tokenize.AppendTokens(toks[:0], t)
		clear(acc)
		e.features(toks, acc)
		out[i] = normalize(acc)
	}
	return out, nil
}

func (e *HashEmbedder) features(toks []string, acc []float64) {
	c := &e.cfg
	feats := map[uint64]float64{}
	var buf []byte
	prev := ""
	for _, tok := range toks {
		if tokenize.IsStopword(tok) {
			continue
		}
		feats[hash('w', tok)] += c.word
		if c.bigram != 0 && prev != "" {
			feats[hash2('b', prev, tok)] += c.bigram
		}
		prev = tok
		if c.ngram == 0 || tok[0] >= utf8.RuneSelf || len(tok) <= c.ngramSize {
			// Short words and Hangul bigrams are their own n-grams.
			continue
		}
		// Character n-grams of the word padded with boundary marks.
		buf = append(buf[:0], ' ')
		buf = append(buf, tok...)
		buf = append(buf, ' ')
		w := c.ngram / float64(len(buf)-c.ngramSize+1)
		for i := 0; i+c.ngramSize <= len(buf); i++ {
			feats[hash('n', string(buf[i:i+c.ngramSize]))] += w
		}
	}
	// Sorted so that the float sums do not depend on map order.
	keys := make([]uint64, 0, len(feats))
	for h := range feats {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	for _, h := range keys {
		w := feats[h]
		if c.sublinear && w > 1 {
			w = 1 + math.Log(w)
		}
		// The low bits choose the dimension, the top bit the sign (signed
		// hashing keeps collisions from biasing dot products upwards).
		if h>>63 == 1 {
			w = -w
		}
		acc[h%uint64(len(acc))] += w
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hash is 64-bit FNV-1a of the kind byte and the feature's bytes.
func hash(kind byte, feature string) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(kind)
	h *= fnvPrime
	for i := 0; i < len(feature); i++ {
		h ^= uint64(feature[i])
		h *= fnvPrime
	}
	return h
}

// hash2 hashes a pair of words as hash(kind, a+" "+b) without building the string.
func hash2(kind byte, a, b string) uint64 {
	h := hash(kind, a)
	h ^= ' '
	h *= fnvPrime
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= fnvPrime
	}
	return h
}

func normalize(acc []float64) []float32 {
	var n float64
	for _, x := range acc {
		n += x * x
	}
	v := make([]float32, len(acc))
	if n == 0 {
		return v
	}
	inv := 1 / math.Sqrt(n)
	for i, x := range acc {
		v[i] = float32(x * inv)
	}
	return v
}
