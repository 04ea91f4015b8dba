package rag

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// DocumentStore is the source of truth for documents (the SQL store).
type DocumentStore interface {
	// SaveDocument stores a document and its chunks in one transaction.
	// When a document with the same text exists it returns that one and
	// changed is false; a document with the same Source is replaced, keeping
	// its ID.
	SaveDocument(ctx context.Context, doc Document, chunks []Chunk) (saved Document, changed bool, err error)
	DeleteDocument(ctx context.Context, id string) error
}

// Ingester adds documents: it chunks and embeds them, stores them, and
// indexes their chunks for search.
type Ingester struct {
	Documents DocumentStore
	Index     Store
	Embedder  Embedder
	Chunking  ChunkOptions
	MaxTitle  int // runes; default 500
	MaxChars  int // characters of text per document; default 2,000,000
	MaxChunks int // chunks per document; default 20,000
}

// Default per-document caps of an Ingester.
const (
	DefaultMaxChars  = 2_000_000
	DefaultMaxChunks = 20_000
)

// Add ingests one document. created is false when the same text was
// already stored (nothing changes then). Nothing is left half-ingested: a
// failure before the document is stored leaves no trace, and a failure to
// index a new document removes it again.
func (in *Ingester) Add(ctx context.Context, doc Document) (saved Document, created bool, err error) {
	doc.Text = strings.TrimSpace(doc.Text)
	doc.Title = strings.TrimSpace(doc.Title)
	if doc.Text == "" {
		return Document{}, false, Invalid("text", "is empty")
	}
	if !utf8.ValidString(doc.Text) {
		return Document{}, false, Invalid("text", "is not valid UTF-8 text")
	}
	maxChars := in.MaxChars
	if maxChars <= 0 {
		maxChars = DefaultMaxChars
	}
	if len(doc.Text) > maxChars && utf8.RuneCountInString(doc.Text) > maxChars {
		return Document{}, false, &FieldError{Field: "text", Kind: ErrTooLarge,
			Message: fmt.Sprintf("is longer than %d characters (the limit per document, --max-document-chars)", maxChars)}
	}
	if err := checkURL(doc.URL); err != nil {
		return Document{}, false, err
	}
	if doc.Title == "" {
		doc.Title = titleOf(doc.Text, doc.Source)
	}
	maxTitle := in.MaxTitle
	if maxTitle <= 0 {
		maxTitle = 500
	}
	if utf8.RuneCountInString(doc.Title) > maxTitle {
		return Document{}, false, Invalid("title", "is longer than %d characters", maxTitle)
	}
	if doc.ContentType == "" {
		doc.ContentType = "text/plain"
	}
	sum := sha256.Sum256([]byte(doc.Text))
	doc.Hash = hex.EncodeToString(sum[:])
	if doc.ID == "" {
		doc.ID = NewID()
	}

	sections := SplitText(doc.Text, in.Chunking)
	maxChunks := in.MaxChunks
	if maxChunks <= 0 {
		maxChunks = DefaultMaxChunks
	}
	if len(sections) > maxChunks {
		return Document{}, false, &FieldError{Field: "text", Kind: ErrTooLarge,
			Message: fmt.Sprintf("makes %d chunks, more than %d (the limit per document, --max-document-chunks)", len(sections), maxChunks)}
	}
	chunks := make([]Chunk, len(sections))
	texts := make([]string, len(sections))
	for i, s := range sections {
		chunks[i] = Chunk{DocumentID: doc.ID, Position: i, Title: doc.Title, URL: doc.URL, Heading: s.Heading, Text: s.Text}
		texts[i] = EmbeddingText(chunks[i])
	}
	vecs, err := in.Embedder.Embed(ctx, texts)
	if err != nil {
		return Document{}, false, fmt.Errorf("ingest: embed %d chunks: %w", len(texts), err)
	}
	if len(vecs) != len(chunks) {
		return Document{}, false, fmt.Errorf("ingest: embedder returned %d vectors for %d chunks: %w", len(vecs), len(chunks), ErrUpstream)
	}
	for i := range chunks {
		chunks[i].Vector = vecs[i]
	}
	doc.ChunkCount = len(chunks)

	saved, changed, err := in.Documents.SaveDocument(ctx, doc, withIDs(chunks, doc.ID))
	if err != nil {
		return Document{}, false, fmt.Errorf("ingest: save document: %w", err)
	}
	if !changed {
		return saved, false, nil
	}
	if err := in.Index.Index(ctx, withIDs(chunks, saved.ID)); err != nil {
		if saved.ID == doc.ID { // new: undo, so a retry starts clean
			if derr := in.Documents.DeleteDocument(context.WithoutCancel(ctx), saved.ID); derr != nil {
				err = fmt.Errorf("%w (and removing the document again failed: %v)", err, derr)
			}
		}
		return Document{}, false, fmt.Errorf("ingest: index chunks: %w", err)
	}
	return saved, saved.ID == doc.ID, nil
}

// Delete removes a document and its chunks from the index.
func (in *Ingester) Delete(ctx context.Context, id string) error {
	if err := in.Documents.DeleteDocument(ctx, id); err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	if err := in.Index.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete document %s from the index: %w", id, err)
	}
	return nil
}

// checkURL accepts an empty link or an absolute http(s) URL: the link is
// shown with citations and opened by browsers, so javascript:, data: and
// the like are refused.
func checkURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid("url", "must be an absolute http:// or https:// URL")
	}
	return nil
}

// EmbeddingText is what the embedder sees of a chunk: its title and
// heading give short chunks their context.
func EmbeddingText(c Chunk) string {
	var b strings.Builder
	for _, s := range []string{c.Title, c.Heading, c.Text} {
		if s != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

func withIDs(chunks []Chunk, docID string) []Chunk {
	out := make([]Chunk, len(chunks))
	for i, c := range chunks {
		c.DocumentID = docID
		c.ID = ChunkID(docID, c.Position)
		out[i] = c
	}
	return out
}

// titleOf takes a document's first Markdown heading, else its first line,
// else its source.
func titleOf(text, source string) string {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		line = strings.TrimSpace(strings.TrimLeft(line, "#"))
		if r := []rune(line); len(r) > 120 {
			line = string(r[:120]) + "…"
		}
		if line != "" {
			return line
		}
	}
	return source
}
