package elastic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ragchat/rag"
	"ragchat/search/elastic/estest"
	"ragchat/search/searchtest"
)

func TestFaults(t *testing.T) {
	ops := []struct {
		name string
		path string // of the request the fault hits
		run  func(context.Context, *Store) error
	}{
		{"search", "/_msearch", func(ctx context.Context, s *Store) error {
			_, err := s.Search(ctx, rag.Query{Text: "rainbow", Vector: searchtest.Vector("rainbow")})
			return err
		}},
		{"index", "/_bulk", func(ctx context.Context, s *Store) error {
			return s.Index(ctx, []rag.Chunk{chunk("d", 0, "rainbow")})
		}},
		{"delete", "/_delete_by_query", func(ctx context.Context, s *Store) error { return s.Delete(ctx, "d") }},
		{"count", "/_count", func(ctx context.Context, s *Store) error { _, err := s.Count(ctx); return err }},
		{"ping", "/ragchat-chunks", func(ctx context.Context, s *Store) error { return s.Ping(ctx) }},
	}
	faults := []struct {
		name  string
		fault estest.Fault
		kind  error
		text  string // the error mentions this
	}{
		{"500", estest.Fault{Status: 500}, rag.ErrUpstream, "status 500"},
		{"429", estest.Fault{Status: 429}, rag.ErrUnavailable, "429"},
		{"503", estest.Fault{Status: 503}, rag.ErrUnavailable, "503"},
		{"502 from a proxy", estest.Fault{Status: 502, RawBody: "<html>Bad Gateway</html>"}, rag.ErrUnavailable, "Bad Gateway"},
		{"504", estest.Fault{Status: 504}, rag.ErrTimeout, "504"},
		{"401", estest.Fault{Status: 401}, rag.ErrUpstream, "credentials"},
		{"403", estest.Fault{Status: 403}, rag.ErrUpstream, "credentials"},
		{"cut connection", estest.Fault{Cut: true}, rag.ErrUnavailable, "EOF"},
		{"cut mid-body", estest.Fault{CutMidBody: true}, rag.ErrUnavailable, ""},
		{"hang past the timeout", estest.Fault{Hang: true}, rag.ErrTimeout, ""},
	}
	for _, f := range faults {
		for _, op := range ops {
			if op.name == "ping" && f.fault.CutMidBody {
				continue // HEAD has no body to cut
			}
			t.Run(f.name+"/"+op.name, func(t *testing.T) {
				s, srv := standIn(t, estest.Options{}, Config{MaxRetries: -1})
				if op.name == "ping" {
					f.fault.Method = http.MethodHead
					if f.fault.Cut {
						// net/http itself resends an idempotent request
						// once when a reused connection closes unanswered.
						f.fault.Times = 2
					}
				}
				f.fault.Path = op.path
				srv.Inject(f.fault)
				ctx := context.Background()
				if f.fault.Hang {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
					defer cancel()
				}
				err := op.run(ctx, s)
				if !errors.Is(err, f.kind) {
					t.Fatalf("err = %v, want %v", err, f.kind)
				}
				if rag.Retryable(err) != (f.kind != rag.ErrUpstream) {
					t.Errorf("Retryable(%v) = %v", err, rag.Retryable(err))
				}
				if !strings.Contains(err.Error(), f.text) {
					t.Errorf("error %q does not mention %q", err, f.text)
				}
				// The fault was one-off: the next call works.
				if err := op.run(context.Background(), s); err != nil {
					t.Errorf("after the fault: %v", err)
				}
			})
		}
	}
}

func TestRetries(t *testing.T) {
	for _, f := range []estest.Fault{{Path: "/_msearch", Cut: true}, {Path: "/_msearch", Status: 503}} {
		s, srv := standIn(t, estest.Options{}, Config{}) // default: 3 retries
		srv.Inject(f)
		if _, err := s.Search(context.Background(), rag.Query{Text: "x", Mode: rag.ModeBM25}); err != nil {
			t.Errorf("one-off %+v was not retried: %v", f, err)
		}
		if n := len(srv.RequestsTo("", "/_msearch")); n != 2 {
			t.Errorf("%d _msearch requests, want 2 (one retry)", n)
		}
	}
	// 429 and 500 are not retried by the transport: the caller decides.
	s, srv := standIn(t, estest.Options{}, Config{})
	srv.Inject(estest.Fault{Path: "/_msearch", Status: 429})
	if _, err := s.Search(context.Background(), rag.Query{Text: "x", Mode: rag.ModeBM25}); !errors.Is(err, rag.ErrUnavailable) {
		t.Errorf("429 = %v, want ErrUnavailable", err)
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	opts := estest.Options{APIKey: "aWQ6a2V5", Username: "elastic", Password: "changeme"}
	srv := estest.NewServer(opts)
	defer srv.Close()
	for _, cfg := range []Config{{APIKey: "aWQ6a2V5"}, {Username: "elastic", Password: "changeme"}} {
		cfg.Addresses, cfg.Dims = []string{srv.URL}, 4
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open with good credentials: %v", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	}
	for _, cfg := range []Config{{}, {APIKey: "d3Jvbmc="}, {Username: "elastic", Password: "wrong"}} {
		cfg.Addresses, cfg.Dims = []string{srv.URL}, 4
		_, err := Open(ctx, cfg)
		if !errors.Is(err, rag.ErrUpstream) || !strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), "401") {
			t.Errorf("Open with credentials %+v = %v, want a 401 ErrUpstream about credentials", cfg, err)
		}
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Accept") != "application/vnd.elasticsearch+json;compatible-with=8" {
			t.Errorf("%s %s sent Accept %q", r.Method, r.Path, r.Header.Get("Accept"))
		}
	}
}

func TestNotElasticsearch(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	defer other.Close()
	_, err := Open(context.Background(), Config{Addresses: []string{other.URL}, Dims: 4})
	if !errors.Is(err, rag.ErrUpstream) || !strings.Contains(err.Error(), "not Elasticsearch") {
		t.Errorf("Open against a non-Elasticsearch server = %v, want ErrUpstream 'not Elasticsearch'", err)
	}
}

// shortBulk answers every bulk with fewer items than actions, the answer
// that makes esutil.BulkIndexer panic.
type shortBulk struct{ next http.RoundTripper }

func (sb shortBulk) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/_bulk") {
		return sb.next.RoundTrip(r)
	}
	h := http.Header{}
	h.Set("X-Elastic-Product", "Elasticsearch")
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: 200, Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader([]byte(`{"took":1,"errors":false,"items":[]}`)))}, nil
}

func TestBulkItemCountMismatch(t *testing.T) {
	s, _ := standIn(t, estest.Options{}, Config{Transport: shortBulk{http.DefaultTransport}})
	err := s.Index(context.Background(), []rag.Chunk{chunk("d", 0, "x"), chunk("d", 1, "y")})
	if !errors.Is(err, rag.ErrUpstream) || !strings.Contains(err.Error(), "0 items answered for 2 actions") {
		t.Errorf("Index with a short bulk answer = %v, want ErrUpstream naming the counts", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s, _ := standIn(t, estest.Options{}, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Search(ctx, rag.Query{Text: "x", Mode: rag.ModeBM25})
	if !errors.Is(err, context.Canceled) || rag.Retryable(err) {
		t.Errorf("Search with a cancelled context = %v, want context.Canceled, not retryable", err)
	}
}

func TestConfigTimeout(t *testing.T) {
	s, srv := standIn(t, estest.Options{}, Config{Timeout: time.Second})
	srv.Inject(estest.Fault{Path: "/_count", Hang: true})
	if _, err := s.Count(context.Background()); !errors.Is(err, rag.ErrTimeout) {
		t.Errorf("Count against a hung node = %v, want ErrTimeout", err)
	}
	// The timeout is not retried: the node saw one request.
	if n := len(srv.RequestsTo("", "/_count")); n != 1 {
		t.Errorf("%d _count requests, want 1", n)
	}
}
