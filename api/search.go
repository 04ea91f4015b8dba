package api

import (
	"context"
	"net/http"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	v1 "ragchat/api/v1"
	"ragchat/rag"
)

// SearchInput is the input of POST /api/v1/search.
type SearchInput struct {
	Body v1.SearchRequest
}

// SearchOutput lists retrieved passages.
type SearchOutput struct {
	Body v1.SearchResponse
}

func (s *server) registerSearch(api huma.API) {
	register(s, api, accessChat, huma.Operation{
		OperationID:  "search",
		Method:       http.MethodPost,
		Path:         "/api/v1/search",
		Summary:      "Retrieve passages only (debugging, evaluation)",
		Description:  "Runs retrieval alone, without the language model: the passages a question would be answered from, best first, with their scores. `mode` picks hybrid (default), bm25 or vector retrieval. `query` is at most as long as a question (--max-message-chars, 4000 characters by default); longer is 422.",
		Tags:         []string{"search"},
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		Errors:       []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *SearchInput) (*SearchOutput, error) {
		if utf8.RuneCountInString(in.Body.Query) > s.cfg.MaxMessageChars {
			return nil, s.problem(ctx, rag.Invalid("query", "is longer than %d characters", s.cfg.MaxMessageChars), "body.")
		}
		k := in.Body.K
		if k == 0 {
			k = 5
		}
		mode := rag.SearchMode(in.Body.Mode)
		if mode == "" {
			mode = rag.ModeHybrid
		}
		passages, err := s.deps.Search.Search(ctx, in.Body.Query, k, mode)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		out := &SearchOutput{Body: v1.SearchResponse{Passages: make([]v1.Passage, len(passages))}}
		for i, p := range passages {
			c := p.Chunk
			out.Body.Passages[i] = v1.Passage{DocumentID: c.DocumentID, ChunkID: c.ID, Title: c.Title, URL: c.URL, Heading: c.Heading, Text: c.Text, Score: p.Score}
		}
		return out, nil
	})
}
