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

// Query is a question prepared for scoring passages. It caches the
// similarities it computes, so it is for one goroutine (one search).
type Query struct {
	table     *wordvec.Table
	threshold float32
	ids       []int32   // the question's content words found in the table
	weights   []float32 // their IDF
	sims      map[int32][]float32
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
	best := make([]float32, len(q.ids))
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
