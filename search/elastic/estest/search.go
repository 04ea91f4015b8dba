package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"sort"
)

// searcher evaluates queries over the refreshed documents of an index.
type searcher struct {
	ix    *index
	docs  []*doc // visible documents in insertion order
	stats map[string]*fieldStats
}

type fieldStats struct {
	docCount int
	sumLen   int
	df       map[string]int
}

func newSearcher(ix *index) *searcher {
	se := &searcher{ix: ix, stats: map[string]*fieldStats{}}
	for _, d := range ix.visible {
		se.docs = append(se.docs, d)
	}
	sort.Slice(se.docs, func(i, j int) bool { return se.docs[i].seq < se.docs[j].seq })
	return se
}

func (se *searcher) fieldStats(field string) *fieldStats {
	if st, ok := se.stats[field]; ok {
		return st
	}
	st := &fieldStats{df: map[string]int{}}
	for _, d := range se.docs {
		ts, ok := d.tokens[field]
		if !ok {
			continue
		}
		st.docCount++
		st.sumLen += len(ts)
		seen := map[string]bool{}
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				st.df[t]++
			}
		}
	}
	se.stats[field] = st
	return st
}

// bm25 scores d's field for the query terms as Lucene's BM25Similarity
// does (k1 1.2, b 0.75, no (k1+1) factor); matched counts the terms found.
func (se *searcher) bm25(field string, queryTerms []string, d *doc) (score float64, matched int) {
	const k1, b = 1.2, 0.75
	ts := d.tokens[field]
	if len(ts) == 0 {
		return 0, 0
	}
	st := se.fieldStats(field)
	avg := float64(st.sumLen) / float64(st.docCount)
	for _, q := range queryTerms {
		tf := 0
		for _, t := range ts {
			if t == q {
				tf++
			}
		}
		if tf == 0 {
			continue
		}
		matched++
		n := float64(st.df[q])
		idf := math.Log(1 + (float64(st.docCount)-n+0.5)/(n+0.5))
		score += idf * float64(tf) / (float64(tf) + k1*(1-b+b*float64(len(ts))/avg))
	}
	return score, matched
}

// knnSearch is a top-level kNN section.
type knnSearch struct {
	Field         string          `json:"field"`
	QueryVector   []float64       `json:"query_vector"`
	K             *int            `json:"k,omitempty"`
	NumCandidates *int            `json:"num_candidates,omitempty"`
	Filter        json.RawMessage `json:"filter,omitempty"`
	Similarity    *float64        `json:"similarity,omitempty"`
	Boost         *float64        `json:"boost,omitempty"`
}

// runKNN returns the k nearest visible documents with Elasticsearch's
// similarity scores. The stand-in searches exactly; a real HNSW graph
// (int8-quantised) is approximate.
func (se *searcher) runKNN(raw json.RawMessage, size int) (map[*doc]float64, error) {
	var ks []knnSearch
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		arr = []json.RawMessage{raw}
	}
	for _, r := range arr {
		var k knnSearch
		if err := decodeStrict(r, &k); err != nil {
			return nil, fmt.Errorf("[knn] %v", err)
		}
		ks = append(ks, k)
	}
	out := map[*doc]float64{}
	for _, k := range ks {
		kk := size
		if k.K != nil {
			kk = *k.K
		}
		if kk < 1 {
			return nil, fmt.Errorf("[k] must be greater than 0")
		}
		nc := min(int(math.Round(1.5*float64(kk))), 10000)
		if k.NumCandidates != nil {
			nc = *k.NumCandidates
		}
		if nc > 10000 {
			return nil, fmt.Errorf("[num_candidates] cannot exceed [10000]")
		}
		if nc < kk {
			return nil, fmt.Errorf("[num_candidates] cannot be less than [k]")
		}
		f := se.ix.lookup(k.Field)
		if f == nil || f.Type != "dense_vector" {
			return nil, fmt.Errorf("[knn] queries are only supported on [dense_vector] fields; field [%s] is not", k.Field)
		}
		if f.Index != nil && !*f.Index {
			return nil, fmt.Errorf("to perform knn search on field [%s], its mapping must have [index] set to [true]", k.Field)
		}
		if len(k.QueryVector) != *f.Dims {
			return nil, fmt.Errorf("the query vector has a different number of dimensions [%d] than the document vectors [%d].", len(k.QueryVector), *f.Dims)
		}
		sim := similarity(f)
		if sim == "cosine" && norm(k.QueryVector) == 0 {
			return nil, fmt.Errorf("The [cosine] similarity does not support vectors with zero magnitude. Preview of invalid vector: [0.0, ...]")
		}
		filters, err := queries(k.Filter)
		if err != nil {
			return nil, err
		}
		type scored struct {
			d     *doc
			score float64
		}
		var cands []scored
	docs:
		for _, d := range se.docs {
			v, ok := d.vectors[k.Field]
			if !ok {
				continue
			}
			for _, fq := range filters {
				if m, _ := fq(se, d); !m {
					continue docs
				}
			}
			sc := score(sim, k.QueryVector, v)
			if k.Similarity != nil && sc < *k.Similarity {
				continue
			}
			cands = append(cands, scored{d, sc})
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
		for _, c := range cands[:min(kk, len(cands))] {
			out[c.d] += c.score * boost(k.Boost)
		}
	}
	return out, nil
}

// score turns a vector similarity into Elasticsearch's kNN score.
func score(sim string, q, v []float64) float64 {
	var dot float64
	for i := range q {
		dot += q[i] * v[i]
	}
	switch sim {
	case "cosine":
		return (1 + dot/(norm(q)*norm(v))) / 2
	case "dot_product":
		return (1 + dot) / 2
	case "max_inner_product":
		if dot < 0 {
			return 1 / (1 - dot)
		}
		return dot + 1
	default: // l2_norm
		var d2 float64
		for i := range q {
			d2 += (q[i] - v[i]) * (q[i] - v[i])
		}
		return 1 / (1 + d2)
	}
}

type searchBody struct {
	Query          json.RawMessage `json:"query,omitempty"`
	Knn            json.RawMessage `json:"knn,omitempty"`
	Size           *int            `json:"size,omitempty"`
	From           *int            `json:"from,omitempty"`
	Source         json.RawMessage `json:"_source,omitempty"`
	TrackTotalHits json.RawMessage `json:"track_total_hits,omitempty"`
	Timeout        string          `json:"timeout,omitempty"`
}

// runSearch answers one search body against an index (s.mu held).
func (s *Server) runSearchLocked(name string, body []byte) answer {
	var req searchBody
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return esError(400, "parsing_exception", "[search] %v", err)
		}
	}
	ix, found := s.getLocked(name)
	if !found {
		return notFoundIndex(name)
	}
	size, from := 10, 0
	if req.Size != nil {
		size = *req.Size
	}
	if req.From != nil {
		from = *req.From
	}
	if size < 0 || from < 0 {
		return esError(400, "illegal_argument_exception", "[from] and [size] must not be negative")
	}
	if from+size > 10000 {
		return esError(400, "illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000] but was [%d].", from+size)
	}
	se := newSearcher(ix)
	scores := map[*doc]float64{}
	if len(req.Knn) > 0 {
		knn, err := se.runKNN(req.Knn, size)
		if err != nil {
			return esError(400, "illegal_argument_exception", "%v", err)
		}
		scores = knn
	}
	if len(req.Query) > 0 || len(req.Knn) == 0 {
		q := matcher(func(*searcher, *doc) (bool, float64) { return true, 1 })
		if len(req.Query) > 0 {
			var err error
			if q, err = parseQuery(req.Query); err != nil {
				return esError(400, "parsing_exception", "%v", err)
			}
		}
		for _, d := range se.docs {
			if m, sc := q(se, d); m {
				scores[d] += sc
			}
		}
	}
	hits := make([]*doc, 0, len(scores))
	for d := range scores {
		hits = append(hits, d)
	}
	sort.Slice(hits, func(i, j int) bool {
		if scores[hits[i]] != scores[hits[j]] {
			return scores[hits[i]] > scores[hits[j]]
		}
		return hits[i].seq < hits[j].seq
	})
	total := len(hits)
	var maxScore any
	if total > 0 {
		maxScore = scores[hits[0]]
	}
	hits = hits[min(from, len(hits)):min(from+size, len(hits))]
	out := make([]any, len(hits))
	for i, d := range hits {
		h := map[string]any{"_index": ix.name, "_id": d.id, "_score": scores[d]}
		if src, keep := filterSource(d.source, req.Source); keep {
			h["_source"] = src
		}
		out[i] = h
	}
	return ok(map[string]any{"took": 1, "timed_out": false, "_shards": shards(),
		"hits": map[string]any{"total": map[string]any{"value": total, "relation": "eq"}, "max_score": maxScore, "hits": out}})
}

// filterSource applies a _source parameter: false, true, patterns, or
// {includes, excludes}. Patterns apply to top-level fields.
func filterSource(src json.RawMessage, spec json.RawMessage) (json.RawMessage, bool) {
	if len(spec) == 0 || string(spec) == "true" {
		return src, true
	}
	if string(spec) == "false" {
		return nil, false
	}
	var includes, excludes []string
	var one string
	if json.Unmarshal(spec, &one) == nil {
		includes = []string{one}
	} else if json.Unmarshal(spec, &includes) != nil {
		var obj struct {
			Includes []string `json:"includes"`
			Excludes []string `json:"excludes"`
		}
		_ = json.Unmarshal(spec, &obj)
		includes, excludes = obj.Includes, obj.Excludes
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(src, &fields) != nil {
		return src, true
	}
	match := func(pats []string, k string) bool {
		for _, p := range pats {
			if ok, _ := path.Match(p, k); ok {
				return true
			}
		}
		return false
	}
	for k := range fields {
		if (len(includes) > 0 && !match(includes, k)) || match(excludes, k) {
			delete(fields, k)
		}
	}
	data, _ := json.Marshal(fields)
	return data, true
}

func (s *Server) search(name string, body []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runSearchLocked(name, body)
}

// parseMsearch splits an _msearch body into header and body pairs.
func parseMsearch(body []byte) ([][2][]byte, error) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("The msearch request must be terminated by a newline [\\n]")
	}
	var lines [][]byte
	for _, l := range bytes.Split(body[:len(body)-1], []byte("\n")) {
		lines = append(lines, l)
	}
	if len(lines)%2 != 0 {
		return nil, fmt.Errorf("Validation Failed: 1: no search body for the last header;")
	}
	var out [][2][]byte
	for i := 0; i < len(lines); i += 2 {
		out = append(out, [2][]byte{lines[i], lines[i+1]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Validation Failed: 1: no requests added;")
	}
	return out, nil
}

func (s *Server) msearch(pathIndex string, body []byte) answer {
	pairs, err := parseMsearch(body)
	if err != nil {
		return esError(400, "action_request_validation_exception", "%v", err)
	}
	type header struct {
		Index             json.RawMessage `json:"index,omitempty"`
		IgnoreUnavailable *bool           `json:"ignore_unavailable,omitempty"`
		Preference        string          `json:"preference,omitempty"`
		Routing           string          `json:"routing,omitempty"`
		SearchType        string          `json:"search_type,omitempty"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var responses []any
	for _, p := range pairs {
		var h header
		if len(bytes.TrimSpace(p[0])) > 0 {
			if err := decodeStrict(p[0], &h); err != nil {
				return esError(400, "illegal_argument_exception", "key [%v] is not supported in the metadata section", err)
			}
		}
		name := pathIndex
		if len(h.Index) > 0 {
			var names []string
			if json.Unmarshal(h.Index, &names) != nil {
				var one string
				_ = json.Unmarshal(h.Index, &one)
				names = []string{one}
			}
			if len(names) != 1 {
				return esError(400, "illegal_argument_exception", "estest: the stand-in searches one index per search")
			}
			name = names[0]
		}
		if name == "" {
			return esError(400, "action_request_validation_exception", "Validation Failed: 1: no index specified;")
		}
		a := s.runSearchLocked(name, p[1])
		if m, ok := a.body.(map[string]any); ok {
			m["status"] = a.status
		}
		responses = append(responses, a.body)
	}
	return ok(map[string]any{"took": 1, "responses": responses})
}
