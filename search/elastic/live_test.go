package elastic

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"ragchat/rag"
	"ragchat/search/searchtest"
)

// TestLive runs the conformance suite and the alias swap against a real
// Elasticsearch 8 node when RAGCHAT_TEST_ES_URL is set (see README). Each
// subtest uses its own index (ragchat-test-*) and deletes it afterwards.
func TestLive(t *testing.T) {
	url := os.Getenv("RAGCHAT_TEST_ES_URL")
	if url == "" {
		t.Skip("RAGCHAT_TEST_ES_URL is not set; skipping the live Elasticsearch suite (start a single-node Elasticsearch 8 and set RAGCHAT_TEST_ES_URL=http://localhost:9200, see README)")
	}
	base := Config{
		Addresses:              strings.Split(url, ","),
		APIKey:                 os.Getenv("RAGCHAT_TEST_ES_API_KEY"),
		Username:               os.Getenv("RAGCHAT_TEST_ES_USERNAME"),
		Password:               os.Getenv("RAGCHAT_TEST_ES_PASSWORD"),
		CertificateFingerprint: os.Getenv("RAGCHAT_TEST_ES_FINGERPRINT"),
		Dims:                   searchtest.Dims,
	}
	if path := os.Getenv("RAGCHAT_TEST_ES_CA_CERT"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		base.CACert = pem
	}
	prefix := fmt.Sprintf("ragchat-test-%d", time.Now().UnixNano())
	n := 0
	open := func(t *testing.T) *Store {
		t.Helper()
		n++
		cfg := base
		cfg.Index = fmt.Sprintf("%s-%d", prefix, n)
		s, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			ctx := context.Background()
			if concrete, err := s.inspect(ctx); err == nil {
				if err := s.call(ctx, s.es.Indices.Delete(concrete).Perform, nil); err != nil {
					t.Errorf("deleting %s: %v", concrete, err)
				}
			}
		})
		return s
	}

	t.Run("Conformance", func(t *testing.T) {
		searchtest.Run(t, func(t *testing.T) rag.Store { return open(t) })
	})

	t.Run("Reindex", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		chunks := []rag.Chunk{chunk("a", 0, "rainbow colours"), chunk("b", 0, "volcano lava")}
		if err := s.Index(ctx, chunks[:1]); err != nil {
			t.Fatal(err)
		}
		if err := s.Reindex(ctx, func(fn func([]rag.Chunk) error) error { return fn(chunks) }); err != nil {
			t.Fatalf("Reindex: %v", err)
		}
		concrete, err := s.inspect(ctx)
		if err != nil || concrete != s.alias+"-v2" {
			t.Errorf("alias points at %q (%v), want %s-v2", concrete, err, s.alias)
		}
		if n, err := s.Count(ctx); err != nil || n != 2 {
			t.Errorf("Count after reindex = %d, %v; want 2", n, err)
		}
		err = s.call(ctx, s.es.Indices.Exists(s.alias+"-v1").Perform, nil)
		if !notFound(err) {
			t.Errorf("old index still there after the swap: %v", err)
		}
	})

	t.Run("BulkItemError", func(t *testing.T) {
		s := open(t)
		bad := chunk("bad", 0, "x")
		bad.Vector = []float32{1, 2, 3}
		err := s.Index(context.Background(), []rag.Chunk{bad, chunk("ok", 0, "fine")})
		var be *BulkError
		if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].Type != "document_parsing_exception" {
			t.Errorf("Index with a wrong-dimension vector = %v, want one document_parsing_exception item", err)
		}
	})

	t.Run("DimsMismatch", func(t *testing.T) {
		s := open(t)
		cfg := base
		cfg.Index, cfg.Dims = s.alias, searchtest.Dims+1
		_, err := Open(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(searchtest.Dims)) || !strings.Contains(err.Error(), fmt.Sprint(searchtest.Dims+1)) {
			t.Errorf("Open with other dims = %v, want an error naming both", err)
		}
	})
}
