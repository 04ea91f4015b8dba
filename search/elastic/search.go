package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/msearch"
	"github.com/elastic/go-elasticsearch/v8/typedapi/some"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/textquerytype"

	"ragchat/rag"
	"ragchat/search/fusion"
	"ragchat/search/softmatch"
)

// maxWindow caps how many hits one list fetches: num_candidates is
// 10 × k and Elasticsearch refuses more than 10,000.
const maxWindow = 1000

// Search runs the kNN and the BM25 half of the query in one _msearch
// round trip and fuses them by reciprocal rank; ModeBM25 and ModeVector
// send only their half and keep Elasticsearch's scores.
func (s *Store) Search(ctx context.Context, q rag.Query) ([]rag.Passage, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	k = min(k, maxWindow)
	mode := q.Mode
	if mode == "" {
		mode = rag.ModeHybrid
	}
	if mode != rag.ModeHybrid && mode != rag.ModeBM25 && mode != rag.ModeVector {
		return nil, fmt.Errorf("elastic: search: %w", rag.Invalid("mode", "unknown search mode %q", mode))
	}
	if mode != rag.ModeBM25 && q.Vector != nil && len(q.Vector) != s.dims {
		return nil, fmt.Errorf("elastic: search: %w", rag.Invalid("vector", "query vector has %d dimensions, the index %d", len(q.Vector), s.dims))
	}
	if mode == rag.ModeVector && q.Vector == nil {
		return nil, fmt.Errorf("elastic: search: %w", rag.Invalid("vector", "vector search needs a query vector"))
	}
	// Cosine is undefined for a zero vector (Elasticsearch refuses it) and
	// an empty text matches nothing: leave such halves out.
	useKNN := mode != rag.ModeBM25 && !zero(q.Vector)
	useBM25 := mode != rag.ModeVector && strings.TrimSpace(q.Text) != ""
	if !useKNN && !useBM25 {
		return []rag.Passage{}, nil
	}
	window := k
	depth := k // how many fused passages go on to word matching
	if mode == rag.ModeHybrid {
		if s.words != nil {
			depth = min(max(k, softmatch.DefaultDepth), maxWindow)
		}
		// Fusion needs more than k from each list to find what both agree on.
		window = min(max(s.window, depth), maxWindow)
	}

	var filter []types.Query
	if len(q.DocumentIDs) > 0 {
		filter = []types.Query{termsQuery(fieldDocumentID, q.DocumentIDs)}
	}
	excludeVector := &types.SourceFilter{Excludes: []string{fieldVector}}
	req := s.es.Msearch().Index(s.alias)
	var names []string
	if useKNN {
		body := types.MultisearchBody{
			Knn: []types.KnnSearch{{
				Field:         fieldVector,
				QueryVector:   q.Vector,
				K:             some.Int(window),
				NumCandidates: some.Int(min(10*window, 10000)),
				Filter:        filter,
			}},
			Size:    some.Int(window),
			Source_: excludeVector,
		}
		if err := req.AddSearch(types.MultisearchHeader{}, body); err != nil {
			return nil, fmt.Errorf("elastic: search: %w", err)
		}
		names = append(names, "knn")
	}
	if useBM25 {
		body := types.MultisearchBody{
			Query: &types.Query{Bool: &types.BoolQuery{
				Must: []types.Query{{MultiMatch: &types.MultiMatchQuery{
					Query:  q.Text,
					Fields: []string{fieldText, fieldTextKorean},
					// Both fields hold the same text analysed two ways;
					// most_fields adds up the evidence of both.
					Type: &textquerytype.Mostfields,
				}}},
				Filter: filter,
			}},
			Size:    some.Int(window),
			Source_: excludeVector,
		}
		if err := req.AddSearch(types.MultisearchHeader{}, body); err != nil {
			return nil, fmt.Errorf("elastic: search: %w", err)
		}
		names = append(names, "bm25")
	}

	var res msearch.Response
	if err := s.call(ctx, req.Perform, &res); err != nil {
		return nil, fmt.Errorf("elastic: search: %w", err)
	}
	if len(res.Responses) != len(names) {
		return nil, fmt.Errorf("elastic: search: %w: %d answers for %d searches", rag.ErrUpstream, len(res.Responses), len(names))
	}
	lists := make([]fusion.List, len(names))
	for i, item := range res.Responses {
		ps, err := passages(item)
		if err != nil {
			return nil, fmt.Errorf("elastic: search: %s: %w", names[i], err)
		}
		lists[i] = fusion.List{Passages: ps, Weight: 1}
		if names[i] == "knn" {
			lists[i].Weight = s.vecW
		}
	}
	var ps []rag.Passage
	switch {
	case len(lists) == 1:
		ps = lists[0].Passages
	case s.fusion == FusionScores:
		ps = fusion.Scores(depth, lists...)
	default:
		ps = fusion.RRF(fusion.DefaultK, depth, lists...)
	}
	if mode == rag.ModeHybrid && s.words != nil && len(ps) > 1 {
		words := make([][]int32, len(ps))
		pos := make(map[string]int, len(ps))
		for i, p := range ps {
			words[i] = softmatch.WordIDs(s.words, p.Chunk.Title, p.Chunk.Heading, p.Chunk.Text)
			pos[p.Chunk.ID] = i
		}
		wq := softmatch.NewQuery(s.words, q.Text, softmatch.DefaultThreshold, softmatch.CandidateIDF(s.words, words))
		ps = softmatch.Rerank(wq, ps, s.wordW, func(p rag.Passage) []int32 { return words[pos[p.Chunk.ID]] })
	}
	return ps[:min(k, len(ps))], nil
}

// passages reads one _msearch answer.
func passages(item types.MsearchResponseItem) ([]rag.Passage, error) {
	switch it := item.(type) {
	case *types.MultiSearchItem:
		out := make([]rag.Passage, 0, len(it.Hits.Hits))
		for _, h := range it.Hits.Hits {
			var src source
			if err := json.Unmarshal(h.Source_, &src); err != nil {
				return nil, fmt.Errorf("%w: hit %s: %v", rag.ErrUpstream, deref(h.Id_), err)
			}
			p := rag.Passage{Chunk: src.chunk()}
			if p.Chunk.ID == "" && h.Id_ != nil {
				p.Chunk.ID = *h.Id_
			}
			if h.Score_ != nil && !math.IsNaN(float64(*h.Score_)) {
				p.Score = float64(*h.Score_)
			}
			out = append(out, p)
		}
		return out, nil
	case *types.ErrorResponseBase:
		e := &Error{Status: it.Status, Type: it.Error.Type, Reason: deref(it.Error.Reason)}
		return nil, e
	default:
		return nil, fmt.Errorf("%w: unexpected answer %T", rag.ErrUpstream, item)
	}
}
