package elastic

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/getmapping"
	"github.com/elastic/go-elasticsearch/v8/typedapi/some"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/densevectorindexoptionstype"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/densevectorsimilarity"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/dynamicmapping"

	"ragchat/rag"
)

// mapping is the mapping of a chunk index. Text gets the standard analyzer
// plus a Korean sub-field; the vector is an int8-quantised HNSW graph with
// cosine similarity. Dynamic mapping is strict so that a field this package
// did not declare is refused instead of silently guessed.
func mapping(dims int, koreanAnalyzer string) *types.TypeMapping {
	keyword := func(ignoreAbove int) types.Property {
		k := types.NewKeywordProperty()
		if ignoreAbove > 0 {
			// Longer values stay in _source but are not indexed, instead
			// of failing the whole chunk (a term is at most 32766 bytes).
			k.IgnoreAbove = some.Int(ignoreAbove)
		}
		return k
	}
	text := types.NewTextProperty()
	text.Analyzer = some.String("standard")
	ko := types.NewTextProperty()
	ko.Analyzer = some.String(koreanAnalyzer)
	text.Fields = map[string]types.Property{"ko": ko}
	heading := types.NewTextProperty()
	heading.Analyzer = some.String("standard")
	return &types.TypeMapping{
		Dynamic: &dynamicmapping.Strict,
		Properties: map[string]types.Property{
			fieldChunkID:    keyword(0),
			fieldDocumentID: keyword(0),
			fieldPosition:   keyword(0),
			fieldTitle:      keyword(1024),
			fieldURL:        keyword(2048),
			fieldHeading:    heading,
			fieldText:       text,
			fieldVector: &types.DenseVectorProperty{
				Dims:       some.Int(dims),
				Index:      some.Bool(true),
				Similarity: &densevectorsimilarity.Cosine,
				IndexOptions: &types.DenseVectorIndexOptions{
					Type: densevectorindexoptionstype.Int8hnsw,
				},
			},
		},
	}
}

// ensureIndex makes sure the alias exists and points at an index with the
// store's vector dimension, creating <alias>-v1 when nothing is there.
func (s *Store) ensureIndex(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		_, err := s.inspect(ctx)
		if err == nil {
			return nil
		}
		if !notFound(err) || attempt > 0 {
			return err
		}
		koreanAnalyzer, err := s.koreanAnalyzer(ctx)
		if err != nil {
			return err
		}
		err = s.createIndex(ctx, s.alias+"-v1", koreanAnalyzer, true)
		if err == nil {
			s.analyzer.Store(&koreanAnalyzer)
			return nil
		}
		// Another instance created it first: inspect what it made.
		if esType(err) != "resource_already_exists_exception" {
			return err
		}
	}
}

// inspect reads the mapping behind the alias: it checks the vector
// dimension, records the Korean analyzer and returns the concrete index.
func (s *Store) inspect(ctx context.Context) (string, error) {
	var res getmapping.Response
	err := s.call(ctx, func(ctx context.Context) (*http.Response, error) {
		return s.es.Indices.GetMapping().Index(s.alias).Perform(ctx)
	}, &res)
	if err != nil {
		return "", err
	}
	if len(res) != 1 {
		return "", fmt.Errorf("%w: alias %s points at %d indices, want exactly 1", rag.ErrUpstream, s.alias, len(res))
	}
	for concrete, rec := range res {
		if concrete == s.alias {
			return "", fmt.Errorf("%w: %s is an index, not an alias; ragchat keeps its chunks in an index behind an alias (delete it, or choose another --elastic-index)", rag.ErrUpstream, s.alias)
		}
		props := rec.Mappings.Properties
		vec, ok := props[fieldVector].(*types.DenseVectorProperty)
		if !ok || vec.Dims == nil {
			return "", fmt.Errorf("%w: index %s has no dense_vector field %q; it was not made by ragchat", rag.ErrUpstream, concrete, fieldVector)
		}
		if *vec.Dims != s.dims {
			return "", fmt.Errorf("%w: index %s holds vectors of %d dimensions but the embedder makes %d; run `ragchat reindex` to rebuild it for this embedder", rag.ErrInvalid, concrete, *vec.Dims, s.dims)
		}
		analyzer := ""
		if text, ok := props[fieldText].(*types.TextProperty); ok {
			if ko, ok := text.Fields["ko"].(*types.TextProperty); ok && ko.Analyzer != nil {
				analyzer = *ko.Analyzer
			}
		}
		s.analyzer.Store(&analyzer)
		return concrete, nil
	}
	return "", fmt.Errorf("%w: empty mapping answer for %s", rag.ErrUpstream, s.alias)
}

// koreanAnalyzer returns the analyzer for the Korean sub-field of a new
// index: the configured one, else what detectKorean finds.
func (s *Store) koreanAnalyzer(ctx context.Context) (string, error) {
	if s.override != "" {
		return s.override, nil
	}
	return s.detectKorean(ctx)
}

// detectKorean returns "nori" when the analysis-nori plugin answers, else
// "cjk". It asks the _analyze API rather than listing plugins, so that it
// also finds nori where it is bundled rather than installed.
func (s *Store) detectKorean(ctx context.Context) (string, error) {
	err := s.call(ctx, func(ctx context.Context) (*http.Response, error) {
		return s.es.Indices.Analyze().Analyzer("nori").Text("한국어").Perform(ctx)
	}, nil)
	if err == nil {
		return "nori", nil
	}
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusBadRequest || e.Status == http.StatusForbidden) {
		// 400: no such analyzer. 403: the credentials may not analyze
		// without an index; cjk works everywhere.
		return "cjk", nil
	}
	return "", err
}

// createIndex creates index with the chunk mapping, optionally with the
// alias pointing at it (one call, so the alias never points at nothing).
func (s *Store) createIndex(ctx context.Context, index, koreanAnalyzer string, withAlias bool) error {
	req := s.es.Indices.Create(index).Mappings(mapping(s.dims, koreanAnalyzer))
	if withAlias {
		req = req.Aliases(map[string]types.Alias{s.alias: {}})
	}
	return s.call(ctx, req.Perform, nil)
}
