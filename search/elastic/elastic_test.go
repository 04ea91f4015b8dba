package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/search/elastic/estest"
	"ragchat/search/searchtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// standIn starts a stand-in and opens a store on it. The cleanup checks
// that the stand-in refused nothing but the expected start-up probes.
func standIn(t *testing.T, opts estest.Options, cfg Config) (*Store, *estest.Server) {
	t.Helper()
	srv := estest.NewServer(opts)
	t.Cleanup(srv.Close)
	cfg.Addresses = []string{srv.URL}
	if cfg.Dims == 0 {
		cfg.Dims = searchtest.Dims
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, srv
}

// unexpectedRefusals lists the 4xx/5xx answers other than the start-up
// probes (mapping of a missing index, nori detection without the plugin).
func unexpectedRefusals(srv *estest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			continue
		}
		if r.Status == 404 && strings.HasSuffix(r.Path, "/_mapping") || r.Status == 400 && r.Path == "/_analyze" {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s → %d: %s", r.Method, r.Path, r.Status, r.Body))
	}
	return out
}

func conformance(t *testing.T, opts estest.Options, cfg Config, analyzer string) {
	searchtest.Run(t, func(t *testing.T) rag.Store {
		s, srv := standIn(t, opts, cfg)
		if s.KoreanAnalyzer() != analyzer {
			t.Errorf("Korean analyzer = %q, want %q", s.KoreanAnalyzer(), analyzer)
		}
		t.Cleanup(func() {
			for _, r := range unexpectedRefusals(srv) {
				t.Errorf("stand-in refused: %s", r)
			}
		})
		return s
	})
}

func TestConformance(t *testing.T)     { conformance(t, estest.Options{}, Config{}, "cjk") }
func TestConformanceNori(t *testing.T) { conformance(t, estest.Options{Nori: true}, Config{}, "nori") }
func TestConformanceScores(t *testing.T) {
	conformance(t, estest.Options{}, Config{Fusion: FusionScores, VectorWeight: 0.15}, "cjk")
}

func TestOpenCreatesIndexBehindAlias(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     estest.Options
		override string
		want     string
	}{
		{"no nori", estest.Options{}, "", "cjk"},
		{"nori installed", estest.Options{Nori: true}, "", "nori"},
		{"override", estest.Options{Nori: true}, "cjk", "cjk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := standIn(t, tc.opts, Config{Index: "chunks", Dims: 8, KoreanAnalyzer: tc.override})
			if got := srv.Aliases(); !cmp.Equal(got, map[string]string{"chunks": "chunks-v1"}) {
				t.Errorf("aliases = %v, want chunks → chunks-v1", got)
			}
			creates := srv.RequestsTo(http.MethodPut, "/chunks-v1")
			if len(creates) != 1 {
				t.Fatalf("got %d index creations, want 1", len(creates))
			}
			var body struct {
				Aliases  map[string]any  `json:"aliases"`
				Mappings json.RawMessage `json:"mappings"`
			}
			if err := json.Unmarshal(creates[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if _, ok := body.Aliases["chunks"]; !ok || len(body.Aliases) != 1 {
				t.Errorf("create sets aliases %v, want the alias in the same call", body.Aliases)
			}
			golden(t, "mapping-"+tc.want+".json", body.Mappings)
			if s.KoreanAnalyzer() != tc.want {
				t.Errorf("KoreanAnalyzer() = %q, want %q", s.KoreanAnalyzer(), tc.want)
			}
			if tc.override != "" && len(srv.RequestsTo("", "/_analyze")) != 0 {
				t.Errorf("detection ran despite the override")
			}
		})
	}
}

// golden compares JSON with testdata/name (indented), rewriting it with -update.
func golden(t *testing.T, name string, got json.RawMessage) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(pretty)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{Index: "chunks", Dims: 8})
	_ = s
	// A second instance finds the index and creates nothing.
	if _, err := Open(ctx, Config{Addresses: []string{srv.URL}, Index: "chunks", Dims: 8}); err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if n := len(srv.RequestsTo(http.MethodPut, "")); n != 1 {
		t.Errorf("%d index creations after two Opens, want 1", n)
	}
	// Another embedder dimension is a clear error naming both numbers.
	_, err := Open(ctx, Config{Addresses: []string{srv.URL}, Index: "chunks", Dims: 16})
	if err == nil || !strings.Contains(err.Error(), "8 dimensions") || !strings.Contains(err.Error(), "makes 16") {
		t.Errorf("Open with other dims = %v, want an error naming 8 and 16", err)
	}
	if !errors.Is(err, rag.ErrInvalid) {
		t.Errorf("dims mismatch error is not ErrInvalid: %v", err)
	}
	// A concrete index where the alias should be.
	if _, err := Open(ctx, Config{Addresses: []string{srv.URL}, Index: "chunks-v1", Dims: 8}); err == nil || !strings.Contains(err.Error(), "not an alias") {
		t.Errorf("Open on a concrete index = %v, want 'not an alias'", err)
	}
	if _, err := Open(ctx, Config{Addresses: []string{srv.URL}, Dims: 8, Fusion: "borda"}); !errors.Is(err, rag.ErrInvalid) {
		t.Errorf("Open with an unknown fusion = %v, want ErrInvalid", err)
	}
	for _, dims := range []int{0, -1, 5000} {
		if _, err := Open(ctx, Config{Addresses: []string{srv.URL}, Dims: dims}); !errors.Is(err, rag.ErrInvalid) {
			t.Errorf("Open with dims %d = %v, want ErrInvalid", dims, err)
		}
	}
}

func chunk(doc string, pos int, text string) rag.Chunk {
	return rag.Chunk{ID: rag.ChunkID(doc, pos), DocumentID: doc, Position: pos, Title: doc, Text: text, Vector: searchtest.Vector(text)}
}

// msearchBodies decodes the search bodies of an _msearch request.
func msearchBodies(t *testing.T, r estest.Request) []map[string]any {
	t.Helper()
	lines := r.Lines()
	var out []map[string]any
	for i := 1; i < len(lines); i += 2 {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestSearchRequests(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{})
	if err := s.Index(ctx, []rag.Chunk{chunk("a", 0, "rainbow colours"), chunk("b", 0, "volcano lava")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode     rag.SearchMode
		k        int
		docs     []string
		wantKNN  bool
		wantBM25 bool
		window   int
	}{
		{rag.ModeHybrid, 5, nil, true, true, DefaultWindow},
		{rag.ModeHybrid, 300, []string{"a"}, true, true, 300},
		{rag.ModeBM25, 3, nil, false, true, 3},
		{rag.ModeVector, 4, []string{"a", "b"}, true, false, 4},
		{rag.ModeVector, 5000, nil, true, false, 1000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.mode, tt.k), func(t *testing.T) {
			before := len(srv.RequestsTo("", "/_msearch"))
			q := rag.Query{Text: "rainbow", Vector: searchtest.Vector("rainbow"), K: tt.k, Mode: tt.mode, DocumentIDs: tt.docs}
			if _, err := s.Search(ctx, q); err != nil {
				t.Fatal(err)
			}
			reqs := srv.RequestsTo("", "/_msearch")
			if len(reqs) != before+1 {
				t.Fatalf("Search made %d _msearch calls, want 1", len(reqs)-before)
			}
			bodies := msearchBodies(t, reqs[len(reqs)-1])
			want := 0
			if tt.wantKNN {
				want++
			}
			if tt.wantBM25 {
				want++
			}
			if len(bodies) != want {
				t.Fatalf("got %d searches in the _msearch, want %d", len(bodies), want)
			}
			var filter any
			if tt.docs != nil {
				filter = []any{map[string]any{"terms": map[string]any{"document_id": toAny(tt.docs)}}}
			}
			i := 0
			if tt.wantKNN {
				knn := bodies[i]["knn"].([]any)[0].(map[string]any)
				k, nc := int(knn["k"].(float64)), int(knn["num_candidates"].(float64))
				if k != tt.window || nc < 10*k && nc != 10000 || nc > 10000 {
					t.Errorf("knn k %d num_candidates %d, want k %d and num_candidates ≥ 10·k (≤ 10000)", k, nc, tt.window)
				}
				if knn["field"] != "vector" || len(knn["query_vector"].([]any)) != searchtest.Dims {
					t.Errorf("knn field %v with %d dims", knn["field"], len(knn["query_vector"].([]any)))
				}
				if d := cmp.Diff(filter, knn["filter"]); d != "" {
					t.Errorf("knn filter (-want +got):\n%s", d)
				}
				i++
			}
			if tt.wantBM25 {
				b := bodies[i]["query"].(map[string]any)["bool"].(map[string]any)
				mm := b["must"].([]any)[0].(map[string]any)["multi_match"].(map[string]any)
				if d := cmp.Diff([]any{"text", "text.ko"}, mm["fields"]); d != "" {
					t.Errorf("BM25 fields (-want +got):\n%s", d)
				}
				if d := cmp.Diff(filter, b["filter"]); d != "" {
					t.Errorf("BM25 filter (-want +got):\n%s", d)
				}
				if int(bodies[i]["size"].(float64)) != tt.window {
					t.Errorf("BM25 size %v, want %d", bodies[i]["size"], tt.window)
				}
			}
			for _, b := range bodies {
				if d := cmp.Diff(map[string]any{"excludes": []any{"vector"}}, b["_source"]); d != "" {
					t.Errorf("_source (-want +got):\n%s", d)
				}
			}
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestSearchInput(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{})
	if err := s.Index(ctx, []rag.Chunk{chunk("a", 0, "rainbow colours")}); err != nil {
		t.Fatal(err)
	}
	before := len(srv.RequestsTo("", "/_msearch"))
	for _, tc := range []struct {
		name string
		q    rag.Query
		want error // nil: no error
		hits int
	}{
		{"wrong dims", rag.Query{Text: "x", Vector: []float32{1, 2}, Mode: rag.ModeVector}, rag.ErrInvalid, 0},
		{"vector mode without vector", rag.Query{Text: "x", Mode: rag.ModeVector}, rag.ErrInvalid, 0},
		{"unknown mode", rag.Query{Text: "x", Mode: "fuzzy"}, rag.ErrInvalid, 0},
		{"zero vector, empty text", rag.Query{Vector: make([]float32, searchtest.Dims)}, nil, 0},
		{"blank bm25", rag.Query{Text: "  ", Mode: rag.ModeBM25}, nil, 0},
	} {
		ps, err := s.Search(ctx, tc.q)
		if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && err != nil {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if len(ps) != tc.hits {
			t.Errorf("%s: %d passages, want %d", tc.name, len(ps), tc.hits)
		}
	}
	if n := len(srv.RequestsTo("", "/_msearch")) - before; n != 0 {
		t.Errorf("queries that need no search sent %d _msearch calls", n)
	}
	// A zero query vector in hybrid mode falls back to BM25 alone.
	ps, err := s.Search(ctx, rag.Query{Text: "rainbow", Vector: make([]float32, searchtest.Dims)})
	if err != nil || len(ps) != 1 {
		t.Errorf("hybrid with a zero vector = %v, %v; want the BM25 hit", ps, err)
	}
}

func TestZeroVectorChunk(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{})
	c := chunk("z", 0, "silent chunk about tides")
	c.Vector = make([]float32, searchtest.Dims)
	if err := s.Index(ctx, []rag.Chunk{c}); err != nil {
		t.Fatalf("Index of a zero-vector chunk: %v", err)
	}
	bulks := srv.RequestsTo("", "/_bulk")
	if body := string(bulks[len(bulks)-1].Body); strings.Contains(body, `"vector"`) {
		t.Errorf("zero vector was sent (cosine refuses it): %s", body)
	}
	ps, err := s.Search(ctx, rag.Query{Text: "tides", Mode: rag.ModeBM25})
	if err != nil || len(ps) != 1 {
		t.Errorf("BM25 search for the zero-vector chunk = %v, %v", ps, err)
	}
}

func TestBulkItemErrors(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{})
	good := []rag.Chunk{chunk("ok", 0, "first good chunk"), chunk("ok", 1, "second good chunk")}
	if err := s.Index(ctx, append(good, chunk("bad", 0, "old version of bad"))); err != nil {
		t.Fatal(err)
	}
	bad := []rag.Chunk{chunk("bad", 0, "new bad zero"), chunk("bad", 1, "new bad one")}
	bad[1].Vector = []float32{1, 2, 3} // wrong dimension
	err := s.Index(ctx, append(bad, chunk("other", 0, "another document")))
	var be *BulkError
	if !errors.As(err, &be) {
		t.Fatalf("Index with a wrong-dimension vector = %v, want *BulkError", err)
	}
	want := []ItemError{{ChunkID: "bad#1", Status: 400, Type: "document_parsing_exception"}}
	if d := cmp.Diff(want, be.Items, cmp.Comparer(func(a, b ItemError) bool {
		return a.ChunkID == b.ChunkID && a.Status == b.Status && a.Type == b.Type
	})); d != "" {
		t.Errorf("refused items (-want +got):\n%s", d)
	}
	if !strings.Contains(be.Items[0].Reason, "different number of dimensions [3]") || be.Total != 3 {
		t.Errorf("item reason %q, total %d", be.Items[0].Reason, be.Total)
	}
	if !errors.Is(err, rag.ErrUpstream) || rag.Retryable(err) {
		t.Errorf("a refused document is ErrUpstream and not retryable: %v", err)
	}
	// The half-written document is gone (no mix of versions); the others stay.
	if n := srv.DocCount("ragchat-chunks"); n != 3 {
		t.Errorf("documents after the failed batch = %d, want 3 (ok#0, ok#1, other#0)", n)
	}
	ps, _ := s.Search(ctx, rag.Query{Text: "bad", Mode: rag.ModeBM25, K: 10})
	for _, p := range ps {
		if p.Chunk.DocumentID == "bad" {
			t.Errorf("chunk %s of the refused document is still searchable", p.Chunk.ID)
		}
	}

	// An item refused for overload is retryable.
	srv.FailItem(estest.ItemFault{ID: "ok#0", Status: 429, Type: "es_rejected_execution_exception", Reason: "queue full"})
	err = s.Index(ctx, good)
	if !errors.As(err, &be) || !errors.Is(err, rag.ErrUnavailable) || !rag.Retryable(err) {
		t.Errorf("Index with an item refused by 429 = %v, want a retryable *BulkError", err)
	}
}

func TestIndexRejectsChunksWithoutIDs(t *testing.T) {
	s, _ := standIn(t, estest.Options{}, Config{})
	err := s.Index(context.Background(), []rag.Chunk{{DocumentID: "d", Text: "x"}})
	if !errors.Is(err, rag.ErrInvalid) {
		t.Errorf("Index of a chunk without id = %v, want ErrInvalid", err)
	}
}

func TestManyChunksSplitIntoBatches(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{Dims: 4})
	var chunks []rag.Chunk
	for i := range bulkMaxActions + 7 {
		chunks = append(chunks, rag.Chunk{ID: rag.ChunkID("big", i), DocumentID: "big", Position: i, Text: "word", Vector: []float32{1, 0, 0, 0}})
	}
	if err := s.Index(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	bulks := srv.RequestsTo("", "/_bulk")
	if len(bulks) != 2 {
		t.Fatalf("%d bulk requests, want 2", len(bulks))
	}
	for i, b := range bulks {
		// Only the last batch refreshes (true, not wait_for).
		if got, want := b.Query.Get("refresh"), map[bool]string{false: "", true: "true"}[i == 1]; got != want {
			t.Errorf("bulk %d refresh=%q, want %q", i, got, want)
		}
		if ct := b.Header.Get("Content-Type"); ct != "application/vnd.elasticsearch+x-ndjson;compatible-with=8" {
			t.Errorf("bulk Content-Type %q", ct)
		}
	}
	if n, err := s.Count(ctx); err != nil || n != len(chunks) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(chunks))
	}
	// Re-indexing fewer chunks removes the rest in one delete_by_query.
	if err := s.Index(ctx, chunks[:3]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 3 {
		t.Errorf("Count after shrinking the document = %d, want 3", n)
	}
}

func TestReindex(t *testing.T) {
	ctx := context.Background()
	s, srv := standIn(t, estest.Options{}, Config{Index: "chunks"})
	all := []rag.Chunk{chunk("a", 0, "rainbow colours"), chunk("a", 1, "rainbow droplets"), chunk("b", 0, "volcano lava")}
	if err := s.Index(ctx, all[:1]); err != nil { // the live index is out of date
		t.Fatal(err)
	}
	each := func(fn func([]rag.Chunk) error) error {
		if err := fn(all[:2]); err != nil {
			return err
		}
		return fn(all[2:])
	}
	if err := s.Reindex(ctx, each); err != nil {
		t.Fatalf("Reindex: %v", err)
	}
	if d := cmp.Diff(map[string]string{"chunks": "chunks-v2"}, srv.Aliases()); d != "" {
		t.Errorf("aliases (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"chunks-v2"}, srv.Indices()); d != "" {
		t.Errorf("indices after the swap (-want +got):\n%s", d)
	}
	swaps := srv.RequestsTo(http.MethodPost, "/_aliases")
	if len(swaps) != 1 {
		t.Fatalf("%d _aliases calls, want 1", len(swaps))
	}
	var body any
	_ = json.Unmarshal(swaps[0].Body, &body)
	wantSwap := map[string]any{"actions": []any{
		map[string]any{"add": map[string]any{"index": "chunks-v2", "alias": "chunks"}},
		map[string]any{"remove": map[string]any{"index": "chunks-v1", "alias": "chunks"}},
	}}
	if d := cmp.Diff(wantSwap, body); d != "" {
		t.Errorf("alias swap (-want +got):\n%s", d)
	}
	if n, err := s.Count(ctx); err != nil || n != 3 {
		t.Errorf("Count after reindex = %d, %v; want 3", n, err)
	}
	if ps, err := s.Search(ctx, rag.Query{Text: "volcano", Vector: searchtest.Vector("volcano"), K: 1}); err != nil || len(ps) != 1 || ps[0].Chunk.ID != "b#0" {
		t.Errorf("search after reindex = %v, %v", ps, err)
	}

	// A failing reindex leaves the live index alone and removes its half-built successor.
	bad := chunk("c", 0, "bad")
	bad.Vector = []float32{1, 2}
	err := s.Reindex(ctx, func(fn func([]rag.Chunk) error) error { return fn(append(all, bad)) })
	var be *BulkError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].ChunkID != "c#0" {
		t.Errorf("Reindex with a refused chunk = %v, want a *BulkError for c#0", err)
	}
	if d := cmp.Diff(map[string]string{"chunks": "chunks-v2"}, srv.Aliases()); d != "" {
		t.Errorf("aliases after a failed reindex (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"chunks-v2"}, srv.Indices()); d != "" {
		t.Errorf("indices after a failed reindex (-want +got):\n%s", d)
	}
	// The iterator's own error comes back as is.
	boom := errors.New("database gone")
	if err := s.Reindex(ctx, func(func([]rag.Chunk) error) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Reindex with a failing iterator = %v, want %v", err, boom)
	}
	if err := s.Reindex(ctx, each); err != nil {
		t.Fatalf("second Reindex: %v", err)
	}
	if d := cmp.Diff(map[string]string{"chunks": "chunks-v3"}, srv.Aliases()); d != "" {
		t.Errorf("aliases after the second reindex (-want +got):\n%s", d)
	}
	for _, r := range unexpectedRefusals(srv) {
		if !strings.Contains(r, "/_bulk") && !strings.Contains(r, "DELETE /chunks-v") {
			t.Errorf("stand-in refused: %s", r)
		}
	}
}

func TestPing(t *testing.T) {
	s, srv := standIn(t, estest.Options{}, Config{})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if r := srv.RequestsTo(http.MethodHead, "/ragchat-chunks"); len(r) != 1 {
		t.Errorf("Ping sent %d HEAD /ragchat-chunks, want 1", len(r))
	}
	srv.Close()
	if err := s.Ping(context.Background()); !errors.Is(err, rag.ErrUnavailable) {
		t.Errorf("Ping of a stopped cluster = %v, want ErrUnavailable", err)
	}
}

func TestUnreachable(t *testing.T) {
	srv := estest.NewServer(estest.Options{})
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, err := Open(context.Background(), Config{Addresses: []string{url}, Dims: 4, MaxRetries: -1})
	if !errors.Is(err, rag.ErrUnavailable) || !rag.Retryable(err) {
		t.Errorf("Open of an unreachable cluster = %v, want retryable ErrUnavailable", err)
	}
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"elasticsearch", 404, `{"error":{"root_cause":[],"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}`,
			Error{Status: 404, Type: "index_not_found_exception", Reason: "no such index [x]"}},
		{"string error", 404, `{"error":"alias [x] missing","status":404}`, Error{Status: 404, Reason: "alias [x] missing"}},
		{"html from a proxy", 502, `<html>Bad Gateway</html>`, Error{Status: 502, Reason: "<html>Bad Gateway</html>"}},
		{"empty", 503, ``, Error{Status: 503, Reason: "Service Unavailable"}},
	}
	for _, tt := range tests {
		res := &http.Response{StatusCode: tt.status, Body: io.NopCloser(strings.NewReader(tt.body))}
		if d := cmp.Diff(tt.want, *errorBody(res)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

func FuzzErrorBody(f *testing.F) {
	f.Add(500, []byte(`{"error":{"type":"x","reason":"y"},"status":500}`))
	f.Add(404, []byte(`{"error":"alias [x] missing"}`))
	f.Add(502, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := errorBody(&http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(body))})
		if e.Status != status || e.Error() == "" {
			t.Errorf("errorBody(%d, %q) = %+v", status, body, e)
		}
		_ = e.Unwrap()
	})
}

// BenchmarkSearch measures a hybrid search through the typed client and
// the stand-in (client encoding, one HTTP round trip, decoding, fusion);
// the stand-in's own kNN and BM25 are exact scans.
func BenchmarkSearch(b *testing.B) {
	srv := estest.NewServer(estest.Options{})
	defer srv.Close()
	ctx := context.Background()
	s, err := Open(ctx, Config{Addresses: []string{srv.URL}, Dims: searchtest.Dims})
	if err != nil {
		b.Fatal(err)
	}
	var chunks []rag.Chunk
	for i := range 200 {
		chunks = append(chunks, chunk(fmt.Sprintf("doc%d", i/4), i%4, fmt.Sprintf("passage %d about rainbows, volcanoes and streams number %d", i, i%7)))
	}
	if err := s.Index(ctx, chunks); err != nil {
		b.Fatal(err)
	}
	q := rag.Query{Text: "rainbows streams", Vector: searchtest.Vector("rainbows streams"), K: 5}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
