package estest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ndjson = "application/vnd.elasticsearch+x-ndjson;compatible-with=8"
const vndJSON = "application/vnd.elasticsearch+json;compatible-with=8"

type result struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, srv *Server, method, path, contentType, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", vndJSON)
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, header: res.Header}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.body); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, data)
		}
	}
	return r
}

func errType(r result) string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["type"].(string)
		return s
	}
	return ""
}

const mapping = `{"mappings":{"dynamic":"strict","properties":{
	"id":{"type":"keyword"},
	"text":{"type":"text","analyzer":"standard","fields":{"ko":{"type":"text","analyzer":"cjk"}}},
	"v":{"type":"dense_vector","dims":2,"index":true,"similarity":"cosine","index_options":{"type":"int8_hnsw"}}}},
	"aliases":{"docs":{}}}`

func setup(t *testing.T, opts Options) *Server {
	t.Helper()
	srv := NewServer(opts)
	t.Cleanup(srv.Close)
	if r := do(t, srv, "PUT", "/docs-v1", vndJSON, mapping); r.status != 200 {
		t.Fatalf("create: %d %v", r.status, r.body)
	}
	bulk := `{"index":{"_id":"1"}}
{"id":"a","text":"the red rainbow","v":[1,0]}
{"index":{"_id":"2"}}
{"id":"b","text":"blue sea and red sky 김치는 맛있다","v":[0,1]}
{"index":{"_id":"3"}}
{"id":"c","text":"nothing here","v":[1,1]}
`
	if r := do(t, srv, "POST", "/docs/_bulk?refresh=true", ndjson, bulk); r.status != 200 || r.body["errors"] != false {
		t.Fatalf("bulk: %d %v", r.status, r.body)
	}
	return srv
}

func TestAnswersLikeElasticsearch(t *testing.T) {
	srv := setup(t, Options{})
	tests := []struct {
		name                      string
		method, path, ctype, body string
		status                    int
		errType                   string
	}{
		{"info", "GET", "/", "", "", 200, ""},
		{"exists alias", "HEAD", "/docs", "", "", 200, ""},
		{"exists missing", "HEAD", "/nope", "", "", 404, ""},
		{"create existing", "PUT", "/docs-v1", vndJSON, `{}`, 400, "resource_already_exists_exception"},
		{"create over alias", "PUT", "/docs", vndJSON, `{}`, 400, "invalid_index_name_exception"},
		{"uppercase name", "PUT", "/Docs", vndJSON, `{}`, 400, "invalid_index_name_exception"},
		{"unknown mapping parameter", "PUT", "/x", vndJSON, `{"mappings":{"properties":{"t":{"type":"keyword","analyzer":"standard"}}}}`, 400, "mapper_parsing_exception"},
		{"unknown analyzer", "PUT", "/x", vndJSON, `{"mappings":{"properties":{"t":{"type":"text","analyzer":"nori"}}}}`, 400, "mapper_parsing_exception"},
		{"too many dims", "PUT", "/x", vndJSON, `{"mappings":{"properties":{"v":{"type":"dense_vector","dims":5000}}}}`, 400, "mapper_parsing_exception"},
		{"missing index", "GET", "/nope/_mapping", "", "", 404, "index_not_found_exception"},
		{"delete through alias", "DELETE", "/docs", "", "", 400, "illegal_argument_exception"},
		{"unknown parameter", "POST", "/docs/_count?frobnicate=1", vndJSON, `{}`, 400, "illegal_argument_exception"},
		{"bulk without final newline", "POST", "/docs/_bulk", ndjson, `{"index":{"_id":"9"}}` + "\n" + `{"id":"x"}`, 400, "illegal_argument_exception"},
		{"wrong content type", "POST", "/docs/_count", "text/plain", `{}`, 406, ""},
		{"compatible-with=9", "POST", "/docs/_count", "application/vnd.elasticsearch+json;compatible-with=9", `{}`, 406, ""},
		{"unknown search key", "POST", "/docs/_search", vndJSON, `{"frobnicate":1}`, 400, "parsing_exception"},
		{"unknown query", "POST", "/docs/_search", vndJSON, `{"query":{"fuzzy_wuzzy":{}}}`, 400, "parsing_exception"},
		{"num_candidates < k", "POST", "/docs/_search", vndJSON, `{"knn":{"field":"v","query_vector":[1,0],"k":5,"num_candidates":4}}`, 400, "illegal_argument_exception"},
		{"num_candidates > 10000", "POST", "/docs/_search", vndJSON, `{"knn":{"field":"v","query_vector":[1,0],"k":5,"num_candidates":10001}}`, 400, "illegal_argument_exception"},
		{"query vector dims", "POST", "/docs/_search", vndJSON, `{"knn":{"field":"v","query_vector":[1,0,0],"k":1,"num_candidates":10}}`, 400, "illegal_argument_exception"},
		{"zero query vector", "POST", "/docs/_search", vndJSON, `{"knn":{"field":"v","query_vector":[0,0],"k":1,"num_candidates":10}}`, 400, "illegal_argument_exception"},
		{"delete_by_query without query", "POST", "/docs/_delete_by_query", vndJSON, `{}`, 400, "action_request_validation_exception"},
		{"no handler", "POST", "/docs/_frobnicate", vndJSON, `{}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.method, tt.path, tt.ctype, tt.body)
			if r.status != tt.status || errType(r) != tt.errType {
				t.Errorf("%d %q, want %d %q: %v", r.status, errType(r), tt.status, tt.errType, r.body)
			}
			if r.header.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Errorf("no X-Elastic-Product header")
			}
			if r.status >= 400 && tt.method != "HEAD" && r.body["status"] == nil {
				t.Errorf("error body without status: %v", r.body)
			}
		})
	}
}

func TestBulkItems(t *testing.T) {
	srv := setup(t, Options{})
	srv.FailItem(ItemFault{ID: "f", Status: 429, Type: "es_rejected_execution_exception", Reason: "queue full"})
	body := `{"index":{"_id":"1"}}
{"id":"a2","text":"updated","v":[1,0]}
{"index":{"_id":"w"}}
{"id":"w","text":"wrong dims","v":[1,0,0]}
{"index":{"_id":"z"}}
{"id":"z","text":"zero","v":[0,0]}
{"index":{"_id":"s"}}
{"id":"s","extra":"field"}
{"create":{"_id":"2"}}
{"id":"dup"}
{"index":{"_id":"f"}}
{"id":"f"}
{"delete":{"_id":"3"}}
`
	r := do(t, srv, "POST", "/docs/_bulk", ndjson, body)
	if r.status != 200 || r.body["errors"] != true {
		t.Fatalf("bulk: %d %v", r.status, r.body)
	}
	type item struct {
		op, id, errType string
		status          int
	}
	var got []item
	for _, it := range r.body["items"].([]any) {
		for op, v := range it.(map[string]any) {
			m := v.(map[string]any)
			e, _ := m["error"].(map[string]any)
			typ, _ := e["type"].(string)
			got = append(got, item{op, m["_id"].(string), typ, int(m["status"].(float64))})
		}
	}
	want := []item{
		{"index", "1", "", 200},
		{"index", "w", "document_parsing_exception", 400},
		{"index", "z", "document_parsing_exception", 400},
		{"index", "s", "strict_dynamic_mapping_exception", 400},
		{"create", "2", "version_conflict_engine_exception", 409},
		{"index", "f", "es_rejected_execution_exception", 429},
		{"delete", "3", "", 200},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(item{})); d != "" {
		t.Errorf("items (-want +got):\n%s", d)
	}
	// Nothing is searchable before a refresh.
	if c := do(t, srv, "POST", "/docs/_count", vndJSON, `{"query":{"ids":{"values":["3"]}}}`); c.body["count"] != 1.0 {
		t.Errorf("deleted document vanished before a refresh: %v", c.body)
	}
	do(t, srv, "POST", "/docs/_refresh", "", "")
	if c := do(t, srv, "POST", "/docs/_count", vndJSON, `{"query":{"ids":{"values":["3"]}}}`); c.body["count"] != 0.0 {
		t.Errorf("deleted document still counted after a refresh: %v", c.body)
	}
}

func TestSearchScores(t *testing.T) {
	srv := setup(t, Options{})
	hits := func(body string) []string {
		r := do(t, srv, "POST", "/docs/_search", vndJSON, body)
		if r.status != 200 {
			t.Fatalf("search %s: %d %v", body, r.status, r.body)
		}
		var out []string
		for _, h := range r.body["hits"].(map[string]any)["hits"].([]any) {
			out = append(out, h.(map[string]any)["_id"].(string))
		}
		return out
	}
	// BM25: "red" is in two documents; the shorter one scores higher.
	if d := cmp.Diff([]string{"1", "2"}, hits(`{"query":{"match":{"text":"red"}}}`)); d != "" {
		t.Errorf("BM25 (-want +got):\n%s", d)
	}
	// The cjk sub-field finds a Korean word inside a longer one; the standard field does not.
	if got := hits(`{"query":{"match":{"text":"김치"}}}`); len(got) != 0 {
		t.Errorf("standard analyzer matched a particle-suffixed word: %v", got)
	}
	if d := cmp.Diff([]string{"2"}, hits(`{"query":{"match":{"text.ko":"김치"}}}`)); d != "" {
		t.Errorf("cjk (-want +got):\n%s", d)
	}
	// kNN: cosine order, k limits, filter applies before k.
	if d := cmp.Diff([]string{"1", "3"}, hits(`{"knn":{"field":"v","query_vector":[1,0.1],"k":2,"num_candidates":10},"size":5}`)); d != "" {
		t.Errorf("kNN (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"2"}, hits(`{"knn":{"field":"v","query_vector":[1,0],"k":1,"num_candidates":10,"filter":[{"terms":{"id":["b"]}}]}}`)); d != "" {
		t.Errorf("filtered kNN (-want +got):\n%s", d)
	}
	r := do(t, srv, "POST", "/docs/_search", vndJSON, `{"knn":{"field":"v","query_vector":[1,0],"k":1,"num_candidates":10},"_source":{"excludes":["v"]}}`)
	h := r.body["hits"].(map[string]any)["hits"].([]any)[0].(map[string]any)
	if h["_score"] != 1.0 {
		t.Errorf("cosine score of an identical vector = %v, want 1 ((1+cos)/2)", h["_score"])
	}
	if d := cmp.Diff(map[string]any{"id": "a", "text": "the red rainbow"}, h["_source"]); d != "" {
		t.Errorf("_source excludes (-want +got):\n%s", d)
	}
}

func TestMsearchAndAliases(t *testing.T) {
	srv := setup(t, Options{})
	body := "{}\n" + `{"query":{"match":{"text":"red"}},"size":1}` + "\n" + "{}\n" + `{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":1}}` + "\n"
	r := do(t, srv, "POST", "/docs/_msearch", ndjson, body)
	if r.status != 200 {
		t.Fatalf("msearch: %d %v", r.status, r.body)
	}
	rs := r.body["responses"].([]any)
	if len(rs) != 2 || rs[0].(map[string]any)["status"] != 200.0 || rs[1].(map[string]any)["status"] != 400.0 {
		t.Errorf("msearch answers: %v", rs)
	}
	if r := do(t, srv, "PUT", "/docs-v2", vndJSON, `{}`); r.status != 200 {
		t.Fatal(r.body)
	}
	// Adding the alias to a second index without removing it fails as a whole.
	r = do(t, srv, "POST", "/_aliases", vndJSON, `{"actions":[{"add":{"index":"docs-v2","alias":"docs"}}]}`)
	if r.status != 400 || !cmp.Equal(srv.Aliases(), map[string]string{"docs": "docs-v1"}) {
		t.Errorf("half swap: %d %v, aliases %v", r.status, r.body, srv.Aliases())
	}
	r = do(t, srv, "POST", "/_aliases", vndJSON, `{"actions":[{"add":{"index":"docs-v2","alias":"docs"}},{"remove":{"index":"docs-v1","alias":"docs"}}]}`)
	if r.status != 200 || !cmp.Equal(srv.Aliases(), map[string]string{"docs": "docs-v2"}) {
		t.Errorf("swap: %d %v, aliases %v", r.status, r.body, srv.Aliases())
	}
	r = do(t, srv, "POST", "/_aliases", vndJSON, `{"actions":[{"remove":{"index":"docs-v1","alias":"docs"}}]}`)
	if r.status != 404 || errType(r) != "aliases_not_found_exception" {
		t.Errorf("removing a missing alias: %d %v", r.status, r.body)
	}
}

func TestAnalyzeAndAuth(t *testing.T) {
	srv := setup(t, Options{Nori: false})
	if r := do(t, srv, "POST", "/_analyze", vndJSON, `{"analyzer":"nori","text":["한국어"]}`); r.status != 400 {
		t.Errorf("nori without the plugin: %d %v", r.status, r.body)
	}
	nori := setup(t, Options{Nori: true})
	if r := do(t, nori, "POST", "/_analyze", vndJSON, `{"analyzer":"nori","text":["칸트는"]}`); r.status != 200 {
		t.Errorf("nori with the plugin: %d %v", r.status, r.body)
	}
	locked := NewServer(Options{APIKey: "k"})
	defer locked.Close()
	r := do(t, locked, "GET", "/", "", "")
	if r.status != 401 || errType(r) != "security_exception" || r.header.Get("X-Elastic-Product") != "Elasticsearch" || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("unauthenticated: %d %v %v", r.status, r.header, r.body)
	}
}
