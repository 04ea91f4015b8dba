package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// matcher says whether d matches and with what score.
type matcher func(se *searcher, d *doc) (bool, float64)

// one returns the single key and value of a JSON object.
func one(raw json.RawMessage, what string) (string, json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", nil, fmt.Errorf("[%s] malformed query, expected [START_OBJECT]", what)
	}
	if len(m) != 1 {
		return "", nil, fmt.Errorf("[%s] query malformed, expected exactly one field but found %d", what, len(m))
	}
	for k, v := range m {
		return k, v, nil
	}
	return "", nil, nil
}

// queries reads a query or an array of queries.
func queries(raw json.RawMessage) ([]matcher, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		arr = []json.RawMessage{raw}
	}
	out := make([]matcher, len(arr))
	for i, r := range arr {
		q, err := parseQuery(r)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}

// parseQuery compiles the query DSL subset the store uses: match_all,
// match, multi_match, term, terms, ids, exists and bool.
func parseQuery(raw json.RawMessage) (matcher, error) {
	kind, body, err := one(raw, "query")
	if err != nil {
		return nil, err
	}
	switch kind {
	case "match_all":
		var q struct {
			Boost *float64 `json:"boost,omitempty"`
		}
		if err := decodeStrict(body, &q); err != nil {
			return nil, fmt.Errorf("[match_all] %v", err)
		}
		return func(*searcher, *doc) (bool, float64) { return true, boost(q.Boost) }, nil
	case "match":
		fieldName, v, err := one(body, "match")
		if err != nil {
			return nil, err
		}
		var q struct {
			Query    string   `json:"query"`
			Operator string   `json:"operator,omitempty"`
			Boost    *float64 `json:"boost,omitempty"`
		}
		if json.Unmarshal(v, &q.Query) != nil {
			if err := decodeStrict(v, &q); err != nil {
				return nil, fmt.Errorf("[match] %v", err)
			}
		}
		return textMatcher([]string{fieldName}, q.Query, q.Operator, "best_fields", boost(q.Boost))
	case "multi_match":
		var q struct {
			Query      string   `json:"query"`
			Fields     []string `json:"fields"`
			Type       string   `json:"type,omitempty"`
			Operator   string   `json:"operator,omitempty"`
			Boost      *float64 `json:"boost,omitempty"`
			TieBreaker *float64 `json:"tie_breaker,omitempty"`
		}
		if err := decodeStrict(body, &q); err != nil {
			return nil, fmt.Errorf("[multi_match] %v", err)
		}
		if q.Type == "" {
			q.Type = "best_fields"
		}
		if q.Type != "best_fields" && q.Type != "most_fields" {
			return nil, fmt.Errorf("estest: multi_match type [%s] is not supported by the stand-in", q.Type)
		}
		return textMatcher(q.Fields, q.Query, q.Operator, q.Type, boost(q.Boost))
	case "term":
		fieldName, v, err := one(body, "term")
		if err != nil {
			return nil, err
		}
		var q struct {
			Value json.RawMessage `json:"value"`
			Boost *float64        `json:"boost,omitempty"`
		}
		if vals, ok := scalars(v); ok && len(vals) == 1 {
			q.Value = v
		} else if err := decodeStrict(v, &q); err != nil {
			return nil, fmt.Errorf("[term] %v", err)
		}
		vals, ok := scalars(q.Value)
		if !ok || len(vals) != 1 {
			return nil, fmt.Errorf("[term] query does not support array of values")
		}
		return keywordMatcher(fieldName, vals, boost(q.Boost)), nil
	case "terms":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("[terms] %v", err)
		}
		var b *float64
		if raw, ok := m["boost"]; ok {
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, fmt.Errorf("[terms] boost: %v", err)
			}
			delete(m, "boost")
		}
		if len(m) != 1 {
			return nil, fmt.Errorf("[terms] query does not support multiple fields")
		}
		for fieldName, v := range m {
			var arr []json.RawMessage
			if err := json.Unmarshal(v, &arr); err != nil {
				return nil, fmt.Errorf("[terms] query does not support [%s]", fieldName)
			}
			vals, ok := scalars(v)
			if !ok {
				return nil, fmt.Errorf("[terms] values must be scalars")
			}
			if len(vals) > 65536 {
				return nil, fmt.Errorf("The number of terms [%d] used in the Terms Query request has exceeded the allowed maximum of [65536].", len(vals))
			}
			return keywordMatcher(fieldName, vals, boost(b)), nil
		}
	case "ids":
		var q struct {
			Values []string `json:"values"`
			Boost  *float64 `json:"boost,omitempty"`
		}
		if err := decodeStrict(body, &q); err != nil {
			return nil, fmt.Errorf("[ids] %v", err)
		}
		want := set(q.Values...)
		return func(_ *searcher, d *doc) (bool, float64) { return want[d.id], boost(q.Boost) }, nil
	case "exists":
		var q struct {
			Field string `json:"field"`
		}
		if err := decodeStrict(body, &q); err != nil {
			return nil, fmt.Errorf("[exists] %v", err)
		}
		return func(_ *searcher, d *doc) (bool, float64) {
			_, t := d.tokens[q.Field]
			_, k := d.keywords[q.Field]
			_, v := d.vectors[q.Field]
			return t || k || v, 1
		}, nil
	case "bool":
		return boolQuery(body)
	}
	return nil, fmt.Errorf("unknown query [%s]", kind)
}

func boost(b *float64) float64 {
	if b == nil {
		return 1
	}
	return *b
}

func keywordMatcher(fieldName string, values []string, b float64) matcher {
	want := set(values...)
	return func(_ *searcher, d *doc) (bool, float64) {
		if fieldName == "_id" {
			return want[d.id], b
		}
		for _, v := range d.keywords[fieldName] {
			if want[v] {
				return true, b
			}
		}
		return false, 0
	}
}

// textMatcher analyses the query text with each field's analyzer and
// scores by BM25: best_fields takes the best field, most_fields the sum.
func textMatcher(fields []string, text, operator, typ string, b float64) (matcher, error) {
	if operator != "" && !strings.EqualFold(operator, "or") && !strings.EqualFold(operator, "and") {
		return nil, fmt.Errorf("Unknown operator [%s]", operator)
	}
	and := strings.EqualFold(operator, "and")
	type fieldBoost struct {
		name  string
		boost float64
	}
	var fs []fieldBoost
	for _, f := range fields {
		name, bs, hasBoost := strings.Cut(f, "^")
		fb := fieldBoost{name: name, boost: 1}
		if hasBoost {
			if _, err := fmt.Sscanf(bs, "%g", &fb.boost); err != nil {
				return nil, fmt.Errorf("invalid boost [%s]", bs)
			}
		}
		fs = append(fs, fb)
	}
	return func(se *searcher, d *doc) (bool, float64) {
		total, best, hit := 0.0, 0.0, false
		for _, f := range fs {
			fm := se.ix.lookup(f.name)
			if fm == nil || fm.Type != "text" {
				continue // unmapped or not analysed: matches nothing here
			}
			ts, _ := analyze(analyzerOf(fm), text)
			qt := terms(ts)
			sc, n := se.bm25(f.name, qt, d)
			if n == 0 || (and && n < len(unique(qt))) {
				continue
			}
			hit = true
			sc *= f.boost
			total += sc
			best = max(best, sc)
		}
		if !hit {
			return false, 0
		}
		if typ == "most_fields" {
			return true, total * b
		}
		return true, best * b
	}, nil
}

func unique(ts []string) map[string]bool { return set(ts...) }

func boolQuery(body json.RawMessage) (matcher, error) {
	var q struct {
		Must               json.RawMessage `json:"must,omitempty"`
		Filter             json.RawMessage `json:"filter,omitempty"`
		Should             json.RawMessage `json:"should,omitempty"`
		MustNot            json.RawMessage `json:"must_not,omitempty"`
		MinimumShouldMatch json.RawMessage `json:"minimum_should_match,omitempty"`
		Boost              *float64        `json:"boost,omitempty"`
	}
	if err := decodeStrict(body, &q); err != nil {
		return nil, fmt.Errorf("[bool] %v", err)
	}
	must, err := queries(q.Must)
	if err != nil {
		return nil, err
	}
	filter, err := queries(q.Filter)
	if err != nil {
		return nil, err
	}
	should, err := queries(q.Should)
	if err != nil {
		return nil, err
	}
	mustNot, err := queries(q.MustNot)
	if err != nil {
		return nil, err
	}
	msm := 0
	if len(must) == 0 && len(filter) == 0 && len(should) > 0 {
		msm = 1
	}
	if len(q.MinimumShouldMatch) > 0 {
		var n json.Number
		if err := json.Unmarshal(bytes.Trim(q.MinimumShouldMatch, `"`), &n); err != nil {
			return nil, fmt.Errorf("estest: minimum_should_match [%s] is not supported by the stand-in", q.MinimumShouldMatch)
		}
		i, err := n.Int64()
		if err != nil {
			return nil, fmt.Errorf("estest: minimum_should_match [%s] is not supported by the stand-in", q.MinimumShouldMatch)
		}
		msm = int(i)
	}
	bo := boost(q.Boost)
	return func(se *searcher, d *doc) (bool, float64) {
		score := 0.0
		for _, m := range must {
			ok, sc := m(se, d)
			if !ok {
				return false, 0
			}
			score += sc
		}
		for _, m := range filter {
			if ok, _ := m(se, d); !ok {
				return false, 0
			}
		}
		for _, m := range mustNot {
			if ok, _ := m(se, d); ok {
				return false, 0
			}
		}
		n := 0
		for _, m := range should {
			if ok, sc := m(se, d); ok {
				n++
				score += sc
			}
		}
		if n < msm {
			return false, 0
		}
		return true, score * bo
	}, nil
}
