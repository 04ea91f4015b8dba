//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ragchat/docs"
	"ragchat/extract"
	"ragchat/rag"
	"ragchat/rag/offline"
	ragopenai "ragchat/rag/openai"
	"ragchat/search/elastic"
	"ragchat/search/embedded"
	"ragchat/store"
)

// services are the parts every command that touches data needs, opened
// from the configuration.
type services struct {
	db        *store.DB
	index     rag.Store
	embedder  rag.Embedder
	generator rag.Generator
	ingester  *rag.Ingester
	extractor *extract.Extractor
	ready     map[string]func(context.Context) error
	closers   []func() error
}

func (s *services) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

// openServices opens the database (migrating it), the embedder, the search
// store and the generator.
func openServices(ctx context.Context, cfg *config, log *slog.Logger) (_ *services, err error) {
	s := &services{ready: map[string]func(context.Context) error{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.DatabaseURL == "" || cfg.Search == "embedded" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	s.db, err = store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.closers = append(s.closers, s.db.Close)
	if err := s.db.MigrateUp(ctx); err != nil {
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	s.ready["database"] = s.db.Ping

	oaiCfg := ragopenai.Config{
		BaseURL:           cfg.OpenAIBaseURL,
		APIKey:            cfg.OpenAIAPIKey,
		ChatModel:         cfg.ChatModel,
		EmbeddingModel:    cfg.EmbeddingModel,
		IdleTimeout:       cfg.LLMIdleTimeout,
		FirstTokenTimeout: cfg.LLMFirstToken,
	}
	dims := 0
	switch cfg.Embedder {
	case "openai":
		e := ragopenai.NewEmbedder(oaiCfg)
		if dims, err = e.Dimensions(ctx); err != nil {
			return nil, fmt.Errorf("embedder: %w", err)
		}
		s.embedder = e
	default:
		e := offline.NewHashEmbedder(0)
		dims = e.Dimensions()
		s.embedder = e
	}

	switch cfg.Search {
	case "elastic":
		es, closeES, err := openElastic(ctx, cfg, dims, log)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, closeES)
		s.index = es
		s.ready["search"] = es.(*elastic.Store).Ping
	default:
		opts := embedded.Options{Dimensions: dims}
		if cfg.Embedder == "openai" {
			// A real embedding model is a strong signal: give it a full
			// vote by rank. (Score fusion with a light vector weight suits
			// the hash embedder; see search/embedded.)
			opts.Fusion, opts.VectorWeight = embedded.FusionRRF, 1
		}
		emb, err := embedded.Open(filepath.Join(cfg.DataDir, "index"), opts)
		if err != nil {
			return nil, fmt.Errorf("embedded search store: %w", err)
		}
		if emb.Reset() {
			log.Warn("the embedder's dimension changed: the embedded index was cleared and will be rebuilt", "dimensions", dims)
		}
		s.index = emb
		s.closers = append(s.closers, emb.Close)
		s.ready["search"] = func(ctx context.Context) error { _, err := emb.Count(ctx); return err }
	}

	switch cfg.Generator {
	case "openai":
		s.generator = ragopenai.NewGenerator(oaiCfg)
	default:
		x := offline.NewExtractive()
		x.TokenDelay = cfg.ExtractiveDelay
		s.generator = x
	}
	s.ingester = &rag.Ingester{Documents: s.db.DocumentStore(), Index: s.index, Embedder: s.embedder,
		MaxChars: cfg.MaxDocumentChars, MaxChunks: cfg.MaxDocumentChunks}
	s.extractor = extract.New(cfg.extractLimits())
	return s, nil
}

// ingestSampleIfEmpty ingests the bundled sample corpus into an
// installation without documents, so a first start can answer at once.
// (An index that lost its chunks is rebuilt by openForWriting.)
func (s *services) ingestSampleIfEmpty(ctx context.Context, cfg *config, log *slog.Logger) error {
	if !cfg.SampleCorpus {
		return nil
	}
	ndocs, err := s.db.CountDocuments(ctx)
	if err != nil {
		return fmt.Errorf("count documents: %w", err)
	}
	if ndocs > 0 {
		return nil
	}
	n, err := ingestSample(ctx, s.ingester)
	if err != nil {
		return fmt.Errorf("sample corpus: %w", err)
	}
	log.Info("ingested the sample corpus", "documents", n)
	return nil
}

// reindex rebuilds the search index from the stored chunks. Chunks whose
// vectors do not fit the embedder (another dimension; every chunk when all
// is set, after the embedder changed) are embedded again, and their new
// vectors are stored too, so the next rebuild does not repeat the work.
func reindex(ctx context.Context, s *services, all bool) error {
	probe, err := s.embedder.Embed(ctx, []string{"dimension probe"})
	if err != nil {
		return fmt.Errorf("embedder: %w", err)
	}
	dims := len(probe[0])
	refresh := func(chunks []rag.Chunk) error {
		var stale []rag.Chunk
		var texts []string
		for _, c := range chunks {
			if all || len(c.Vector) != dims {
				stale = append(stale, c)
				texts = append(texts, rag.EmbeddingText(c))
			}
		}
		if len(stale) == 0 {
			return nil
		}
		vecs, err := s.embedder.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("embed %d chunks: %w", len(texts), err)
		}
		for i := range stale {
			stale[i].Vector = vecs[i]
		}
		for i, j := 0, 0; i < len(chunks) && j < len(stale); i++ {
			if chunks[i].ID == stale[j].ID {
				chunks[i].Vector = stale[j].Vector
				j++
			}
		}
		if err := s.db.SetVectors(ctx, stale); err != nil {
			return fmt.Errorf("store new vectors: %w", err)
		}
		return nil
	}
	each := func(fn func([]rag.Chunk) error) error {
		return eachDocumentBatch(ctx, s.db, func(chunks []rag.Chunk) error {
			if err := refresh(chunks); err != nil {
				return err
			}
			return fn(chunks)
		})
	}
	if r, ok := s.index.(interface {
		Reindex(ctx context.Context, each func(fn func([]rag.Chunk) error) error) error
	}); ok {
		return r.Reindex(ctx, each)
	}
	return each(func(chunks []rag.Chunk) error { return s.index.Index(ctx, chunks) })
}

// reindexBatch is how many stored chunks a rebuild reads at a time.
const reindexBatch = 500

// eachDocumentBatch calls fn with every stored chunk, in batches that never
// split a document: a store's Index replaces a document's chunks with the
// batch's, so a document cut across two batches would keep only its second
// part. A batch ends before the last document of a full page; that
// document's chunks open the next batch.
func eachDocumentBatch(ctx context.Context, db *store.DB, fn func([]rag.Chunk) error) error {
	var carry []rag.Chunk
	err := db.EachChunk(ctx, reindexBatch, func(page []rag.Chunk) error {
		chunks := append(carry, page...)
		carry = nil
		if len(page) == reindexBatch {
			last := chunks[len(chunks)-1].DocumentID
			cut := len(chunks)
			for cut > 0 && chunks[cut-1].DocumentID == last {
				cut--
			}
			if cut > 0 {
				// Copied: the next page is appended to it.
				carry = slices.Clone(chunks[cut:])
				chunks = chunks[:cut]
			} else {
				// One document fills the batch so far: keep gathering.
				carry = chunks
				return nil
			}
		}
		return fn(chunks)
	})
	if err != nil {
		return err
	}
	if len(carry) > 0 {
		return fn(carry)
	}
	return nil
}

func ingestSample(ctx context.Context, in *rag.Ingester) (int, error) {
	n := 0
	err := fs.WalkDir(docs.Sample, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		b, err := fs.ReadFile(docs.Sample, path)
		if err != nil {
			return err
		}
		_, _, err = in.Add(ctx, rag.Document{Text: string(b), Source: "sample:docs/" + path, ContentType: "text/markdown"})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		n++
		return nil
	})
	return n, err
}

// documentService is the API's view of documents: the ingester writes, the
// database reads.
type documentService struct {
	*rag.Ingester
	db *store.DB
}

func (d documentService) Document(ctx context.Context, id string) (rag.Document, error) {
	return d.db.Document(ctx, id)
}

func (d documentService) ListDocuments(ctx context.Context, cursor string, limit int) ([]rag.Document, string, error) {
	return d.db.ListDocuments(ctx, cursor, limit)
}

// searcher runs retrieval for POST /api/v1/search.
type searcher struct {
	embedder rag.Embedder
	index    rag.Store
}

func (s searcher) Search(ctx context.Context, query string, k int, mode rag.SearchMode) ([]rag.Passage, error) {
	q := rag.Query{Text: query, K: k, Mode: mode}
	if mode != rag.ModeBM25 {
		vecs, err := s.embedder.Embed(ctx, []string{query})
		if err != nil {
			return nil, fmt.Errorf("embed query: %w", err)
		}
		q.Vector = vecs[0]
	}
	return s.index.Search(ctx, q)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func openDB(ctx context.Context, cfg *config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// openElastic opens the Elasticsearch store named by the configuration.
func openElastic(ctx context.Context, cfg *config, dims int, log *slog.Logger) (rag.Store, func() error, error) {
	ecfg := elastic.Config{
		Addresses:              splitList(cfg.ElasticURLs),
		APIKey:                 cfg.ElasticAPIKey,
		Username:               cfg.ElasticUsername,
		Password:               cfg.ElasticPassword,
		CertificateFingerprint: cfg.ElasticFingerprint,
		Index:                  cfg.ElasticIndex,
		Dims:                   dims,
	}
	if cfg.Embedder == "hash" {
		// Rank like the embedded store: the hash embedder's vectors are a
		// weak signal that score fusion weighs in, where RRF would give
		// them a full vote; word vectors bring what spellings miss.
		ecfg.Fusion, ecfg.VectorWeight = elastic.FusionScores, embedded.DefaultVectorWeight
		ecfg.WordWeight = embedded.DefaultWordWeight
	}
	if cfg.ElasticCACert != "" {
		var err error
		if ecfg.CACert, err = os.ReadFile(cfg.ElasticCACert); err != nil {
			return nil, nil, fmt.Errorf("--elastic-ca-cert: %w", err)
		}
	}
	es, err := elastic.Open(ctx, ecfg)
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch: %w", err)
	}
	log.Info("elasticsearch store ready", "alias", es.Alias(), "korean_analyzer", es.KoreanAnalyzer())
	return es, func() error { return nil }, nil
}
