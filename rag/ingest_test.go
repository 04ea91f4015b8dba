package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ragchat/rag"
	"ragchat/rag/ragtest"
)

// memDocs is a DocumentStore that keeps nothing but a count.
type memDocs struct{ saved int }

func (m *memDocs) SaveDocument(_ context.Context, doc rag.Document, _ []rag.Chunk) (rag.Document, bool, error) {
	m.saved++
	return doc, true, nil
}

func (m *memDocs) DeleteDocument(context.Context, string) error { return nil }

func TestIngesterRefuses(t *testing.T) {
	long := strings.Repeat("Word after word makes a sentence. ", 100) // 3400 chars
	for _, tc := range []struct {
		name  string
		in    rag.Ingester
		doc   rag.Document
		kind  error // nil: accepted
		field string
		want  string
	}{
		{"ok", rag.Ingester{}, rag.Document{Text: "hello", URL: "https://example.com/a"}, nil, "", ""},
		{"chars over the cap", rag.Ingester{MaxChars: 3000}, rag.Document{Text: long}, rag.ErrTooLarge, "text", "longer than 3000 characters (the limit per document, --max-document-chars)"},
		{"chars at the cap", rag.Ingester{MaxChars: 3400}, rag.Document{Text: long}, nil, "", ""},
		{"chunks over the cap", rag.Ingester{MaxChunks: 2, Chunking: rag.ChunkOptions{MaxTokens: rag.MinChunkTokens}}, rag.Document{Text: long}, rag.ErrTooLarge, "text", "more than 2 (the limit per document, --max-document-chunks)"},
		{"javascript url", rag.Ingester{}, rag.Document{Text: "x", URL: "javascript:alert(1)"}, rag.ErrInvalid, "url", "must be an absolute http:// or https:// URL"},
		{"data url", rag.Ingester{}, rag.Document{Text: "x", URL: "data:text/html,<script>1</script>"}, rag.ErrInvalid, "url", "http"},
		{"relative url", rag.Ingester{}, rag.Document{Text: "x", URL: "/docs/a"}, rag.ErrInvalid, "url", "http"},
		{"http url", rag.Ingester{}, rag.Document{Text: "x", URL: "http://intranet/a"}, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := &memDocs{}
			in := tc.in
			in.Documents, in.Index, in.Embedder = docs, &ragtest.Store{}, &ragtest.Embedder{}
			_, _, err := in.Add(context.Background(), tc.doc)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			var fe *rag.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, tc.kind) || fe.Field != tc.field || !strings.Contains(fe.Message, tc.want) {
				t.Fatalf("error %v, want a %v error for %s saying %q", err, tc.kind, tc.field, tc.want)
			}
			if docs.saved != 0 {
				t.Fatal("a refused document was stored")
			}
		})
	}
}
