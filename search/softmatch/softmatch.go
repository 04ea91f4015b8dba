// Package softmatch scores how well a passage covers a question's words
// when words may match by meaning, not only by spelling: each question word
// counts with its best match among the passage's words, by the cosine
// similarity of their word vectors (package wordvec), weighted by the
// word's IDF. "How many siblings did Tesla have?" finds "He had an older
// brother … and three sisters", which BM25 and the hash embedder, knowing
// only spellings, rank below passages that repeat "Tesla".
//
// It is a reranking signal: the search store fuses it with its own scores
// over its best few dozen candidates, where a passage that says the same
// thing in other words has already been found but ranked too low.
package softmatch

import (
	"math"
	"sort"

	"ragchat/rag"
	"ragchat/tokenize"
	"ragchat/wordvec"
)

// DefaultThreshold is the similarity below which a word match counts as
// none. Unrelated words still have cosines of 0.1-0.3 in GloVe's space;
// counting them adds noise to every passage. Measured with ragchat eval
// (en_squad11_dev, tuning half A / held-out half B, R@10): 0.4 0.970 /
// 0.978, 0.3 0.966 / 0.980 (without the threshold 0.966 / 0.980; 0.5 and
// 0.6 lost R@10 on A). See package eval.
const DefaultThreshold = 0.4

// DefaultWeight and DefaultDepth: word matching at weight 1 against the
// fused score, over the best 50 candidates. Measured with ragchat eval on
// en_squad11_dev (tuning half A / held-out half B), hybrid R@10 0.960 /
// 0.966 -> 0.970 / 0.978 and R@1 0.818 / 0.792 -> 0.816 / 0.806; weights
// 0.75-1.25 alike, 1.5 and up lose R@1, depth 50-100 alike.
const (
	DefaultWeight = 1.0
	DefaultDepth  = 50
)

// Rerank reorders passages (a store's fused hybrid results, best first) by
// their score divided by the list's best plus weight times their Score
// divided by the best of those; words returns a passage's WordIDs. Equal
// scores keep the given order; a query with no words, or a list where no
// passage matches any, is returned as it is.
func Rerank(q *Query, ps []rag.Passage, weight float64, words func(rag.Passage) []int32) []rag.Passage {
	if q.Empty() || len(ps) < 2 || weight <= 0 {
		return ps
	}
	word := make([]float64, len(ps))
	var hiScore, hiWord float64
	for i, p := range ps {
		word[i] = q.Score(words(p))
		hiScore, hiWord = max(hiScore, p.Score), max(hiWord, word[i])
	}
	if hiWord == 0 || hiScore <= 0 {
		return ps
	}
	out := make([]rag.Passage, len(ps))
	copy(out, ps)
	for i := range out {
		out[i].Score = max(out[i].Score, 0)/hiScore + weight*word[i]/hiWord
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// CandidateIDF weighs a word by how few of the candidates (their
// WordIDs) contain it, BM25's IDF within the list, for stores that cannot
// ask their index how common a word is without another request
// (Elasticsearch). Like the index's own IDF it makes the words every
// candidate shares (the topic's name) count little. Measured in place of
// the index's IDF on en_squad11_dev (A / B): R@1 0.810 / 0.804 against
// 0.816 / 0.806, R@10 0.968 / 0.976 against 0.970 / 0.978. (IDF from a
// word's general frequency scored R@1 0.820 / 0.810, R@10 0.968 / 0.978,
// but cannot tell that a rare word is common in this index: with three
// passages of which two name Tesla, "Tesla" outweighed "siblings".)
func CandidateIDF(table *wordvec.Table, candidates [][]int32) func(word string) float64 {
	df := map[int32]float64{}
	for _, ids := range candidates {
		for _, id := range ids {
			df[id]++
		}
	}
	n := float64(len(candidates))
	return func(word string) float64 {
		id, ok := table.ID(word)
		if !ok {
			return 0
		}
		d := df[id]
		return math.Log(1 + (n-d+0.5)/(d+0.5))
	}
}

// Query is a question prepared for scoring passages. It caches the
// similarities it computes, so it is for one goroutine (one search).
type Query struct {
	table     *wordvec.Table
	threshold float32
	ids       []int32   // the question's content words found in the table
	weights   []float32 // their IDF
	sims      map[int32][]float32
	best      []float32 // scratch for Score
}

// NewQuery prepares text for scoring: its words that the table knows,
// except English function words, each once, weighted by idf(word) (words
// as tokenize.AppendWords gives them). A query with no such word (a Korean
// question, say) scores every passage 0.
func NewQuery(table *wordvec.Table, text string, threshold float32, idf func(word string) float64) *Query {
	q := &Query{table: table, threshold: threshold, sims: map[int32][]float32{}}
	for _, w := range tokenize.AppendWords(nil, text) {
		id, ok := table.ID(w)
		if !ok || tokenize.IsStopword(tokenize.Stem(w)) || contains(q.ids, id) {
			continue
		}
		wt := idf(w)
		if wt <= 0 {
			continue
		}
		q.ids = append(q.ids, id)
		q.weights = append(q.weights, float32(wt))
	}
	q.best = make([]float32, len(q.ids))
	return q
}

// Empty reports whether the query has no word to match.
func (q *Query) Empty() bool { return len(q.ids) == 0 }

// WordIDs returns the distinct words of texts (a passage's title, heading
// and body) that the table knows, as table rows, for Query.Score. Function
// words are left out: "one" or "first" would otherwise lend every passage
// a little of a question's numbers and dates. Stores compute it once per
// passage, when they index it.
func WordIDs(table *wordvec.Table, texts ...string) []int32 {
	var ids []int32
	seen := map[int32]bool{}
	var words []string
	for _, text := range texts {
		words = tokenize.AppendWords(words[:0], text)
		for _, w := range words {
			id, ok := table.ID(w)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if !tokenize.IsStopword(tokenize.Stem(w)) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Score returns how much of the query a passage covers, given the
// passage's WordIDs: the sum over query words of weight × the best
// similarity to any of the passage's words (1 for the same word; 0 below
// the threshold).
func (q *Query) Score(passage []int32) float64 {
	if q.Empty() {
		return 0
	}
	// One scratch slice per query: Score runs for every candidate.
	best := q.best[:len(q.ids)]
	clear(best)
	for _, id := range passage {
		for i, s := range q.similarities(id) {
			best[i] = max(best[i], s)
		}
	}
	var score float64
	for i, b := range best {
		if b >= q.threshold {
			score += float64(q.weights[i] * b)
		}
	}
	return score
}

// similarities returns the similarity of table row id to each query word.
func (q *Query) similarities(id int32) []float32 {
	if s, ok := q.sims[id]; ok {
		return s
	}
	s := make([]float32, len(q.ids))
	for i, qid := range q.ids {
		s[i] = q.table.Similarity(qid, id)
	}
	q.sims[id] = s
	return s
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
