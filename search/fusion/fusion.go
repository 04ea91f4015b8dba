// Package fusion merges ranked result lists by reciprocal rank (RRF), the
// fusion every store uses for hybrid retrieval: Elasticsearch's own RRF needs
// a paid licence, and fusing in one place keeps the stores' rankings alike.
package fusion

import (
	"sort"

	"ragchat/rag"
)

// DefaultK is the usual RRF rank constant; larger values flatten the
// difference between the first ranks.
const DefaultK = 60

// List is one ranked result list and the weight of its votes.
type List struct {
	Passages []rag.Passage // best first
	Weight   float64       // 0 counts as 1
}

// RRF scores each chunk by the sum over lists of weight/(k+rank), rank
// counting from 1, and returns the best limit passages (all when limit <= 0)
// with that fused score. Ties keep the order of first appearance, so the
// result is deterministic.
func RRF(k float64, limit int, lists ...List) []rag.Passage {
	if k <= 0 {
		k = DefaultK
	}
	type entry struct {
		p     rag.Passage
		score float64
		first int
	}
	byID := map[string]*entry{}
	order := 0
	for _, l := range lists {
		w := l.Weight
		if w == 0 {
			w = 1
		}
		for i, p := range l.Passages {
			e, ok := byID[p.Chunk.ID]
			if !ok {
				e = &entry{p: p, first: order}
				order++
				byID[p.Chunk.ID] = e
			}
			e.score += w / (k + float64(i+1))
		}
	}
	out := make([]*entry, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].first < out[j].first
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	res := make([]rag.Passage, len(out))
	for i, e := range out {
		res[i] = e.p
		res[i].Score = e.score
	}
	return res
}

// Scores fuses lists by their scores instead of their ranks: each list's
// scores are divided by that list's best score (negative scores count as 0,
// and so does a passage missing from a list), then summed with the lists'
// weights. Dividing by the best rather than min-max scaling keeps a list's
// last passage from counting as absent. Unlike
// RRF it keeps how far ahead a list's best passage is, so a confident
// lexical match is not overturned by a weak vector list, while close calls
// are decided by both. Ties keep the order of first appearance.
func Scores(limit int, lists ...List) []rag.Passage {
	type entry struct {
		p     rag.Passage
		score float64
		first int
	}
	byID := map[string]*entry{}
	var out []*entry
	for _, l := range lists {
		w := l.Weight
		if w == 0 {
			w = 1
		}
		if len(l.Passages) == 0 {
			continue
		}
		hi := 0.0
		for _, p := range l.Passages {
			hi = max(hi, p.Score)
		}
		for _, p := range l.Passages {
			e, ok := byID[p.Chunk.ID]
			if !ok {
				e = &entry{p: p, first: len(out)}
				byID[p.Chunk.ID] = e
				out = append(out, e)
			}
			if hi > 0 && p.Score > 0 {
				e.score += w * p.Score / hi
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	res := make([]rag.Passage, len(out))
	for i, e := range out {
		res[i] = e.p
		res[i].Score = e.score
	}
	return res
}
