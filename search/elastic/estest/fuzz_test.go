package estest

import (
	"encoding/json"
	"testing"
)

// The stand-in parses what clients send; malformed input must give an
// error answer, never a panic.

func FuzzParseBulk(f *testing.F) {
	f.Add([]byte("{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n"))
	f.Add([]byte("{\"delete\":{\"_id\":\"1\"}}\n"))
	f.Add([]byte("{\"index\":{}}\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		actions, err := parseBulk(body)
		if err == nil && len(actions) == 0 {
			t.Errorf("no error and no actions for %q", body)
		}
	})
}

func FuzzParseMsearch(f *testing.F) {
	f.Add([]byte("{}\n{\"query\":{\"match_all\":{}}}\n"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		pairs, err := parseMsearch(body)
		if err == nil && len(pairs) == 0 {
			t.Errorf("no error and no searches for %q", body)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{
		`{"match_all":{}}`, `{"match":{"text":"red"}}`, `{"match":{"text":{"query":"red","operator":"and"}}}`,
		`{"multi_match":{"query":"x","fields":["text","text.ko^2"],"type":"most_fields"}}`,
		`{"terms":{"id":["a",1,true]}}`, `{"term":{"id":"a"}}`, `{"ids":{"values":["1"]}}`,
		`{"bool":{"must":[{"match":{"text":"x"}}],"filter":{"terms":{"id":["a"]}},"must_not":[],"should":[],"minimum_should_match":1}}`,
	} {
		f.Add([]byte(q))
	}
	srv := New(Options{})
	ix := &index{name: "i", live: map[string]*doc{}, visible: map[string]*doc{}}
	ix.m.Properties = map[string]*field{"text": {Type: "text", Fields: map[string]*field{"ko": {Type: "text", Analyzer: "cjk"}}}, "id": {Type: "keyword"}}
	d, typ, _ := srv.parseDoc(ix, "1", []byte(`{"id":"a","text":"the red rainbow 김치"}`))
	if typ != "" {
		f.Fatal(typ)
	}
	ix.live["1"] = d
	ix.refresh()
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		q, err := parseQuery(raw)
		if err != nil {
			return
		}
		se := newSearcher(ix)
		_, _ = q(se, d)
	})
}
